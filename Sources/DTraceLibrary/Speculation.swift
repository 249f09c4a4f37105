// DTraceLibrary/Speculation: speculate(id), commit(id) and discard(id) — the firing's
// records go to a speculation, which a later firing shows or drops; speculate() of an id
// that is not active ends the clause quietly, commit() and discard() of an id above nspec
// are illegal operations. The engines keep the speculations (the interpreter's buffers,
// the kernel's atomic slots and tagged records).

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
            // An id that names no active speculation ends the clause quietly, as DTrace's does.
            let accepted = call.call(.speculate, [id.register])
            let proceed = call.label()
            call.emit(.branchIfNotZero(accepted, proceed))
            call.emit(.returnFromClause)
            call.emit(.label(proceed))
            call.markSpeculates()
        case "commit": call.emit(.call(.commit, result: nil, arguments: [id.register]))
        default: call.emit(.call(.discard, result: nil, arguments: [id.register]))
        }
    }
}
