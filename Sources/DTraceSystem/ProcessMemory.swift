// DTraceSystem/ProcessMemory: another process's memory and threads as its tracer sees
// them — reads and writes through process_vm_readv/writev, falling back to
// /proc/PID/mem (which, unlike process_vm_writev, writes pages that are not writable,
// such as code: the kernel copies them on write); the thread ids in /proc/PID/task; a
// thread's group, parent, pending signals and seccomp state from /proc/TID/status; and starting a
// command held before exec so its tracer can seize it first (`HeldCommand`).

import CLinux
import Glibc

/// The memory of process `processID`. /proc/PID/mem is opened on first need and stays
/// open; after the process execs it names the old address space, so call `reopen()`.
public final class ProcessMemory {
    public let processID: Int32
    private var memoryFile: Int32 = -1

    public init(processID: Int32) { self.processID = processID }

    deinit { close() }

    /// Closes /proc/PID/mem (the next access opens it again).
    public func close() {
        if memoryFile >= 0 { _ = Glibc.close(memoryFile) }
        memoryFile = -1
    }

    /// After exec: the file must name the new address space.
    public func reopen() { close() }

    /// Whether this process may trace `processID` (opening its memory asks the kernel the
    /// same question ptrace's attach does); the error says why not. (No such process:
    /// ESRCH; not allowed: EPERM, as PTRACE_SEIZE would say.)
    public static func mayTrace(_ processID: Int32) -> SystemError? {
        let descriptor = open("/proc/\(processID)/mem", O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 { Glibc.close(descriptor); return nil }
        let code = errno
        if code == ENOENT { return SystemError("pid \(processID)", code: ESRCH) }
        return SystemError("pid \(processID)", code: code == EACCES ? EPERM : code)
    }

    private func openMemoryFile() throws(SystemError) -> Int32 {
        if memoryFile >= 0 { return memoryFile }
        let descriptor = open("/proc/\(processID)/mem", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemError("open /proc/\(processID)/mem") }
        memoryFile = descriptor
        return descriptor
    }

    /// `count` bytes at `address`: process_vm_readv, or /proc/PID/mem for what it cannot
    /// read (pages without read permission). Fewer bytes only when the range runs off
    /// the mapped memory; an error when nothing could be read.
    public func read(address: UInt64, count: Int) throws(SystemError) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { clinux_process_read(processID, address, $0.baseAddress, UInt64(count)) }
        if got == count { return bytes }
        if got > 0 { return Array(bytes[0..<Int(got)]) }
        let readError = errno
        if readError == ESRCH { throw SystemError("process_vm_readv(\(processID))", code: readError) }
        return try readThroughFile(address: address, count: count)
    }

    /// `count` bytes at `address` through /proc/PID/mem.
    public func readThroughFile(address: UInt64, count: Int) throws(SystemError) -> [UInt8] {
        let descriptor = try openMemoryFile()
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(Int64(bitPattern: address &+ UInt64(filled)))) }
            if got < 0 && errno == EINTR { continue }
            if got < 0 {
                if filled > 0 { break }
                throw SystemError("read /proc/\(processID)/mem at 0x\(String(address, radix: 16))")
            }
            if got == 0 { break }
            filled += got
        }
        return Array(bytes[0..<filled])
    }

    /// Writes `bytes` at `address`: process_vm_writev, or /proc/PID/mem where the pages
    /// are not writable (code).
    public func write(_ bytes: [UInt8], at address: UInt64) throws(SystemError) {
        guard !bytes.isEmpty else { return }
        let put = bytes.withUnsafeBytes { clinux_process_write(processID, address, $0.baseAddress, UInt64(bytes.count)) }
        if put == bytes.count { return }
        if put < 0 && errno == ESRCH { throw SystemError("process_vm_writev(\(processID))", code: ESRCH) }
        try writeThroughFile(bytes, at: address)
    }

    /// Writes `bytes` at `address` only where the program itself could (process_vm_writev
    /// honours page protections as the CPU does): false, with nothing written, otherwise.
    public func writeHonouringProtection(_ bytes: [UInt8], at address: UInt64) throws(SystemError) -> Bool {
        guard !bytes.isEmpty else { return true }
        let put = bytes.withUnsafeBytes { clinux_process_write(processID, address, $0.baseAddress, UInt64(bytes.count)) }
        if put < 0 && errno == ESRCH { throw SystemError("process_vm_writev(\(processID))", code: ESRCH) }
        return put == bytes.count
    }

    /// Writes `bytes` at `address` through /proc/PID/mem, whatever the pages' permissions.
    public func writeThroughFile(_ bytes: [UInt8], at address: UInt64) throws(SystemError) {
        let descriptor = try openMemoryFile()
        var written = 0
        while written < bytes.count {
            let put = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, bytes.count - written, off_t(Int64(bitPattern: address &+ UInt64(written)))) }
            if put < 0 && errno == EINTR { continue }
            guard put > 0 else { throw SystemError("write /proc/\(processID)/mem at 0x\(String(address &+ UInt64(written), radix: 16))") }
            written += put
        }
    }
}

