// DTraceProviders/KernelSetup: what a provider may consult when it prepares a probe for
// the kernel engine: tracefs, every enabled probe, the -x syscallprobes choice, the
// kernel's types, how uprobes are attached (-x uprobes).

import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem

/// What a provider may consult when it prepares a probe for the kernel engine.
public final class KernelSetup {
    public let tracefsRoot: String
    /// Every probe enabled in this session (a provider may choose its mechanism by how
    /// many of its probes are enabled).
    public let enabledProbes: [Probe]
    /// `-x syscallprobes=tracepoint`: never put system call probes on raw_syscalls.
    public let allowsRawSyscalls: Bool
    public let types: KernelTypes
    /// Uprobes through uprobe_multi links (Linux 6.6 and later), else one perf event each.
    public let uprobesThroughMultiLinks: Bool
    /// `-x cpu=N`: probes record only on CPU N (timers of one CPU go there).
    public var onlyCPU: Int?
    /// What a provider keeps for the whole session, by its name: maps and programs its
    /// probes share (lockstat's record of contentions begun).
    public var providerState: [String: AnyObject] = [:]

    public init(tracefsRoot: String, enabledProbes: [Probe], allowsRawSyscalls: Bool, types: KernelTypes, uprobesThroughMultiLinks: Bool = true) {
        self.tracefsRoot = tracefsRoot; self.enabledProbes = enabledProbes; self.allowsRawSyscalls = allowsRawSyscalls; self.types = types
        self.uprobesThroughMultiLinks = uprobesThroughMultiLinks
    }

    /// The fields of a tracepoint's record, or an error naming it.
    public func format(group: String, event: String) throws(KernelSetupError) -> [Tracefs.Field] {
        guard let fields = Tracefs.format(root: tracefsRoot, group: group, event: event) else {
            throw KernelSetupError("cannot read the format of tracepoint \(group):\(event)")
        }
        return fields
    }
}
