// DTraceSystem/TargetProcess: the process named by -c (started held at a gate until
// the probes are enabled, then released) or -p (an existing process), and whether it
// is still alive. The gate is a pipe the forked child reads before it execs the command,
// so $target is the command's own pid and its output goes where dtrace's goes. How it
// ended (an exit status, a signal) is said as dtrace says it.

import CLinux
import Glibc

public final class TargetProcess {
    public let processID: Int32
    /// For a process started here: the file its command runs (found on PATH).
    public private(set) var executablePath: String?
    /// Whether the process is held before running its command (-c, not yet released).
    public var isHeld: Bool { gate >= 0 }
    /// Started by dtrace (-c), not found (-p).
    public let isChild: Bool
    var gate: Int32
    public private(set) var exitStatus: Int32?
    /// Traced by dtrace (the ptrace engine): the tracer's waits see its end, so it is not
    /// waited for here; the engine says how it ended (`noteEnded`).
    public private(set) var isTraced = false
    /// A pidfd for the process (readable once it has exited), -1 where the kernel has none.
    public let exitDescriptor: Int32

    /// Starts `command` (split on white space, as dtrace -c does), held until `release()`.
    public static func spawn(_ command: String) throws(SystemError) -> TargetProcess {
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !words.isEmpty else { throw SystemError("empty command", code: EINVAL) }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw SystemError("pipe") }
        var cArguments = words.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let pid = clinux_spawn_gated(&cArguments, pipeEnds[0], pipeEnds[1])
        let spawnError = errno
        close(pipeEnds[0])
        guard pid > 0 else { close(pipeEnds[1]); throw SystemError("fork(\(words[0]))", code: spawnError) }
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        let target = TargetProcess(processID: pid, isChild: true, gate: pipeEnds[1])
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
        if exitDescriptor >= 0 { close(exitDescriptor) }
    }

    /// Lets a held child exec its command.
    public func release() {
        guard gate >= 0 else { return }
        _ = "go\n".withCString { write(gate, $0, 3) }
        close(gate)
        gate = -1
    }

    /// The ptrace engine traces the process from now on.
    public func noteTraced() { isTraced = true }

    /// How a traced process ended: its exit code, or the signal that killed it.
    public func noteEnded(exitCode: Int32? = nil, signal: Int32? = nil) {
        guard exitStatus == nil else { return }
        if let signal { exitStatus = signal & 0x7f } else { exitStatus = ((exitCode ?? 0) & 0xff) << 8 }
    }

    /// Whether the process has exited (reaping it when it is our child).
    public var hasExited: Bool {
        if exitStatus != nil { return true }
        if isTraced { return false }
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
        return code == 0 ? "has exited" : "exited with status \(code)"
    }

    /// Ends a child that never got to run (dtrace failed before enabling probes).
    public func abandon() {
        guard isChild, exitStatus == nil, !isTraced else { return }
        kill(processID, SIGKILL)
        var status: Int32 = 0
        waitpid(processID, &status, 0)
        exitStatus = status
    }
}
