// DTraceSystem/OutputSink: where dtrace's output goes — a file descriptor written in
// whole buffers (flushed after each batch of records, or at 64 KB; retried on EINTR), or
// a capture for tests — and freopen()'s redirection of it to a file and back.

import DTraceText
import Glibc

/// Where output goes: a file descriptor, with buffering flushed at each record.
public final class OutputSink {
    public var buffer: [UInt8] = []
    /// Where output goes: the original descriptor, or the file freopen() redirected it to.
    public var descriptor: Int32 { redirection ?? original }
    /// The descriptor the sink was made with (standard output, or the -o file).
    public let original: Int32
    /// When set, output is captured here instead of written (tests), unless redirected.
    public var captured: [UInt8]?
    /// The file freopen() opened, while output goes there (the sink closes it).
    private var redirection: Int32?

    public init(descriptor: Int32) { self.original = descriptor }
    public init(capturing: Void) { self.original = -1; self.captured = [] }

    /// Buffered output is written once this much has gathered, flush or not.
    static let flushThreshold = 1 << 16

    public func write(_ text: String) {
        RawText.append(text, to: &buffer)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    public func write(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        if captured != nil && redirection == nil { captured!.append(contentsOf: buffer); buffer.removeAll(keepingCapacity: true); return }
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 { if errno == EINTR { continue }; break }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

extension OutputSink {
    /// freopen(path): what was written so far goes where it was going; from now on output
    /// is appended to `path` (created with mode 0666 less the umask). A file that cannot be
    /// opened throws and changes nothing.
    public func redirect(toAppending path: String) throws(SystemError) {
        let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        guard opened >= 0 else { throw SystemError("open \(path)") }
        flush()
        if let redirection { close(redirection) }
        redirection = opened
    }

    /// freopen(""): output goes back to the original descriptor (nothing changes when it
    /// was not redirected).
    public func restore() {
        guard let redirection else { return }
        flush()
        close(redirection)
        self.redirection = nil
    }

    /// ftruncate(): what was written so far is flushed and the file emptied, writing going
    /// on from its start (nothing changes for a pipe or terminal, as fflush and ftruncate
    /// of one do nothing in DTrace).
    public func truncate() {
        flush()
        guard descriptor >= 0 else { captured?.removeAll(); return }
        if Glibc.ftruncate(descriptor, 0) == 0 { _ = lseek(descriptor, 0, SEEK_SET) }
    }

    /// A sink appending to the file at `path` (created with mode 0666 less the umask).
    public static func appending(to path: String) throws(SystemError) -> OutputSink {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw SystemError("open \(path)") }
        return OutputSink(descriptor: descriptor)
    }
}
