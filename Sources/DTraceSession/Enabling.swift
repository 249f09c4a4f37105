// DTraceSession/Enabling: one enabled probe: a clause (by index) on a probe, with its EPID,
// and what the ERROR probe says of a fault in it.

import DTraceIR
import DTraceProviders

public struct Enabling {
    public var epid: Int
    public var clause: Int
    public var probe: Probe
    public init(epid: Int, clause: Int, probe: Probe) { self.epid = epid; self.clause = clause; self.probe = probe }

    /// What the ERROR probe's arg0...arg5 are for a fault in this enabling's clause, as
    /// DTrace on Linux gives them: 0, the faulting probe's id, the clause's index (the N
    /// of dt_clause_N), the instruction's byte offset, the fault (DTRACEFLT_*), and the
    /// address or value at fault.
    func errorProbeArguments(_ fault: Fault) -> [Int64] {
        [0, Int64(probe.identity.id), Int64(clause), Int64(fault.instruction * 4), Int64(fault.kind.rawValue), fault.address]
    }
}
