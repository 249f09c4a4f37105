// DTraceSystem/PtraceThread: ptrace(2) on one thread of another process, as the ptrace
// engine (DTracePtrace) drives it — seizing with options, interrupting, listening,
// resuming (continue, single step, to the next system call) with a signal to deliver,
// detaching; the registers as struct user_regs_struct's 27 words (`TraceeRegisters`);
// the stop's signal information, event message and system-call information — and
// waiting for the calling thread's tracees (`TraceeWait`) with a deadline, and the
// stops and exits it reports (`WaitStatus`). Every request must come from the thread
// that seized the tracee. The trap flag is never set here: single steps are
// PTRACE_SINGLESTEP's.

import CLinux
import Glibc

/// PTRACE_O_* options given at PTRACE_SEIZE.
public struct PtraceOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// System-call stops report SIGTRAP | 0x80.
    public static let traceSystemCallsGood = PtraceOptions(rawValue: 0x1)
    public static let traceFork = PtraceOptions(rawValue: 0x2)
    public static let traceVFork = PtraceOptions(rawValue: 0x4)
    public static let traceClone = PtraceOptions(rawValue: 0x8)
    public static let traceExec = PtraceOptions(rawValue: 0x10)
    public static let traceVForkDone = PtraceOptions(rawValue: 0x20)
    public static let traceExit = PtraceOptions(rawValue: 0x40)
    public static let traceSeccomp = PtraceOptions(rawValue: 0x80)
    /// The tracee is sent SIGKILL if the tracer exits (even when it is SIGKILLed).
    public static let exitKill = PtraceOptions(rawValue: 0x100000)
}

/// PTRACE_EVENT_* numbers, as a stop's `event` carries them.
public enum PtraceEvent: Int32, Sendable {
    case fork = 1, vfork = 2, clone = 3, exec = 4, vforkDone = 5, exit = 6, seccomp = 7
    /// PTRACE_INTERRUPT, a group-stop, or a new tracee's first stop (PTRACE_SEIZE only).
    case stop = 128
}

/// What waitpid(2) said of a tracee or child.
public enum WaitStatus: Equatable, Sendable {
    case exited(code: Int32)
    case killed(signal: Int32, coreDumped: Bool)
    /// A ptrace stop: `signal` (SIGTRAP | 0x80 for a system-call stop) and the
    /// PTRACE_EVENT_* number (0 for none).
    case stopped(signal: Int32, event: Int32)

    public init(rawStatus status: Int32) {
        let low = status & 0x7f
        if low == 0 {
            self = .exited(code: (status >> 8) & 0xff)
        } else if status & 0xff == 0x7f {
            self = .stopped(signal: (status >> 8) & 0xff, event: (status >> 16) & 0xff)
        } else {
            self = .killed(signal: low, coreDumped: status & 0x80 != 0)
        }
    }
}

/// The calling thread's tracees and children, waited for.
/// A periodic signal to the calling thread that interrupts its blocking waits
/// (`TraceeWait.takeInterruptibly`), so a loop blocked in them looks at its flags (a
/// SIGINT's) at least once a period, at no cost to the waits themselves.
public enum WakeTimer {
    public static func start(periodNanoseconds: Int64) throws(SystemError) {
        if clinux_wake_timer_start(periodNanoseconds) != 0 { throw SystemError("timer_create") }
    }
    /// The started timer's next signal at `deadline` (CLOCK_MONOTONIC ns), then every
    /// millisecond; nil: every `periodNanoseconds` again.
    public static func move(to deadline: Int64?, periodNanoseconds: Int64) throws(SystemError) {
        if clinux_wake_timer_move(deadline ?? -1, periodNanoseconds) != 0 { throw SystemError("timer_settime") }
    }
    public static func stop() { clinux_wake_timer_stop() }
}

public enum TraceeWait {
    /// What is waiting to be reported, not yet consumed.
    public struct News: Equatable, Sendable {
        public var processID: Int32
        /// A ptrace stop (CLD_TRAPPED), not an exit.
        public var isStop: Bool
    }

    /// The next tracee or child (of `processID`, or any when nil) with news, without
    /// consuming it; nil when `deadline` (CLOCK_MONOTONIC ns; nil: none) passes first.
    public static func peek(processID: Int32? = nil, deadline: Int64?) throws(SystemError) -> News? {
        var found: Int32 = 0
        var kind: Int32 = 0
        let result = clinux_wait_news(processID ?? -1, deadline ?? -1, &found, &kind)
        if result < 0 { throw SystemError("waitid") }
        return result == 0 ? nil : News(processID: found, isStop: kind == CLD_TRAPPED)
    }

