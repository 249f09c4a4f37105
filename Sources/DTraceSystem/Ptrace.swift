// DTraceSystem/Ptrace: ptrace(2) as the tracer sees it — waiting for a tracee's next
// stop within a deadline, reading and setting its program counter, single-stepping
// (PTRACE_SINGLESTEP only: the trap flag is the kernel's to set, never ours), and
// continuing. The single-step self-test's scratch child and instruction sequence live
// in the shim; this file drives them.

import CLinux
import Glibc

/// ptrace(2) requests, as <sys/ptrace.h> numbers them.
public enum PtraceRequest: Int32, Sendable {
    case `continue` = 7      // PTRACE_CONT
    case singleStep = 9      // PTRACE_SINGLESTEP
}

/// What a traced process did when waited for.
public enum TraceeEvent: Equatable, Sendable {
    case stopped(signal: Int32)
    case exited(status: Int32)
    case killed(signal: Int32)
    case timedOut
    case gone(errno: Int32)
}

public final class Tracee {
    public let processID: Int32
    private var reaped = false

    private init(processID: Int32) { self.processID = processID }

    /// A scratch child that asked to be traced and stopped itself (SIGSTOP); it dies
    /// with dtrace and is killed when this object goes away.
    public static func scratchChild() throws(SystemError) -> Tracee {
        let pid = clinux_spawn_step_child()
        guard pid > 0 else { throw SystemError("fork(scratch tracee)") }
        return Tracee(processID: pid)
    }

    deinit { kill() }

    /// Kills and reaps the tracee (once).
    public func kill() {
        guard !reaped else { return }
        _ = Glibc.kill(processID, SIGKILL)
        var status: Int32 = 0
        while waitpid(processID, &status, 0) < 0 && errno == EINTR {}
        reaped = true
    }

    /// Waits until the tracee stops or ends, at most until `deadline` (monotonic ns).
    public func wait(until deadline: Int64) -> TraceeEvent {
        var status: Int32 = 0
        while true {
            let result = waitpid(processID, &status, WNOHANG | __WALL)
            if result == processID {
                let low = status & 0x7f
                if low == 0 { reaped = true; return .exited(status: (status >> 8) & 0xff) }
                if low == 0x7f { return .stopped(signal: (status >> 8) & 0xff) }
                reaped = true
                return .killed(signal: low)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let code = errno
                reaped = true
                return .gone(errno: code)
            }
            if SystemClock.monotonicNanoseconds() >= deadline { return .timedOut }
            SystemClock.sleep(nanoseconds: 200_000)
        }
    }

    public struct Registers: Equatable, Sendable {
        public var programCounter: UInt64
        public var accumulator: UInt64
        public var flags: UInt64
    }

    public func registers() throws(SystemError) -> Registers {
        var registers = Registers(programCounter: 0, accumulator: 0, flags: 0)
        guard clinux_ptrace_read_registers(processID, &registers.programCounter, &registers.accumulator, &registers.flags) == 0 else {
            throw SystemError("ptrace(PTRACE_GETREGS, \(processID))")
        }
        return registers
    }

    public func setProgramCounter(_ address: UInt64) throws(SystemError) {
        guard clinux_ptrace_set_program_counter(processID, address) == 0 else { throw SystemError("ptrace(PTRACE_SETREGS, \(processID))") }
    }

    /// PTRACE_SINGLESTEP: run one instruction, then stop with SIGTRAP.
    public func singleStep() throws(SystemError) {
        guard clinux_ptrace(PtraceRequest.singleStep.rawValue, processID, 0, 0) == 0 else { throw SystemError("ptrace(PTRACE_SINGLESTEP, \(processID))") }
    }

    /// PTRACE_CONT with no signal.
    public func resume() throws(SystemError) {
        guard clinux_ptrace(PtraceRequest.continue.rawValue, processID, 0, 0) == 0 else { throw SystemError("ptrace(PTRACE_CONT, \(processID))") }
    }

    /// The scratch child's instruction sequence: its first three instruction addresses.
    public static var stepSequence: [UInt64]? {
        var addresses: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let status = withUnsafeMutableBytes(of: &addresses) { clinux_step_sequence($0.baseAddress!.assumingMemoryBound(to: UInt64.self)) }
        return status == 0 ? [addresses.0, addresses.1, addresses.2] : nil
    }
}

/// Other kernel facts a self-test asks about.
public enum PerfCounters {
    /// Whether a hardware cpu-cycles counter opens for this process; the error when not.
    public static func hardwareCycles() -> Result<Void, SystemError> {
        let fd = clinux_perf_open_hardware_cycles()
        guard fd >= 0 else { return .failure(SystemError("perf_event_open(hardware cpu-cycles)")) }
        close(fd)
        return .success(())
    }
}
