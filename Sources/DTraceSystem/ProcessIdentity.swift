// DTraceSystem/ProcessIdentity: who the calling process and thread are (pid, ppid, tid,
// uid, gid, execname, cpu). The user engine reads D's built-in variables from here.
import CLinux
import Glibc

public enum ProcessIdentity {
    public static var processID: Int32 { getpid() }
    public static var parentProcessID: Int32 { getppid() }
    /// The process group and the session the calling process belongs to.
    public static var processGroupID: Int32 { getpgid(0) }
    public static var sessionID: Int32 { getsid(0) }
    public static var threadID: Int64 { clinux_gettid() }
    /// The current working directory's path bytes (empty when it cannot be read).
    public static var workingDirectory: [UInt8] {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return [] }
        return buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    }
    public static var userID: UInt32 { getuid() }
    public static var groupID: UInt32 { getgid() }

    /// The CPU the calling thread is running on now (0 when the kernel will not say).
    public static var currentCPU: Int32 { max(0, clinux_current_cpu()) }

    /// Binds the calling thread to one CPU (what it then runs, and what it starts,
    /// runs there); false when the CPU cannot be used.
    @discardableResult
    public static func runOnlyOn(cpu: Int) -> Bool { clinux_run_on_cpu(Int32(clamping: cpu)) == 0 }

    /// Runs `body` on each of `cpus` in turn (the calling thread bound to it; a CPU it
    /// cannot run on is skipped), then gives the thread back the CPUs it had. Does
    /// nothing when the thread's CPUs cannot be read (they could not be given back).
    public static func onEachCPU(_ cpus: [Int], _ body: (Int) -> Void) {
        var saved = [UInt8](repeating: 0, count: 1024)
        guard saved.withUnsafeMutableBytes({ clinux_get_affinity($0.baseAddress, UInt32($0.count)) }) == 0 else { return }
        for cpu in cpus where runOnlyOn(cpu: cpu) { body(cpu) }
        _ = saved.withUnsafeBytes { clinux_set_affinity($0.baseAddress, UInt32($0.count)) }
    }

    /// Sets this process's locked-memory limit (RLIMIT_MEMLOCK, soft and hard) to `bytes`,
    /// or to no limit for nil; false when the kernel refuses.
    @discardableResult
    public static func setLockedMemoryLimit(_ bytes: UInt64?) -> Bool {
        let value = bytes.map { rlim_t($0) } ?? rlim_t.max   // RLIM_INFINITY
        var limit = rlimit(rlim_cur: value, rlim_max: value)
        return setrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) == 0
    }

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