    /// Consumes the news of `processID` (-1: any), waiting until `deadline` (nil: no
    /// limit; a passed deadline only looks); nil when there is none by then.
    public static func take(processID: Int32, deadline: Int64?) throws(SystemError) -> (processID: Int32, status: WaitStatus)? {
        var status: Int32 = 0
        let result = clinux_wait_status(processID, deadline ?? -1, &status)
        if result < 0 { throw SystemError("waitpid(\(processID))") }
        return result == 0 ? nil : (result, WaitStatus(rawStatus: status))
    }

    /// Consumes the next news of `processID` (-1: any child), blocking; nil when a signal
    /// handler ran first (the wake timer's: `WakeTimer`).
    public static func takeInterruptibly(processID: Int32) throws(SystemError) -> (processID: Int32, status: WaitStatus)? {
        var status: Int32 = 0
        let result = clinux_wait_status_interruptible(processID, &status)
        if result < 0 { if errno == EINTR { return nil }; throw SystemError("waitpid(\(processID))") }
        return result == 0 ? nil : (result, WaitStatus(rawStatus: status))
    }

    /// A deadline that has already passed: `take` and `peek` only look.
    public static let now: Int64 = 0
}

/// A stop's siginfo_t: the fields the engine decides on, and the whole of it to give back.
public struct StopSignalInfo: Equatable, Sendable {
    public var signal: Int32
    public var code: Int32
    public var errorNumber: Int32
    public var senderProcessID: Int32
    /// si_addr (the faulting address for SIGSEGV/SIGBUS, the trap address for some traps).
    public var address: UInt64
    /// The 128 bytes of siginfo_t, for PTRACE_SETSIGINFO.
    public var raw: [UInt8]

    public init(signal: Int32, code: Int32 = 0, errorNumber: Int32 = 0, senderProcessID: Int32 = 0, address: UInt64 = 0, raw: [UInt8] = []) {
        self.signal = signal
        self.code = code
        self.errorNumber = errorNumber
        self.senderProcessID = senderProcessID
        self.address = address
        self.raw = raw
    }

    /// si_code values of SIGTRAP.
    public static let codeKernel: Int32 = 0x80      // SI_KERNEL: int3 on x86-64
    public static let codeUser: Int32 = 0           // SI_USER: kill(2)
    public static let codeBreakpoint: Int32 = 1     // TRAP_BRKPT (a single step over a system call too)
    public static let codeTrace: Int32 = 2          // TRAP_TRACE: a single step
}

/// PTRACE_GET_SYSCALL_INFO at a system-call or seccomp stop.
public enum SystemCallStop: Equatable, Sendable {
    case entry(number: UInt64, arguments: [UInt64])
    case exit(returnValue: Int64, isError: Bool)
    case seccomp(number: UInt64, arguments: [UInt64], data: UInt32)
    case none
}

/// struct user_regs_struct: the 27 words PTRACE_GETREGS/SETREGS move, in the kernel's order.
public struct TraceeRegisters: Equatable, Hashable, Sendable {
    public var r15: UInt64 = 0, r14: UInt64 = 0, r13: UInt64 = 0, r12: UInt64 = 0
    public var rbp: UInt64 = 0, rbx: UInt64 = 0, r11: UInt64 = 0, r10: UInt64 = 0
    public var r9: UInt64 = 0, r8: UInt64 = 0, rax: UInt64 = 0, rcx: UInt64 = 0
    public var rdx: UInt64 = 0, rsi: UInt64 = 0, rdi: UInt64 = 0
    /// The system call being made (-1 outside one): the kernel's restart logic reads it.
    public var origRax: UInt64 = 0
    public var rip: UInt64 = 0, cs: UInt64 = 0, eflags: UInt64 = 0, rsp: UInt64 = 0, ss: UInt64 = 0
    public var fsBase: UInt64 = 0, gsBase: UInt64 = 0
    public var ds: UInt64 = 0, es: UInt64 = 0, fs: UInt64 = 0, gs: UInt64 = 0

    public static let wordCount = 27
    /// Byte offset of rip in struct user (PTRACE_PEEKUSER/POKEUSER).
    public static let ripOffset: UInt64 = 16 * 8

    public init() {}

    /// From the 27 words in the kernel's order (missing words read as 0).
    public init(words: [UInt64]) {
        func word(_ index: Int) -> UInt64 { index < words.count ? words[index] : 0 }
        r15 = word(0); r14 = word(1); r13 = word(2); r12 = word(3); rbp = word(4); rbx = word(5)
        r11 = word(6); r10 = word(7); r9 = word(8); r8 = word(9); rax = word(10); rcx = word(11)
        rdx = word(12); rsi = word(13); rdi = word(14); origRax = word(15); rip = word(16); cs = word(17)
        eflags = word(18); rsp = word(19); ss = word(20); fsBase = word(21); gsBase = word(22)
        ds = word(23); es = word(24); fs = word(25); gs = word(26)
    }

