// DTraceLibrary/Raise: raise(signal) — the signal sent to the current thread when the
// probe's clauses are done (destructive; a number that is not a signal faults).

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Raise: ActionDefinition {
    var names: [String] { ["raise"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let signal = try call.integer(0)
        call.emit(.call(.raise, result: nil, arguments: [signal.register]))
        call.markDestructive()
    }
}
