// DTraceLibrary/Ftruncate: ftruncate() — empties the output file (-o's, or the one
// freopen() opened), output going on from its start, as DTrace's consumer does it when the
// record is consumed; standard output that is not a file is left as it is.

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

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) { consumer.truncateOutput() }
}
