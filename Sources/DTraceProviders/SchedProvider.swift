// DTraceProviders/SchedProvider: DTrace's sched probes (IDs 120 +) on the scheduler's raw
// tracepoints, with DTrace's arguments translated from the kernel's task_struct
// (lwpsinfo_t, psinfo_t, cpuinfo_t):
//   on-cpu, off-cpu, sleep, preempt, dequeue — sched_switch(preempt, prev, next, prev_state):
//     sleep and dequeue when prev leaves the run queue (not preempted, not runnable),
//     preempt when it is preempted; off-cpu's args[0]/args[1] describe next;
//   enqueue — sched_wakeup and sched_wakeup_new (a woken or new task placed on a run queue);
//   wakeup — sched_waking (in the waker's context, args[] describe the wakee);
//   change-pri — sched_pi_setprio (priority inheritance: args[2] the new priority);
//   surrender — raw_syscalls' sys_enter for sched_yield (a thread giving up its CPU);
//   tick — timer's hrtimer_expire_entry for the scheduler tick's own timer (the hrtimer
//     whose function is tick_nohz_handler, tick_sched_timer before Linux 6.10), in the
//     context of the thread the tick interrupted, as the kernel's sched_tick() runs.
// Probes are in module vmlinux, as DTrace on Linux lists them; dequeue's args[3] is the
// dequeue flags, always DEQUEUE_SLEEP (1) as the probe fires for a thread going to sleep.
// arg0 and arg1 of on-cpu and off-cpu are next's and prev's thread IDs, arg2 and arg3
// their tasks. on-cpu runs as the task arriving on the CPU: pid, tid, execname, self->,
// curthread, curpsinfo... are next's (the prologue puts its task in the probe context).
// remain-cpu has no tracepoint to stand on: a description naming it says so.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTracePlatform
import DTraceSystem

