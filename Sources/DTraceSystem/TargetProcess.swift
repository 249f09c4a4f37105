// DTraceSystem/TargetProcess: the process named by -c (started held at a gate until
// the probes are enabled, then released) or -p (an existing process), and whether it
// is still alive. The gate is a pipe the forked child reads before it execs the command,
// so $target is the command's own pid and its output goes where dtrace's goes. How it
// ended (an exit status, a signal) is said as dtrace says it.
//
// A release may carry a seccomp filter (`SeccompFilter`) that the child installs just
// before it execs, so that a ptrace engine stops the command only at the system calls it
// traces; whether the kernel took it the child says in a word of memory it shares with
// dtrace (`systemCallFilterState`), since once the filter is in any system call may stop.
// For the engines that enable probes in the kernel, the child first passes its gate and
// stops itself (`stopAtGate`), so that nothing of the launcher — the gate's read, its
// close — is seen by probes enabled afterwards; released, it goes straight to its exec.
// The gate protocol is described at clinux_spawn_gated in CLinux's header.

import CLinux
import Glibc

public final class TargetProcess {
    public let processID: Int32
    /// For a process started here: the file its command runs (found on PATH).
    public private(set) var executablePath: String?
    /// Whether the process is held before running its command (-c, not yet released):
    /// at its gate, or stopped past it (`stopAtGate`).
    public var isHeld: Bool { gate >= 0 || isStoppedAtGate || isStoppedAtEvaluationPoint }
    /// Past its gate, stopped (SIGSTOP) just before its exec until `release()`.
    public private(set) var isStoppedAtGate = false
    /// Past its exec, stopped and traced at its evaluation point until `release()`
    /// (`runToEvaluationPoint`).
    public private(set) var isStoppedAtEvaluationPoint = false
    /// Started by dtrace (-c), not found (-p).
    public let isChild: Bool
    var gate: Int32
    /// Shared with the child (MAP_SHARED): what became of the filter it was released with.
    var report: UnsafeMutablePointer<clinux_gate_report>?
    var filterSent = false
    public private(set) var exitStatus: Int32?
    /// Traced by dtrace (the ptrace engine): the tracer's waits see its end, so it is not
    /// waited for here; the engine says how it ended (`noteEnded`).
    public private(set) var isTraced = false
    /// A pidfd for the process (readable once it has exited), -1 where the kernel has none.
    public let exitDescriptor: Int32

    /// The words of a -c command: split on ASCII white space (space, tab, newline, return,
    /// vertical tab, form feed), as dtrace's make_argv() splits it.
    public static func words(of command: String) -> [String] {
        command.split(whereSeparator: { $0.isASCII && $0.isWhitespace }).map(String.init)
    }

