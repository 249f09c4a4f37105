// DTraceProviders/ProcProvider: DTrace's proc probes on the scheduler's and the signal
// tracepoints (IDs 100 +): exec-success (arg0 pid), exit (arg0 pid), create (arg0 the
// child's pid, arg1 the parent's), signal-send (arg0 pid, arg1 signal).

import DTraceCodegen
import DTraceIR
import DTracePlatform
import DTraceSystem

public struct ProcProvider: Provider {
    public init() {}
    public var name: String { "proc" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints], how: "sched and signal tracepoints")
    }

    static let table: [(name: String, tracepoint: TracepointProbe)] = [
        ("exec-success", TracepointProbe(group: "sched", event: "sched_process_exec", arguments: ["pid"])),
        ("exit", TracepointProbe(group: "sched", event: "sched_process_exit", arguments: ["pid"])),
        ("create", TracepointProbe(group: "sched", event: "sched_process_fork", arguments: ["child_pid", "parent_pid"])),
        ("signal-send", TracepointProbe(group: "signal", event: "signal_generate", arguments: ["pid", "sig"])),
    ]

    public func probes(in environment: ProbeEnvironment) -> [Probe] {
        guard let root = environment.tracefsRoot else { return [] }
        return Self.table.enumerated().compactMap { index, entry in
            Tracefs.eventID(root: root, group: entry.tracepoint.group, event: entry.tracepoint.event) == nil ? nil
                : makeProbe(id: 100 + index, name: entry.name, detail: entry.tracepoint)
        }
    }

    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] {
        probe.detail(as: TracepointProbe.self)?.argumentTypes(in: environment) ?? []
    }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let tracepoint = probe.detail(as: TracepointProbe.self) else { throw KernelSetupError("\(probe.identity.fullName) has no tracepoint") }
        return try tracepoint.kernelProbe(in: setup)
    }
}
