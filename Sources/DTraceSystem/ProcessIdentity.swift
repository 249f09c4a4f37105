// DTraceSystem/ProcessIdentity: who the calling process and thread are (pid, ppid, tid,
// uid, gid, execname, cpu). The user engine reads D's built-in variables from here.
import CLinux
import Glibc

public enum ProcessIdentity {
    public static var processID: Int32 { getpid() }
    public static var parentProcessID: Int32 { getppid() }
    public static var threadID: Int64 { clinux_gettid() }
    public static var userID: UInt32 { getuid() }
    public static var groupID: UInt32 { getgid() }

    /// The CPU the calling thread is running on now (0 when the kernel will not say).
    public static var currentCPU: Int32 { max(0, clinux_current_cpu()) }

    /// The number of CPUs configured on this machine.
    public static var onlineCPUCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The command name of this process as the kernel keeps it (/proc/self/comm),
    /// at most 15 characters, as D's `execname`.
    public static func executableName() -> String {
        if let text = SystemFiles.readSmallTextFile("/proc/self/comm") {
            return String(text.prefix { $0 != "\n" })
        }
        return "dtrace"
    }
}

public enum SystemFiles {
    /// Reads a small text file completely (up to `limit` bytes); nil when it cannot be read.
    public static func readSmallTextFile(_ path: String, limit: Int = 1 << 20) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR { continue }; return nil }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first `count` bytes of a file (fewer when it is shorter); nil when it cannot be read.
    public static func readPrefix(_ path: String, count: Int) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, count - filled) }
            if got < 0 { if errno == EINTR { continue }; return nil }
            if got == 0 { break }
            filled += got
        }
        return Array(bytes[0..<filled])
    }

    /// The size of a file in bytes, or nil.
    public static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}
