// DTraceLibrary/Raise: raise(signal) — the signal sent to the current thread when the
// probe's clauses are done (destructive; a number that is not a signal faults). Like
// DTrace's, it is a recorded action: the firing prints its probe line.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Raise: ActionDefinition, ConsumedAction {
    var names: [String] { ["raise"] }
    var description: String { "raise" }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let signal = try call.integer(0)
        let presence = call.beginAction()
        call.addAction(self, fields: [call.recordInt(signal)], presence: presence)
        call.emit(.call(.raise, result: nil, arguments: [signal.register]))
        call.markDestructive()
    }

    /// The signal was the kernel's (or the engine's) to send: nothing to print.
    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {}

    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        .object([("action", .string("raise")), ("signal", .integer(consumer.integer(record, fields[0])))])
    }
}