    /// The 27 words in the kernel's order.
    public var words: [UInt64] {
        [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, origRax, rip, cs,
         eflags, rsp, ss, fsBase, gsBase, ds, es, fs, gs]
    }
}

/// One thread of a traced process (its tid), as the thread that seized it sees it.
public struct PtraceThread: Hashable, Sendable {
    public let threadID: Int32
    public init(_ threadID: Int32) { self.threadID = threadID }

    private enum Request: Int32 {
        case peekText = 1, continueRunning = 7, singleStep = 9, detach = 17, systemCall = 24
        case seize = 0x4206, interrupt = 0x4207, listen = 0x4208
    }

    private func call(_ request: Request, _ name: String, address: UInt64 = 0, data: UInt64 = 0) throws(SystemError) {
        guard clinux_ptrace(request.rawValue, threadID, address, data) == 0 else { throw SystemError("ptrace(\(name), \(threadID))") }
    }

    /// PTRACE_SEIZE: traced without being stopped. ESRCH when the thread is gone.
    public func seize(options: PtraceOptions) throws(SystemError) {
        try call(.seize, "PTRACE_SEIZE", data: options.rawValue)
    }

    /// PTRACE_INTERRUPT: the thread stops (PTRACE_EVENT_STOP) at its next chance.
    public func interrupt() throws(SystemError) { try call(.interrupt, "PTRACE_INTERRUPT") }

    /// PTRACE_LISTEN: from a group-stop, stays stopped but reports again when it is
    /// continued (SIGCONT) or interrupted.
    public func listen() throws(SystemError) { try call(.listen, "PTRACE_LISTEN") }

    /// PTRACE_CONT, delivering `signal` (0: none; only a signal-delivery-stop delivers).
    public func resume(signal: Int32 = 0) throws(SystemError) {
        try call(.continueRunning, "PTRACE_CONT", data: UInt64(UInt32(bitPattern: signal)))
    }

    /// PTRACE_SYSCALL: runs to the next system-call entry or exit.
    public func resumeToSystemCall(signal: Int32 = 0) throws(SystemError) {
        try call(.systemCall, "PTRACE_SYSCALL", data: UInt64(UInt32(bitPattern: signal)))
    }

    /// PTRACE_SINGLESTEP: one instruction, then a SIGTRAP stop (TRAP_TRACE; TRAP_BRKPT
    /// after a system call).
    public func singleStep(signal: Int32 = 0) throws(SystemError) {
        try call(.singleStep, "PTRACE_SINGLESTEP", data: UInt64(UInt32(bitPattern: signal)))
    }

    /// PTRACE_DETACH, delivering `signal` from a signal-delivery-stop.
    public func detach(signal: Int32 = 0) throws(SystemError) {
        try call(.detach, "PTRACE_DETACH", data: UInt64(UInt32(bitPattern: signal)))
    }

    public func registers() throws(SystemError) -> TraceeRegisters {
        var words = [UInt64](repeating: 0, count: TraceeRegisters.wordCount)
        guard clinux_ptrace_get_registers(threadID, &words) == 0 else { throw SystemError("ptrace(PTRACE_GETREGS, \(threadID))") }
        return TraceeRegisters(words: words)
    }

    public func setRegisters(_ registers: TraceeRegisters) throws(SystemError) {
        guard clinux_ptrace_set_registers(threadID, registers.words) == 0 else { throw SystemError("ptrace(PTRACE_SETREGS, \(threadID))") }
    }

    /// Sets the registers to `registers` from `current` (what the thread holds now): one
    /// PTRACE_POKEUSER per general register that differs when at most two do (an emulated
    /// push changes rsp alone: a POKEUSER costs a third of a SETREGS here), else SETREGS.
    public func setRegisters(_ registers: TraceeRegisters, from current: TraceeRegisters) throws(SystemError) {
        let new = registers.words, old = current.words
        var changed: [Int] = []
        for index in 0..<TraceeRegisters.wordCount where new[index] != old[index] {
            guard Self.pokedRegisters.contains(index), changed.count < 2 else { return try setRegisters(registers) }
            changed.append(index)
        }
        for index in changed {
            guard clinux_ptrace_poke_user(threadID, UInt64(index * 8), new[index]) == 0 else { throw SystemError("ptrace(PTRACE_POKEUSER, \(threadID))") }
        }
    }

