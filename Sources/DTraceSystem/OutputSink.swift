// DTraceSystem/OutputSink: where dtrace's output goes — a file descriptor written in
// whole buffers (flushed after each batch of records, or at 64 KB; retried on EINTR), or
// a capture for tests.

import Glibc

/// Where output goes: a file descriptor, with buffering flushed at each record.
public final class OutputSink {
    public var buffer: [UInt8] = []
    public let descriptor: Int32
    /// When set, output is captured here instead of written (tests).
    public var captured: [UInt8]?

    public init(descriptor: Int32) { self.descriptor = descriptor }
    public init(capturing: Void) { self.descriptor = -1; self.captured = [] }

    /// Buffered output is written once this much has gathered, flush or not.
    static let flushThreshold = 1 << 16

    public func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    public func write(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        if captured != nil { captured!.append(contentsOf: buffer); buffer.removeAll(keepingCapacity: true); return }
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
    /// A sink appending to the file at `path` (created with mode 0666 less the umask).
    public static func appending(to path: String) throws(SystemError) -> OutputSink {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw SystemError("open \(path)") }
        return OutputSink(descriptor: descriptor)
    }
}