/// The threads of a process and facts /proc gives about one of them.
public enum ProcessThreads {
    /// The thread ids listed in /proc/PID/task, ascending; empty when the process is gone.
    public static func threadIDs(of processID: Int32) -> [Int32] {
        guard let directory = opendir("/proc/\(processID)/task") else { return [] }
        defer { closedir(directory) }
        var ids: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let id = Int32(name) { ids.append(id) }
        }
        return ids.sorted()
    }

    /// From /proc/TID/status: the thread's process (Tgid), that process's parent (PPid),
    /// its tracer (TracerPid, 0 for none), the signals pending for the thread alone
    /// (SigPnd, bit n-1 for signal n), whether it has exited (State), its seccomp mode and
    /// filter count (Seccomp, Seccomp_filters) and no_new_privs (NoNewPrivs).
    public struct Status: Equatable, Sendable {
        public var processID: Int32
        public var parentProcessID: Int32
        public var tracerProcessID: Int32
        public var pendingSignals: UInt64
        /// State Z or X: it has exited (a first thread that did so waits, a zombie, for
        /// the others).
        public var hasExited: Bool
        /// 0 none, 1 strict, 2 filter (SECCOMP_MODE_*).
        public var seccompMode = 0
        /// How many seccomp filters the thread runs (0 where the kernel does not say).
        public var seccompFilters = 0
        /// Exec cannot raise its privileges (PR_SET_NO_NEW_PRIVS).
        public var noNewPrivileges = false
        /// The real user and group IDs (Uid, Gid: the first of each).
        public var userID: Int32 = -1
        public var groupID: Int32 = -1

        public func isPending(_ signal: Int32) -> Bool { signal > 0 && signal <= 64 && pendingSignals & (1 << UInt64(signal - 1)) != 0 }
    }

    /// `threadID`'s status (it may belong to any process), or nil when it is gone.
    public static func status(of threadID: Int32, inProcess processID: Int32? = nil) -> Status? {
        let path = processID.map { "/proc/\($0)/task/\(threadID)/status" } ?? "/proc/\(threadID)/status"
        guard let text = SystemFiles.readSmallTextFile(path, limit: 1 << 16) else { return nil }
        var status = Status(processID: 0, parentProcessID: 0, tracerProcessID: 0, pendingSignals: 0, hasExited: false)
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].trimmingCharacters(in: " \t")
            switch parts[0] {
            case "Tgid": status.processID = Int32(value) ?? 0
            case "PPid": status.parentProcessID = Int32(value) ?? 0
            case "TracerPid": status.tracerProcessID = Int32(value) ?? 0
            case "SigPnd": status.pendingSignals = UInt64(value, radix: 16) ?? 0
            case "State": status.hasExited = value.hasPrefix("Z") || value.hasPrefix("X")
            case "Seccomp": status.seccompMode = Int(value) ?? 0
            case "Seccomp_filters": status.seccompFilters = Int(value) ?? 0
            case "NoNewPrivs": status.noNewPrivileges = value == "1"
            case "Uid": status.userID = value.split(whereSeparator: { $0 == "\t" || $0 == " " }).first.flatMap { Int32($0) } ?? -1
            case "Gid": status.groupID = value.split(whereSeparator: { $0 == "\t" || $0 == " " }).first.flatMap { Int32($0) } ?? -1
            default: break
            }
        }
        return status
    }
}

