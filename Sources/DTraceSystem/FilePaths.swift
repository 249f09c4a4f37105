// DTraceSystem/FilePaths: what a path names — its real path with every symbolic link
// resolved (realpath(3): uprobes attach by inode and modules are named after the real
// file), the target of one symbolic link (readlink(2): /proc/PID/exe), and the paths a
// shell-style pattern matches (glob(3): ld.so.conf's "include" lines).

import Glibc

extension SystemFiles {
    /// The absolute path of `path` with every symbolic link, "." and ".." resolved; nil
    /// when some component does not exist or cannot be searched.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What the symbolic link at `path` points to, as written (not resolved further);
    /// nil when `path` is not a symbolic link or cannot be read.
    public static func symbolicLinkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The existing paths `pattern` matches (*, ?, [...]), sorted as glob(3) sorts them;
    /// empty when none does. At most `limit` paths.
    public static func glob(_ pattern: String, limit: Int = 4096) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<min(Int(result.gl_pathc), limit) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths
    }
}
