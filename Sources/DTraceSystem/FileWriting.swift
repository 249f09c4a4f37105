// DTraceSystem/FileWriting: a whole file written at once — created (mode 0666 less the
// umask) or truncated, every byte written (retried on EINTR and short writes), closed —
// for the files dtrace makes rather than appends to: -h's header, -G's object.

import Glibc

extension SystemFiles {
    /// Replaces the file at `path` with `bytes`. The error names the step that failed:
    /// "open PATH" (the file could not be created) or "write PATH" / "close PATH".
    public static func writeFile(_ path: String, bytes: [UInt8]) throws(SystemError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw SystemError("open \(path)") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let failure = SystemError("write \(path)")
                close(descriptor)
                throw failure
            }
            offset += written
        }
        guard close(descriptor) == 0 else { throw SystemError("close \(path)") }
    }
}