public struct SchedProvider: Provider {
    public init() {}
    public var name: String { "sched" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes(names: "Private", data: "Private", dependency: "Unknown") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints], how: "raw sched tracepoints")
    }

    static let task = "struct task_struct *"
    /// args[] describing the task in raw argument `index`: its lwpsinfo_t and psinfo_t,
    /// then (`cpu`) the cpuinfo_t of the CPU it is on.
    static func describing(_ index: Int, cpu: Bool = false) -> [ProbeArgument] {
        [.translated("lwpsinfo_t *", from: task, argument: index), .translated("psinfo_t *", from: task, argument: index)]
            + (cpu ? [ProbeArgument("cpuinfo_t *", "xlate<cpuinfo_t *>(((\(task))arg\(index))->thread_info.cpu)")] : [])
    }

    /// sched_switch(preempt, prev, next, prev_state): prev left the run queue.
    static let leavesRunQueue: [RawTracepointFilter] = [.argumentEquals(0, value: 0, equal: true), .argumentEquals(3, value: 0, equal: false)]

    static let table: [(name: String, probe: RawTracepointProbe)] = [
        ("off-cpu", RawTracepointProbe(group: "sched", event: "sched_switch", argumentCount: 4, arguments: describing(2))),
        ("on-cpu", RawTracepointProbe(group: "sched", event: "sched_switch", argumentCount: 4)),
        ("wakeup", RawTracepointProbe(group: "sched", event: "sched_waking", argumentCount: 1, arguments: describing(0))),
        ("enqueue", RawTracepointProbe(group: "sched", event: "sched_wakeup", argumentCount: 1,
                                       arguments: describing(0, cpu: true), alsoOn: ["sched_wakeup_new"])),
        ("dequeue", RawTracepointProbe(group: "sched", event: "sched_switch", argumentCount: 4,
                                       arguments: describing(1, cpu: true) + [ProbeArgument("int", "1")], filters: leavesRunQueue)),
        ("sleep", RawTracepointProbe(group: "sched", event: "sched_switch", argumentCount: 4, filters: leavesRunQueue)),
        ("preempt", RawTracepointProbe(group: "sched", event: "sched_switch", argumentCount: 4,
                                       filters: [.argumentEquals(0, value: 0, equal: false)])),
        // sched_pi_setprio(task, pi_task): the new priority is pi_task's, or the task's own.
        ("change-pri", RawTracepointProbe(group: "sched", event: "sched_pi_setprio", argumentCount: 2,
                                          arguments: describing(0) + [ProbeArgument("int", "arg1 ? ((\(task))arg1)->prio : ((\(task))arg0)->normal_prio")])),
        ("surrender", RawTracepointProbe(group: "raw_syscalls", event: "sys_enter", argumentCount: 2, arguments: describingCurrent,
                                         filters: [.argumentEquals(1, value: Int64(SyscallNumbers.x86_64["sched_yield"] ?? -1), equal: true)])),
        ("tick", RawTracepointProbe(group: "timer", event: "hrtimer_expire_entry", argumentCount: 2, arguments: describingCurrent,
                                    filters: [.memberIsFunction(0, structure: "hrtimer", member: "function", functions: ["tick_nohz_handler", "tick_sched_timer"])])),
    ]

    /// args[] describing the thread the probe fires in.
    static let describingCurrent = [ProbeArgument("lwpsinfo_t *", "xlate<lwpsinfo_t *>(curthread)"), ProbeArgument("psinfo_t *", "xlate<psinfo_t *>(curthread)")]

    /// DTrace's sched probes with nothing to stand on here, and why.
    static let missing: [String: String] = [
        "remain-cpu": "the kernel has no tracepoint for a scheduling decision that keeps the running thread",
    ]

    public func probes(in environment: ProbeEnvironment) -> [Probe] { probes(from: Self.table, firstID: 120, in: environment) }
    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { rawTracepointArgumentTypes(of: probe) }
    public var translatesArguments: Bool { true }
    public func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]? { rawTracepointArgumentExpressions(of: probe) }

    public func matchFailure(for description: ProbeDescription, in environment: ProbeEnvironment) -> (tag: String, message: String)? {
        rawTracepointMatchFailure(for: description, table: Self.table, missing: Self.missing, in: environment)
    }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let rawProbe = probe.detail(as: RawTracepointProbe.self) else { throw KernelSetupError("\(probe.identity.fullName) has no raw tracepoint") }
        if rawProbe.event == "sched_switch", probe.identity.name == "on-cpu" || probe.identity.name == "off-cpu" {
            guard let task = setup.types.taskFieldOffsets else {
                throw KernelSetupError("sched:::\(probe.identity.name) needs the kernel's BTF (for the tasks' thread IDs)")
            }
            let prologue = SwitchPrologue(task: task, runsAsNext: probe.identity.name == "on-cpu")
            return KernelProbe(programType: .rawTracepoint, prologue: prologue) { program, attachments in
                try attachments.attachRawTracepoint("sched_switch", program: program)
            }
        }
        return try rawProbe.kernelProbe(in: setup)
    }
}

/// The raw sched_switch tracepoint's context (preempt, prev, next, prev_state): arg0 is
/// next's thread ID, arg1 prev's, arg2 and arg3 their tasks; on-cpu runs as `next`.
struct SwitchPrologue: ProbePrologue {
    let task: TaskFieldOffsets
    let runsAsNext: Bool
    var currentTask: TaskFieldOffsets? { runsAsNext ? task : nil }
    var argumentCount: Int { 4 }
    /// The context slots of next and prev.
    static let nextSlot: Int16 = 2, previousSlot: Int16 = 1

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        if demand.task && runsAsNext {
            code.asm.load(.r1, from: .r6, offset: 8 * Self.nextSlot, size: .double)
            code.asm.store(.r1, to: .r7, offset: code.taskSlot, size: .double)
        }
        for (index, slot) in [Self.nextSlot, Self.previousSlot].enumerated() {
            if demand.needsArgument(index) {
                code.asm.load(.r3, from: .r6, offset: 8 * slot, size: .double)
                code.probeReadKernel(from: .r3, offset: Int32(task.threadID), size: 4, into: code.argumentSlot(index), of: .r7)
            }
            if demand.needsArgument(index + 2) {
                code.asm.load(.r0, from: .r6, offset: 8 * slot, size: .double)
                code.storeArgument(index + 2, from: .r0)
            }
        }
    }
}
