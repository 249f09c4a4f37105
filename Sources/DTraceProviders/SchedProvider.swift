// DTraceProviders/SchedProvider: DTrace's sched probes on the scheduler's tracepoints
// (IDs 120 +): off-cpu and on-cpu on sched_switch (arg0 the next thread's pid, arg1 the
// previous one's), wakeup (arg0 pid).
//
// sched_switch fires in the thread leaving the CPU. With the kernel's BTF, on-cpu runs
// on the raw sched_switch tracepoint (preempt, prev, next, ...) and its clauses run as
// the `next` task: pid, tid, execname, ppid, uid, gid, vtimestamp and self-> are read
// from that task (the prologue puts its pointer in the probe context). Without BTF it
// stays on the tracepoint, in the leaving thread.

import DTraceCodegen
import DTraceIR
import DTracePlatform
import DTraceSystem

public struct SchedProvider: Provider {
    public init() {}
    public var name: String { "sched" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints], how: "sched tracepoints")
    }

    static let table: [(name: String, tracepoint: TracepointProbe)] = [
        ("off-cpu", TracepointProbe(group: "sched", event: "sched_switch", arguments: ["next_pid", "prev_pid"])),
        ("on-cpu", TracepointProbe(group: "sched", event: "sched_switch", arguments: ["next_pid", "prev_pid"])),
        ("wakeup", TracepointProbe(group: "sched", event: "sched_wakeup", arguments: ["pid"])),
    ]

    public func probes(in environment: ProbeEnvironment) -> [Probe] { probes(from: Self.table, firstID: 120, in: environment) }

    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { tracepointArgumentTypes(of: probe, in: environment) }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        if probe.identity.name == "on-cpu", let tracepoint = probe.detail(as: TracepointProbe.self), let task = setup.types.taskFieldOffsets {
            return KernelProbe(programType: .rawTracepoint, prologue: NextTaskPrologue(task: task)) { program, attachments in
                try attachments.attachRawTracepoint(tracepoint.event, program: program)
            }
        }
        return try tracepointKernelProbe(for: probe, in: setup)
    }
}

/// The raw sched_switch tracepoint's context (preempt, prev, next, ...): the clause runs
/// as `next`; arg0 is next's pid (thread id), arg1 prev's.
struct NextTaskPrologue: ProbePrologue {
    let task: TaskFieldOffsets
    var currentTask: TaskFieldOffsets? { task }
    var argumentCount: Int { 2 }
    /// The context slots of next and prev.
    static let nextSlot: Int16 = 2, previousSlot: Int16 = 1

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        if demand.task {
            code.asm.load(.r1, from: .r6, offset: 8 * Self.nextSlot, size: .double)
            code.asm.store(.r1, to: .r7, offset: code.taskSlot, size: .double)
        }
        for (index, slot) in [Self.nextSlot, Self.previousSlot].enumerated() where demand.needsArgument(index) {
            code.asm.load(.r3, from: .r6, offset: 8 * slot, size: .double)
            code.probeReadKernel(from: .r3, offset: Int32(task.threadID), size: 4, into: code.argumentSlot(index), of: .r7)
        }
    }
}
