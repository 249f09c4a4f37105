// DTraceLibrary/Exit: exit(status) — tracing stops after this firing (its other clauses'
// records are still shown) and dtrace exits with the status; END runs first.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Exit: ActionDefinition, ConsumedAction {
    var names: [String] { ["exit"] }
    var description: String { "exit" }
    /// dtrace stops as soon as it sees the record.
    var isUrgent: Bool { true }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let status = try call.integer(0)
        let presence = call.beginAction()
        call.addAction(self, fields: [call.recordInt(status)], presence: presence)
        call.emit(.call(.exit, result: nil, arguments: [status.register]))
    }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        consumer.requestExit(Int32(truncatingIfNeeded: consumer.integer(record, fields[0])))
    }

    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        .object([("action", .string("exit")), ("status", .integer(Int64(Int32(truncatingIfNeeded: consumer.integer(record, fields[0])))))])
    }
}