    /// Starts `command` (split into words, as dtrace -c does), held until `release()`.
    public static func spawn(_ command: String) throws(SystemError) -> TargetProcess {
        let words = Self.words(of: command)
        guard !words.isEmpty else { throw SystemError("empty command", code: EINVAL) }
        var gateEnds: [Int32] = [0, 0]
        guard pipe(&gateEnds) == 0 else { throw SystemError("pipe") }
        for end in gateEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let size = MemoryLayout<clinux_gate_report>.size
        guard let shared = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), shared != MAP_FAILED else {
            let error = SystemError("mmap")
            close(gateEnds[0]); close(gateEnds[1])
            throw error
        }
        let report = shared.bindMemory(to: clinux_gate_report.self, capacity: 1)
        report.initialize(to: clinux_gate_report(state: UInt32(CLINUX_GATE_FILTER_NONE), error: 0))
        var cArguments = words.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let pid = clinux_spawn_gated(&cArguments, gateEnds[0], gateEnds[1], report)
        let spawnError = errno
        close(gateEnds[0])
        guard pid > 0 else {
            close(gateEnds[1])
            munmap(shared, size)
            throw SystemError("fork(\(words[0]))", code: spawnError)
        }
        let target = TargetProcess(processID: pid, isChild: true, gate: gateEnds[1])
        target.report = report
        target.executablePath = SystemProcess.executablePath(words[0])
        return target
    }

    /// An existing process, checked for existence.
    public static func attach(_ pid: Int32) throws(SystemError) -> TargetProcess {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { throw SystemError("pid \(pid)", code: ESRCH) }
        return TargetProcess(processID: pid, isChild: false, gate: -1)
    }

    init(processID: Int32, isChild: Bool, gate: Int32) {
        self.processID = processID; self.isChild = isChild; self.gate = gate
        exitDescriptor = clinux_pidfd_open(processID)
        if exitDescriptor >= 0 { _ = fcntl(exitDescriptor, F_SETFD, FD_CLOEXEC) }
    }

    deinit {
        if gate >= 0 { close(gate) }
        if let report { munmap(report, MemoryLayout<clinux_gate_report>.size) }
        if exitDescriptor >= 0 { close(exitDescriptor) }
    }

    /// Takes a held child past its gate and waits until it has stopped itself there, just
    /// before its exec: probes enabled from now on see none of the gate's system calls,
    /// and `release()` continues it straight into the exec. (The ptrace engine seizes the
    /// child at its gate instead, and releases it through the gate.)
    public func stopAtGate() {
        guard gate >= 0 else { return }
        let message = [UInt8(CLINUX_GATE_STOP_MARKER)]
        let sent = message.withUnsafeBytes { clinux_write_all_without_sigpipe(gate, $0.baseAddress, 1) } == 1
        close(gate)
        gate = -1
        guard sent else { return }   // the child is gone
        // Stopped, or ended; left to be waited for (WNOWAIT) by hasExited.
        var information = siginfo_t()
        while waitid(P_PID, id_t(processID), &information, WSTOPPED | WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        isStoppedAtGate = true
    }

    /// Runs a held child into its command and keeps it stopped there, traced (PTRACE_SEIZE),
    /// where DTrace's evaltime says probes start: right after its exec (`breakpoint` nil),
    /// or at the address `breakpoint` gives once the exec is done — the program's entry
    /// point, when the dynamic linker has loaded and initialized its libraries, or main() —
    /// where a one-shot breakpoint is put and taken out again. `release()` lets it go on
    /// (PTRACE_DETACH). Signals it gets on the way are passed on; an end on the way is its
    /// end. Where it cannot be traced, it is held before its exec instead (`stopAtGate`).
    public func runToEvaluationPoint(breakpoint: ((_ processID: Int32) -> UInt64?)?) {
        guard gate >= 0 else { return }
        let thread = PtraceThread(processID)
        do { try thread.seize(options: [.traceExec, .exitKill]) } catch { return stopAtGate() }
        release()
        guard waitForStop(of: thread, where: { _, event in event == Self.execEvent }) else { return }
        if let breakpoint, let address = breakpoint(processID) {
            let memory = ProcessMemory(processID: processID)
            defer { memory.close() }
            if let original = try? memory.read(address: address, count: 1), original.count == 1, (try? memory.write([0xcc], at: address)) != nil {
                try? thread.resume()
                guard waitForStop(of: thread, where: { signal, event in
                    event == 0 && signal == SIGTRAP && (try? thread.programCounter()) == address &+ 1
                }) else { return }
                try? memory.write(original, at: address)
                try? thread.setProgramCounter(address)
            }
        }
        isStoppedAtEvaluationPoint = true
    }

    static let execEvent: Int32 = 4   // PTRACE_EVENT_EXEC

    /// Waits for the traced child's stop that `wanted` (signal, PTRACE_EVENT_*) accepts,
    /// continuing it from any other (with the signal, when it is one for the child);
    /// false when it ends first.
    func waitForStop(of thread: PtraceThread, where wanted: (Int32, Int32) -> Bool) -> Bool {
        while true {
            guard let (_, status) = try? TraceeWait.take(processID: processID, deadline: nil) else { return false }
            switch status {
            case .exited(let code): noteEnded(exitCode: code); return false
            case .killed(let signal, _): noteEnded(signal: signal); return false
            case .stopped(let signal, let event):
                if wanted(signal, event) { return true }
                do { try thread.resume(signal: event == 0 ? signal : 0) } catch { return false }
            }
        }
    }

    /// Lets a held child exec its command. (A child that is gone — killed while held —
    /// just never runs it.)
    public func release() {
        if isStoppedAtEvaluationPoint {
            isStoppedAtEvaluationPoint = false
            try? PtraceThread(processID).detach()
            return
        }
        if isStoppedAtGate {
            kill(processID, SIGCONT)
            isStoppedAtGate = false
            return
        }
        guard gate >= 0 else { return }
        _ = "go\n".withCString { clinux_write_all_without_sigpipe(gate, $0, 3) }
        close(gate)
        gate = -1
    }

    /// Lets a held child exec its command after installing `filter` as a seccomp filter
    /// (setting no_new_privs first only when it lacks CAP_SYS_ADMIN). If the kernel refuses
    /// the filter the command runs without it; `systemCallFilterState()` says which.
    ///
    /// The filter is for a command seized with PTRACE_O_TRACESECCOMP before this call:
    /// without such a tracer, the calls it traces fail with ENOSYS — in the command and in
    /// every child it makes, since the filter is inherited and cannot be removed.
    public func release(installing filter: SeccompFilter) {
        guard gate >= 0 else { return }
        let count = UInt32(filter.instructions.count)
        var message: [UInt8] = [UInt8(CLINUX_GATE_FILTER_MARKER)]
        message += withUnsafeBytes(of: count) { Array($0) }
        message += filter.bytes
        // A child that is gone (EPIPE) never runs the command: `.childEnded`.
        _ = message.withUnsafeBytes { clinux_write_all_without_sigpipe(gate, $0.baseAddress, UInt64($0.count)) }
        close(gate)
        gate = -1
        filterSent = true
    }

    /// `release(installing:)` with the filter that traces the x86-64 system calls `numbers`
    /// (`SeccompFilter.dtraceTraceData` at each stop). Throws, leaving the child held, when
    /// the numbers make no filter.
    public func release(tracingSystemCalls numbers: [Int]) throws(SeccompFilter.BuildError) {
        release(installing: try SeccompFilter(tracing: numbers))
    }

    /// Whether the filter of `release(installing:)` went in.
    public enum SystemCallFilterState: Equatable, Sendable {
        /// Released without a filter, or not released.
        case notSent
        /// Sent; the child has not dealt with it yet.
        case pending
        /// In place: the child went on to exec its command under it.
        case installed
        /// The kernel refused it (or the program arrived damaged: EPROTO, EINVAL): the
        /// command runs without it.
        case refused(errorNumber: Int32)
        /// The child ended before it dealt with the filter (it was killed while held).
        case childEnded
    }

    /// What became of the filter sent at release. Never blocks: `.pending` until the child
    /// has dealt with it (just before its exec, so certainly once a tracer has seen the
    /// exec) or ended.
    public func systemCallFilterState() -> SystemCallFilterState {
        guard filterSent, let report else { return .notSent }
        func outcome() -> SystemCallFilterState? {
            switch Int32(clinux_load_acquire_u32(report)) {
            case CLINUX_GATE_FILTER_INSTALLED: return .installed
            case CLINUX_GATE_FILTER_REFUSED: return .refused(errorNumber: report.pointee.error)
            default: return nil
            }
        }
        if let known = outcome() { return known }
        let ended = exitStatus != nil || (ProcessThreads.status(of: processID)?.hasExited ?? true)
        // Asked again: the child may have said it just before it ended.
        return ended ? outcome() ?? .childEnded : .pending
    }

    /// The ptrace engine traces the process from now on.
    public func noteTraced() { isTraced = true }

    /// How a traced process ended: its exit code, or the signal that killed it.
    /// Continues the process where it stopped itself (SIGSTOP) for dtrace; a stop it has
    /// yet to take is cancelled.
    public func continueFromStop() { _ = kill(processID, SIGCONT) }

    public func noteEnded(exitCode: Int32? = nil, signal: Int32? = nil) {
        guard exitStatus == nil else { return }
        if let signal { exitStatus = signal & 0x7f } else { exitStatus = ((exitCode ?? 0) & 0xff) << 8 }
    }

    /// Whether the process has exited (reaping it when it is our child).
    public var hasExited: Bool {
        if exitStatus != nil { return true }
        // Traced, its stops would be reported here too: its end is noted where it is waited for.
        if isTraced || isStoppedAtEvaluationPoint { return false }
        if isChild {
            var status: Int32 = 0
            let result = waitpid(processID, &status, WNOHANG)
            if result == processID { exitStatus = status; return true }
            return result < 0
        }
        if kill(processID, 0) != 0 && errno == ESRCH { exitStatus = 0; return true }
        return false
    }

    /// How the process ended, as dtrace says it: "has exited", "exited with status N" or
    /// "terminated by SIGNAME" (a process dtrace did not start: "has exited"); nil while
    /// it runs.
    public var ending: String? {
        guard hasExited, let status = exitStatus else { return nil }
        let signal = status & 0x7f
        if signal != 0 && signal != 0x7f { return "terminated by \(SignalNumber.name(signal))" }
        let code = (status >> 8) & 0xff
        return code == 0 ? Self.normalEnding : "exited with status \(code)"
    }

    /// `ending` of a process that exited with status 0.
    public static let normalEnding = "has exited"

    /// Ends a child that never got to run (dtrace failed before enabling probes).
    public func abandon() {
        guard isChild, exitStatus == nil, !isTraced else { return }
        kill(processID, SIGKILL)
        var status: Int32 = 0
        waitpid(processID, &status, 0)
        exitStatus = status
    }
}
