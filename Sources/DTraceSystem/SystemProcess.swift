// DTraceSystem/SystemProcess: facts about and actions on dtrace's own process that are
// not identities (ProcessIdentity) or signals (SignalWatch): the page size, whether a
// command is executable as the shell would find it on PATH, and leaving with a status.

import Glibc

public enum SystemProcess {
    /// The size of a memory page.
    public static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether `name` is an executable file: as a path when it contains "/", else in a
    /// directory of PATH.
    public static func isExecutable(_ name: String) -> Bool { executablePath(name) != nil }

    /// The file `name` runs, as the shell finds it: `name` itself when it contains "/",
    /// else the first executable of that name in a directory of PATH.
    public static func executablePath(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return path.split(separator: ":").lazy.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// Ends dtrace with `status`.
    public static func exit(_ status: Int32) -> Never { Glibc.exit(status) }
}

extension SystemError {
    /// The call was refused for want of privilege (EPERM, EACCES).
    public var isPermissionDenied: Bool { code == EPERM || code == EACCES }
    /// The kernel found the request too large (E2BIG: e.g. a program the verifier gave up on).
    public var isTooLarge: Bool { code == E2BIG }
}

extension SystemFiles {
    /// A text file read whole (up to `limit` bytes), or the reason it could not be.
    /// Opened once, so a FIFO or /dev/stdin is read as it comes.
    public static func readTextFile(_ path: String, limit: Int) throws(SystemError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemError("open \(path)") }
        defer { close(descriptor) }
        guard let text = readText(descriptor, limit: limit) else { throw SystemError("read \(path)") }
        return text
    }
}
