// DTracePtrace/TraceEvent: what the event loop reports of a traced process — one thread's
// stop or exit, typed (`TraceEvent`), what a stopped thread is stopped at (`ThreadStop`,
// which decides how it is resumed) — and the errors of tracee control (`PtraceError`).

import DTraceSystem

/// One thing a traced thread did. The thread is stopped after every event but the exits
/// and `timedOut`; `TracedProcess.resume(thread:)` lets it go on.
public struct TraceEvent: Equatable, Sendable {
    public var thread: Int32
    public var kind: Kind

    public init(thread: Int32, kind: Kind) {
        self.thread = thread
        self.kind = kind
    }

    public enum Kind: Equatable, Sendable {
        /// An int3 of the breakpoint table at `address` trapped (rip is `address` + 1 in
        /// `registers`): step the displaced instruction out of line (or emulate it) before
        /// resuming. (Boxed: the registers are 216 bytes, and every event is copied on its
        /// way from the wait to the tracer.)
        indirect case breakpoint(address: UInt64, registers: TraceeRegisters)
        /// A single step asked for with `singleStep(thread:)` is done.
        case singleStep
        /// The process exec'd (the thread is the process's id; `formerThread` the thread
        /// that called execve). Its breakpoints and scratch page went with the old image.
        case exec(formerThread: Int32)
        /// A new thread, already traced (it runs without further ado).
        case threadCreated(Int32)
        /// A new process, stopped before it runs anything: call `removeBreakpoints(inChild:)`
        /// (a vfork child shares the parent's memory: the breakpoints are lifted until the
        /// parent's `vforkDone`).
        case forked(child: Int32, isVFork: Bool)
        /// The vfork child exec'd or exited; the breakpoints lifted for it are back.
        case vforkDone
        /// A thread other than the process's first one ended.
        case threadExited(WaitStatus)
        /// The process ended: its exit status, or the signal that killed it.
        case exited(code: Int32)
        case killed(signal: Int32)
        /// A signal is about to be delivered to the thread; resuming delivers it unchanged.
        case signal(StopSignalInfo)
        /// The process stops (SIGSTOP and its kin): resuming listens (PTRACE_LISTEN), so the
        /// thread stays stopped until SIGCONT.
        case groupStop(signal: Int32)
        /// System-call stops (with `tracesSystemCalls`).
        case systemCallEntry(number: UInt64, arguments: [UInt64])
        case systemCallExit(returnValue: Int64, isError: Bool)
        /// The exit stop of the call the thread entered last, not read (with
        /// `readsSystemCallExits` off): the registers hold its return value.
        case systemCallExitUnread
        /// A seccomp filter returned SECCOMP_RET_TRACE (with `TraceOptions.seccompStops`).
        case seccomp(number: UInt64, arguments: [UInt64], data: UInt32)
        /// The deadline passed first.
        case timedOut
    }
}

/// Where a stopped thread is stopped, as far as resuming it is concerned.
public enum ThreadStop: Equatable, Sendable {
    /// At a breakpoint not yet stepped over: it may not be resumed as it is.
    case breakpoint(address: UInt64)
    /// A SIGTRAP of the tracer's own making (a single step, a step out of line, a system
    /// call injected): resumed without it, delivering the signals that arrived meanwhile.
    case trapped
    /// A signal-delivery-stop: resumed delivering the signal.
    case signal(Int32)
    /// A group-stop: resumed with PTRACE_LISTEN.
    case groupStop(Int32)
    /// A system-call or seccomp stop.
    case systemCall
    /// PTRACE_INTERRUPT's stop, or a new thread's first.
    case interrupted
    /// A ptrace event (exec, clone, fork, vfork, vfork done), inside the system call.
    case event(PtraceEvent)
}

/// What a traced thread is doing.
public enum ThreadState: Equatable, Sendable {
    case running
    /// Created (its clone was reported) but its first stop not yet seen.
    case starting
    /// In a group-stop, listening (PTRACE_LISTEN): stopped, but not in a ptrace stop.
    case listening
    case stopped(ThreadStop)
}

public enum PtraceError: Error, Equatable, CustomStringConvertible {
    case system(SystemError)
    case execFailed(command: String, errorNumber: Int32)
    case noSuchThread(Int32)
    case notStopped(thread: Int32)
    case breakpointNotStepped(thread: Int32, address: UInt64)
    case cannotInject(thread: Int32, reason: String)
    case processEnded
    case timedOut(String)
    case unexpected(String)

    public var description: String {
        switch self {
        case .system(let error): return error.description
        case .execFailed(let command, let code): return "cannot exec \(command): \(SystemError("", code: code).reason)"
        case .noSuchThread(let thread): return "thread \(thread) is not traced"
        case .notStopped(let thread): return "thread \(thread) is not stopped"
        case .breakpointNotStepped(let thread, let address):
            return "thread \(thread) is stopped at the breakpoint at 0x\(String(address, radix: 16)): step or emulate its instruction first"
        case .cannotInject(let thread, let reason): return "cannot make a system call in thread \(thread): \(reason)"
        case .processEnded: return "the process has ended"
        case .timedOut(let what): return "timed out \(what)"
        case .unexpected(let what): return what
        }
    }
}
