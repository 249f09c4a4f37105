// DTraceSystem/FileExistence: whether a path exists, asked with access(2) (F_OK) —
// as a yes or no, or with the error that says why not (ENOENT when it is missing,
// EACCES when a directory on the way may not be searched).

import Glibc

extension SystemFiles {
    /// Whether `path` exists (a dangling symbolic link does not).
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Success when `path` exists; otherwise the failed access(2), named by the path
    /// alone, with its errno.
    public static func checkExists(_ path: String) -> Result<Void, SystemError> {
        access(path, F_OK) == 0 ? .success(()) : .failure(SystemError(path))
    }
}
