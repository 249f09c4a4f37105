// DTraceCodegen/ProbeSite: the probe one program is generated for: its identity, EPID, the
// provider's prologue, and the kernel offsets the built-ins need.

import DTraceBPF
import DTraceIR

/// The probe one program is generated for.
public struct ProbeSite: Sendable {
    public var identity: ProbeIdentity
    public var epid: Int
    /// The provider's code at the start of the program: it fills the probe context.
    public var prologue: any ProbePrologue
    /// task_struct.real_parent and task_struct.tgid (from the kernel's BTF), for ppid.
    public var parentOffsets: (realParent: Int, processID: Int)?
    /// task_struct.se.sum_exec_runtime (from the kernel's BTF), for vtimestamp.
    public var executionTimeOffset: Int?
    /// task_struct.comm (from the kernel's BTF): execname is then two loads through
    /// bpf_get_current_task_btf() instead of bpf_get_current_comm()'s copy.
    public var commandNameOffset: Int?
    /// CLOCK_REALTIME - CLOCK_MONOTONIC when the program is loaded: walltimestamp is
    /// then bpf_ktime_get_ns() (monotonic) plus this.
    public var wallClockOffset: Int64 = 0

    public init(identity: ProbeIdentity, epid: Int, prologue: any ProbePrologue) {
        self.identity = identity; self.epid = epid; self.prologue = prologue
    }
}
