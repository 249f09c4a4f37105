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

    public func probes(in environment: ProbeEnvironment) -> [Probe] { probes(from: Self.table, firstID: 100, in: environment) }

    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { tracepointArgumentTypes(of: probe, in: environment) }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        try tracepointKernelProbe(for: probe, in: setup)
    }
}
