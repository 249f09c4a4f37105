// DTraceLibrary/Ftruncate: ftruncate() — truncates the output file freopen() opened;
// accepted and, with no file reopened here, changes nothing.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Ftruncate: ActionDefinition, ConsumedAction {
    var names: [String] { ["ftruncate"] }
    var description: String { "ftruncate" }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(0...0)
        let presence = call.beginAction()
        call.addAction(self, fields: [], presence: presence)
    }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {}
}
