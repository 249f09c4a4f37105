// DTraceELF/ELFModuleName: the module names DTrace gives user objects in probe
// descriptions (pid123:libc.so.6:malloc:entry) — "a.out" for the process's executable,
// the file's base name for a library (of its real path: libz.so.1 is a link to
// libz.so.1.2.13, and the file is what is named) — and the path arithmetic they need.

public enum ELFModuleName {
    /// The module name of a process's executable.
    public static let executable = "a.out"

    /// "a.out" for the executable, else the base name of `path`.
    public static func name(path: String, isExecutable: Bool) -> String {
        isExecutable ? executable : library(path: path)
    }

    /// A library's module name: the last component of its path.
    public static func library(path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    /// The directory part of `path` ("/usr/lib/x.so" -> "/usr/lib", "x.so" -> ".",
    /// "/x" -> "/").
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = path[..<slash]
        return directory.isEmpty ? "/" : String(directory)
    }
}
