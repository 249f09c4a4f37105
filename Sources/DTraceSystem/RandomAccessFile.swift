// DTraceSystem/RandomAccessFile: a file opened read-only and read at offsets (pread), so
// a parser can take only the parts it needs (an ELF file's headers and symbol tables)
// and a file that changes underneath reads short, never traps.

import Glibc

public final class RandomAccessFile {
    let descriptor: Int32

    /// Opens `path` read-only; nil when it cannot be opened.
    public init?(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { return nil }
    }

    deinit { close(descriptor) }

    /// `count` bytes at `offset` (fewer at the end of the file); nil on an error.
    public func read(offset: Int, count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(offset + filled)) }
            if got < 0 { if errno == EINTR { continue }; return nil }
            if got == 0 { break }
            filled += got
        }
        return filled == count ? bytes : Array(bytes[0..<filled])
    }
}
