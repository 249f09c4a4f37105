// DTraceProviders/ProcProvider: DTrace's proc probes (IDs 100 +) on the kernel's raw
// scheduler, signal and system call tracepoints, with DTrace's arguments translated from
// the kernel's (psinfo_t and lwpsinfo_t from struct task_struct):
// - sched and signal: create and lwp-create (a new process or a new thread, told apart
//   by the child's pid and tgid), exec-success, exit (the reason: CLD_EXITED, CLD_KILLED
//   or CLD_DUMPED from the exit code) and lwp-exit (every thread, a process's main thread
//   too), signal-send, signal-discard (a signal the target ignores) and signal-handle (a
//   signal that kills reports the signal that did, not the SIGKILL the kernel turns it
//   into, as Oracle's does);
// - raw_syscalls' sys_enter: exec (every execve or execveat attempt, args[0] the path);
// - raw_syscalls' sys_exit: exec-failure (execve or execveat returning an error: args[0]
//   is it, negative), start and lwp-start (fork, vfork or clone returning 0 in the new
//   process or thread, before its own code; lwp-start fires for a process's first thread
//   too) and signal-clear (rt_sigtimedwait taking a pending signal: args[0] is it).
// arg0..argN are the tracepoint's own arguments. A description naming a probe whose
// tracepoint this kernel lacks says so.

import DTraceCodegen
import DTraceIR
import DTracePlatform
import DTraceSystem

public struct ProcProvider: Provider {
    public init() {}
    public var name: String { "proc" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes(names: "Private", data: "Private", dependency: "Unknown") }
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
        // sys_enter(regs, id) of execve(path...) or execveat(fd, path...): every attempt.
        ("exec", RawTracepointProbe(group: "raw_syscalls", event: "sys_enter", argumentCount: 2,
                                    arguments: [ProbeArgument("string", "copyinstr(arg1 == \(SyscallNumbers.x86_64["execveat"] ?? -1) ? ((struct pt_regs *)arg0)->si : ((struct pt_regs *)arg0)->di)")],
                                    filters: [.argumentIn(1, values: numbers(["execve", "execveat"]))])),
        // sched_process_exec(task, old_pid, bprm)
        ("exec-success", RawTracepointProbe(group: "sched", event: "sched_process_exec", argumentCount: 3)),
        // sched_process_exit(task[, group_dead]): the process's exit is its main thread's.
        ("exit", RawTracepointProbe(group: "sched", event: "sched_process_exit", argumentCount: 1,
                                    arguments: [ProbeArgument("int", "(((struct task_struct *)arg0)->exit_code & 0x7f) == 0 ? CLD_EXITED : (((struct task_struct *)arg0)->exit_code & 0x80) ? CLD_DUMPED : CLD_KILLED")],
                                    filters: [.membersEqual(0, structure: "task_struct", first: "pid", second: "tgid", equal: true)])),
        ("lwp-create", RawTracepointProbe(group: "sched", event: "sched_process_fork", argumentCount: 2,
                                          arguments: [.translated("lwpsinfo_t *", from: task, argument: 1), .translated("psinfo_t *", from: task, argument: 1)],
                                          filters: [.membersEqual(1, structure: "task_struct", first: "pid", second: "tgid", equal: false)])),
        // Every thread's exit, its process's main thread's too (then before exit), as DTrace's.
        ("lwp-exit", RawTracepointProbe(group: "sched", event: "sched_process_exit", argumentCount: 1)),
        // signal_generate(sig, info, task, group, result); result 1 is TRACE_SIGNAL_IGNORED.
        ("signal-send", RawTracepointProbe(group: "signal", event: "signal_generate", argumentCount: 5,
                                           arguments: [.translated("lwpsinfo_t *", from: task, argument: 2), .translated("psinfo_t *", from: task, argument: 2), signalNumber])),
        ("signal-discard", RawTracepointProbe(group: "signal", event: "signal_generate", argumentCount: 5,
                                              arguments: [.translated("lwpsinfo_t *", from: task, argument: 2), .translated("psinfo_t *", from: task, argument: 2), signalNumber],
                                              filters: [.argumentEquals(4, value: 1, equal: true)])),
        // signal_deliver(sig, info, ka)
        ("signal-handle", RawTracepointProbe(group: "signal", event: "signal_deliver", argumentCount: 3,
                                             arguments: [ProbeArgument("int", "arg0 == SIGKILL && curthread->signal->group_exit_code > 0 ? curthread->signal->group_exit_code : (int)arg0"),
                                                         ProbeArgument("siginfo_t *", "(siginfo_t *)arg1"),
                                                         ProbeArgument("void (*)(void)", "(uintptr_t)((struct k_sigaction *)arg2)->sa.sa_handler")])),
        // sys_exit(regs, ret) of execve or execveat returning an error.
        ("exec-failure", RawTracepointProbe(group: "raw_syscalls", event: "sys_exit", argumentCount: 2,
                                            arguments: [ProbeArgument("int", "(int)arg1")],
                                            filters: [systemCalls(["execve", "execveat"]), .argumentBits(1, mask: 1 << 63, set: true)])),
        // sys_exit(regs, 0) of fork, vfork or clone in the new task.
        ("start", RawTracepointProbe(group: "raw_syscalls", event: "sys_exit", argumentCount: 2,
                                     filters: [systemCalls(newTaskCalls), .argumentEquals(1, value: 0, equal: true), .currentThreadIsLeader(true)])),
        ("lwp-start", RawTracepointProbe(group: "raw_syscalls", event: "sys_exit", argumentCount: 2,
                                         filters: [systemCalls(newTaskCalls), .argumentEquals(1, value: 0, equal: true)])),
        // sys_exit(regs, signal) of rt_sigtimedwait taking a signal.
        ("signal-clear", RawTracepointProbe(group: "raw_syscalls", event: "sys_exit", argumentCount: 2,
                                            arguments: [ProbeArgument("int", "(int)arg1")],
                                            filters: [systemCalls(["rt_sigtimedwait"]), .argumentBits(1, mask: 1 << 63, set: false),
                                                      .argumentEquals(1, value: 0, equal: false)])),
    ]

    static let newTaskCalls = ["fork", "vfork", "clone", "clone3"]
    /// sys_exit's regs->orig_ax is one of these system calls.
    static func systemCalls(_ names: [String]) -> RawTracepointFilter {
        .memberIn(0, structure: "pt_regs", member: "orig_ax", values: numbers(names))
    }
    static func numbers(_ names: [String]) -> [Int64] { names.compactMap { SyscallNumbers.x86_64[$0].map(Int64.init) } }

    public func probes(in environment: ProbeEnvironment) -> [Probe] { probes(from: Self.table, firstID: 100, in: environment) }

    public func matchFailure(for description: ProbeDescription, in environment: ProbeEnvironment) -> (tag: String, message: String)? {
        rawTracepointMatchFailure(for: description, table: Self.table, missing: [:], in: environment)
    }
    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { rawTracepointArgumentTypes(of: probe) }
    public var translatesArguments: Bool { true }
    public func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]? { rawTracepointArgumentExpressions(of: probe) }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        try rawTracepointKernelProbe(for: probe, in: setup)
    }
}
