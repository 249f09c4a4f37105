// DTraceLibrary/Speculation: speculate(id), commit(id) and discard(id) — the firing's
// records go to a speculation, which a later firing shows or drops. The engines keep the
// speculations (the interpreter's buffers, the kernel's atomic slots and tagged records).

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Speculation: ActionDefinition {
    var names: [String] { ["speculate", "commit", "discard"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let id = try call.integer(0)
        switch call.name {
        case "speculate":
            if call.clauseStoresData { throw call.error(.syntax, "speculate( ) must precede any data-recording actions", tag: "D_ACT_SPEC") }
            call.emit(.call(.speculate, result: nil, arguments: [id.register]))
        case "commit": call.emit(.call(.commit, result: nil, arguments: [id.register]))
        default: call.emit(.call(.discard, result: nil, arguments: [id.register]))
        }
    }
}
