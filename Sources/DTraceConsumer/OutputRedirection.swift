// DTraceConsumer/OutputRedirection: freopen() in the consumer — the traced output (standard
// output, or the -o file) moved to a file the formatted text names, and back with "";
// a file that cannot be opened reported as DTrace reports it (a library fault of the
// firing: an error line on standard error, an error object under -x oformat=json).

import DTraceIR
import DTraceSystem

extension Consumer {
    /// freopen(text): from now on the output is appended to the file `path` (created as
    /// needed); "" sends it back where it first went. Under -x oformat=json the change
    /// comes after the firing's object (which is written where the output went before).
    public func freopen(_ path: String) {
        if isJSON { pendingReopens.append(path) } else { reopenOutput(path) }
    }

    /// Moves the output now (what was written before goes where it was going).
    func reopenOutput(_ path: String) {
        if path.isEmpty { output.restore(); return }
        do { try output.redirect(toAppending: path) } catch {
            reportLibraryFault("couldn't freopen() \"\(path)\": \(error.reason)")
        }
    }

    /// A fault of the consumer's part of an action (DTrace's DTRACEFLT_LIBRARY): the
    /// firing's clause and probe, then `message`; tracing goes on.
    func reportLibraryFault(_ message: String) {
        let clause = clauseNumber(firing?.clause ?? 0)
        let probe = firing?.probe ?? ProbeIdentity(id: 0, provider: "", module: "", function: "", name: "")
        let line = "dtrace: error in dt_clause_\(clause) for probe ID \(probe.id) (\(probe.fullName)): \(message)"
        if isJSON {
            output.write(JSONOutput.line(JSONOutput.header("error") + [("kind", .string("library")), ("clause", .integer(Int64(clause)))]
                                         + JSONOutput.probeMembers(probe) + [("message", .string(line))]))
        } else {
            errors.write(line + "\n")
            errors.flush()
        }
    }
}
