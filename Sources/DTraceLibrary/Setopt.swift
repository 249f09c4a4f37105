// DTraceLibrary/Setopt: setopt(name[, value]) — an option changed while tracing (quiet, the
// aggregation sort options and printsize; the others are accepted and change nothing here).

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Setopt: ActionDefinition {
    var names: [String] { ["setopt"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...2)
        let name = try call.stringLiteral(0)
        let value = call.count > 1 ? try call.stringLiteral(1) : nil
        let presence = call.beginAction()
        call.addAction(SetoptUse(name: name, value: value), fields: [], presence: presence)
    }
}

struct SetoptUse: ConsumedAction {
    let name: String
    let value: String?
    var description: String { "setopt(\(name), \(value ?? "-"))" }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) { consumer.setOption(name, value) }
}
