// DTraceProviders/ProcProvider: DTrace's proc probes (IDs 100 +) on the kernel's raw
// scheduler and signal tracepoints, with DTrace's arguments translated from the kernel's
// (psinfo_t and lwpsinfo_t from struct task_struct): create and lwp-create (a new process
// or a new thread, told apart by the child's pid and tgid), exec (the path, before the
// point of no return), exec-success, exit (the reason: CLD_EXITED, CLD_KILLED or
// CLD_DUMPED from the exit code) and lwp-exit, signal-send, signal-discard (a signal the
// target ignores) and signal-handle. arg0..argN are the tracepoint's own arguments.
// start, lwp-start, exec-failure and signal-clear have no tracepoint to stand on here: a
// description naming one says so, as it does for a probe whose tracepoint this kernel lacks.

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
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints], how: "raw sched and signal tracepoints")
    }

    static let task = "struct task_struct *"
    static let signalNumber = ProbeArgument.plain("int", argument: 0)

    static let table: [(name: String, probe: RawTracepointProbe)] = [
        // sched_process_fork(parent, child)
        ("create", RawTracepointProbe(group: "sched", event: "sched_process_fork", argumentCount: 2,
                                      arguments: [.translated("psinfo_t *", from: task, argument: 1)],
                                      filters: [.membersEqual(1, structure: "task_struct", first: "pid", second: "tgid", equal: true)])),
        // sched_prepare_exec(task, bprm)
        ("exec", RawTracepointProbe(group: "sched", event: "sched_prepare_exec", argumentCount: 2,
                                    arguments: [ProbeArgument("string", "stringof(((struct linux_binprm *)arg1)->filename)")])),
        // sched_process_exec(task, old_pid, bprm)
        ("exec-success", RawTracepointProbe(group: "sched", event: "sched_process_exec", argumentCount: 3)),
        // sched_process_exit(task[, group_dead]): the process's exit is its main thread's.
        ("exit", RawTracepointProbe(group: "sched", event: "sched_process_exit", argumentCount: 1,
                                    arguments: [ProbeArgument("int", "(((struct task_struct *)arg0)->exit_code & 0x7f) == 0 ? CLD_EXITED : (((struct task_struct *)arg0)->exit_code & 0x80) ? CLD_DUMPED : CLD_KILLED")],
                                    filters: [.membersEqual(0, structure: "task_struct", first: "pid", second: "tgid", equal: true)])),
        ("lwp-create", RawTracepointProbe(group: "sched", event: "sched_process_fork", argumentCount: 2,
                                          arguments: [.translated("lwpsinfo_t *", from: task, argument: 1), .translated("psinfo_t *", from: task, argument: 1)],
                                          filters: [.membersEqual(1, structure: "task_struct", first: "pid", second: "tgid", equal: false)])),
        ("lwp-exit", RawTracepointProbe(group: "sched", event: "sched_process_exit", argumentCount: 1,
                                        filters: [.membersEqual(0, structure: "task_struct", first: "pid", second: "tgid", equal: false)])),
        // signal_generate(sig, info, task, group, result); result 1 is TRACE_SIGNAL_IGNORED.
        ("signal-send", RawTracepointProbe(group: "signal", event: "signal_generate", argumentCount: 5,
                                           arguments: [.translated("lwpsinfo_t *", from: task, argument: 2), .translated("psinfo_t *", from: task, argument: 2), signalNumber])),
        ("signal-discard", RawTracepointProbe(group: "signal", event: "signal_generate", argumentCount: 5,
                                              arguments: [.translated("lwpsinfo_t *", from: task, argument: 2), .translated("psinfo_t *", from: task, argument: 2), signalNumber],
                                              filters: [.argumentEquals(4, value: 1, equal: true)])),
        // signal_deliver(sig, info, ka)
        ("signal-handle", RawTracepointProbe(group: "signal", event: "signal_deliver", argumentCount: 3,
                                             arguments: [signalNumber, ProbeArgument("siginfo_t *", "(siginfo_t *)arg1"),
                                                         ProbeArgument("void (*)(void)", "(uintptr_t)((struct k_sigaction *)arg2)->sa.sa_handler")])),
    ]

    /// DTrace's proc probes with nothing to stand on here, and why.
    static let missing: [String: String] = [
        "start": "the kernel has no tracepoint where a new process first runs",
        "lwp-start": "the kernel has no tracepoint where a new thread first runs",
        "exec-failure": "the kernel has no tracepoint for a failed exec",
        "signal-clear": "the kernel has no tracepoint for a pending signal taken by sigwait",
    ]

    public func probes(in environment: ProbeEnvironment) -> [Probe] { probes(from: Self.table, firstID: 100, in: environment) }

    public func matchFailure(for description: ProbeDescription, in environment: ProbeEnvironment) -> (tag: String, message: String)? {
        rawTracepointMatchFailure(for: description, table: Self.table, missing: Self.missing, in: environment)
    }
    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { rawTracepointArgumentTypes(of: probe) }
    public var translatesArguments: Bool { true }
    public func argumentExpressions(of probe: Probe) -> [String]? { rawTracepointArgumentExpressions(of: probe) }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        try rawTracepointKernelProbe(for: probe, in: setup)
    }
}
