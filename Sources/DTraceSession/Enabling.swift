// DTraceSession/Enabling: one enabled probe: a clause (by index) on a probe, with its EPID.

import DTraceProviders

public struct Enabling {
    public var epid: Int
    public var clause: Int
    public var probe: Probe
    public init(epid: Int, clause: Int, probe: Probe) { self.epid = epid; self.clause = clause; self.probe = probe }
}