extension ProcessThreads {
    /// The CPU a thread last ran on (/proc/PID/task/TID/stat field 39), nil when gone.
    public static func lastCPU(of threadID: Int32, inProcess processID: Int32) -> Int32? {
        guard let text = SystemFiles.readSmallTextFile("/proc/\(processID)/task/\(threadID)/stat", limit: 4096),
              let end = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)" come the fields from the third (state) on.
        let fields = text[text.index(after: end)...].split(separator: " ")
        return fields.count > 36 ? Int32(fields[36]) : nil
    }

    /// The time a thread has run on a CPU, in nanoseconds (/proc/PID/task/TID/schedstat).
    public static func cpuTime(of threadID: Int32, inProcess processID: Int32) -> Int64? {
        guard let text = SystemFiles.readSmallTextFile("/proc/\(processID)/task/\(threadID)/schedstat", limit: 256) else { return nil }
        return text.split(separator: " ").first.flatMap { Int64($0) }
    }

    /// Whether two processes share one address space (a vfork child and its parent:
    /// kcmp(2) KCMP_VM); nil when the kernel cannot tell.
    public static func shareAddressSpace(_ processID: Int32, _ otherProcessID: Int32) -> Bool? {
        let result = clinux_same_address_space(processID, otherProcessID)
        return result < 0 ? nil : result == 1
    }

    /// The process's parent (/proc/PID/stat field 4), nil when it is gone.
    public static func parentProcessID(of processID: Int32) -> Int32? {
        guard let text = SystemFiles.readSmallTextFile("/proc/\(processID)/stat", limit: 4096),
              let end = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: end)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// When the process started, in clock ticks after boot (/proc/PID/stat field 22): with
    /// the pid, it names one process even after the pid is reused.
    public static func startTime(of processID: Int32) -> UInt64? {
        guard let text = SystemFiles.readSmallTextFile("/proc/\(processID)/stat", limit: 4096),
              let end = text.lastIndex(of: ")") else { return nil }
        // Fields after the command's closing parenthesis start at field 3 (state).
        let fields = text[text.index(after: end)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

/// A command forked and held before exec: the child waits on a pipe (the gate) until
/// `release()`, so a tracer can PTRACE_SEIZE it first; if dtrace goes away before that,
/// the child exits 127 without running the command. `execError()` says, once the child
/// has exec'd or exited, whether execvp failed and with which errno.
public final class HeldCommand {
    public let processID: Int32
    private var gate: Int32
    private var report: Int32

    /// Forks `arguments` (argv[0] found on PATH by execvp), held.
    public init(arguments: [String]) throws(SystemError) {
        guard !arguments.isEmpty else { throw SystemError("empty command", code: EINVAL) }
        var gateEnds: [Int32] = [0, 0]
        var reportEnds: [Int32] = [0, 0]
        guard pipe(&gateEnds) == 0 else { throw SystemError("pipe") }
        guard pipe(&reportEnds) == 0 else {
            let error = SystemError("pipe")
            _ = Glibc.close(gateEnds[0]); _ = Glibc.close(gateEnds[1])
            throw error
        }
        for end in gateEnds + reportEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let pid = clinux_spawn_held(&cArguments, gateEnds[0], gateEnds[1], reportEnds[1], reportEnds[0])
        let spawnError = errno
        _ = Glibc.close(gateEnds[0])
        _ = Glibc.close(reportEnds[1])
        guard pid > 0 else {
            _ = Glibc.close(gateEnds[1]); _ = Glibc.close(reportEnds[0])
            throw SystemError("fork(\(arguments[0]))", code: spawnError)
        }
        processID = pid
        gate = gateEnds[1]
        report = reportEnds[0]
    }

    deinit {
        if gate >= 0 { _ = Glibc.close(gate) }
        if report >= 0 { _ = Glibc.close(report) }
    }

    /// Lets the child exec its command.
    public func release() {
        guard gate >= 0 else { return }
        var byte: UInt8 = 1
        _ = Glibc.write(gate, &byte, 1)
        _ = Glibc.close(gate)
        gate = -1
    }

    /// After the child exec'd or exited: execvp's errno, or nil when it exec'd.
    public func execError() -> Int32? {
        guard report >= 0 else { return nil }
        var error: Int32 = 0
        var got = 0
        repeat { got = withUnsafeMutableBytes(of: &error) { Glibc.read(report, $0.baseAddress, 4) } } while got < 0 && errno == EINTR
        _ = Glibc.close(report)
        report = -1
        return got == 4 ? error : nil
    }
}