    /// user_regs_struct words written one by one: r15 ... rdi (0-14), rip (16), rsp (19).
    /// orig_rax, the segment registers, eflags and the bases go through SETREGS.
    static let pokedRegisters: Set<Int> = Set(0...14).union([16, 19])

    /// rip alone (PTRACE_PEEKUSER).
    public func programCounter() throws(SystemError) -> UInt64 {
        var value: UInt64 = 0
        guard clinux_ptrace_peek_user(threadID, TraceeRegisters.ripOffset, &value) == 0 else { throw SystemError("ptrace(PTRACE_PEEKUSER, \(threadID))") }
        return value
    }

    /// Sets rip alone (PTRACE_POKEUSER); orig_rax is left as it is.
    public func setProgramCounter(_ address: UInt64) throws(SystemError) {
        guard clinux_ptrace_poke_user(threadID, TraceeRegisters.ripOffset, address) == 0 else { throw SystemError("ptrace(PTRACE_POKEUSER, \(threadID))") }
    }

    /// PTRACE_GETEVENTMSG.
    public func eventMessage() throws(SystemError) -> UInt64 {
        var message: UInt64 = 0
        guard clinux_ptrace_event_message(threadID, &message) == 0 else { throw SystemError("ptrace(PTRACE_GETEVENTMSG, \(threadID))") }
        return message
    }

    /// PTRACE_GETSIGINFO (EINVAL at a group-stop).
    public func signalInfo() throws(SystemError) -> StopSignalInfo {
        var fields: [Int32] = [0, 0, 0, 0]
        var address: UInt64 = 0
        var raw = [UInt8](repeating: 0, count: 128)
        guard clinux_ptrace_signal_info(threadID, &fields, &address, &raw) == 0 else { throw SystemError("ptrace(PTRACE_GETSIGINFO, \(threadID))") }
        return StopSignalInfo(signal: fields[0], code: fields[1], errorNumber: fields[2], senderProcessID: fields[3], address: address, raw: raw)
    }

    /// PTRACE_SETSIGINFO: the siginfo_t a later resume with its signal delivers.
    public func setSignalInfo(_ raw: [UInt8]) throws(SystemError) {
        guard raw.count == 128 else { throw SystemError("PTRACE_SETSIGINFO needs 128 bytes", code: EINVAL) }
        guard clinux_ptrace_set_signal_info(threadID, raw) == 0 else { throw SystemError("ptrace(PTRACE_SETSIGINFO, \(threadID))") }
    }

    /// PTRACE_GET_SYSCALL_INFO.
    public func systemCallStop() throws(SystemError) -> SystemCallStop {
        // On the stack (no array to allocate at every stop): op, nr, six arguments, then
        // the return value or seccomp data, and is_error.
        var out: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let status = withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: UInt64.self, capacity: 10) { clinux_ptrace_syscall_info(threadID, $0) } }
        guard status == 0 else { throw SystemError("ptrace(PTRACE_GET_SYSCALL_INFO, \(threadID))") }
        switch out.0 {
        case 1: return .entry(number: out.1, arguments: [out.2, out.3, out.4, out.5, out.6, out.7])
        case 2: return .exit(returnValue: Int64(bitPattern: out.8), isError: out.9 != 0)
        case 3: return .seccomp(number: out.1, arguments: [out.2, out.3, out.4, out.5, out.6, out.7], data: UInt32(truncatingIfNeeded: out.8))
        default: return .none
        }
    }

    /// tgkill(2): `signal` to this thread of process `processID`.
    public func send(signal: Int32, processID: Int32) throws(SystemError) {
        guard clinux_tgkill(processID, threadID, signal) == 0 else { throw SystemError("tgkill(\(processID), \(threadID), \(signal))") }
    }
}

extension SignalNumber {
    /// SIGKILL.
    public static let kill: Int32 = SIGKILL
    /// SIGCONT.
    public static let `continue`: Int32 = SIGCONT
    /// SIGUSR1.
    public static let user1: Int32 = SIGUSR1
    /// The signals that stop a process (a group-stop).
    public static let stopSignals: Set<Int32> = [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]
}

extension ErrorNumber {
    /// ESRCH: no such process or thread.
    public static let noSuchProcess: Int32 = ESRCH
    /// EFAULT: a bad address.
    public static let badAddress: Int32 = EFAULT
    /// EIO: an I/O error (/proc/PID/mem past a mapping).
    public static let inputOutput: Int32 = EIO
    /// EEXIST: it exists (mmap with MAP_FIXED_NOREPLACE over a mapping).
    public static let exists: Int32 = EEXIST
    /// EINVAL: an invalid argument.
    public static let invalidArgument: Int32 = EINVAL
    /// ECHILD: nothing to wait for.
    public static let noChild: Int32 = ECHILD
}
