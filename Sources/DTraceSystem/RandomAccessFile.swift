// DTraceSystem/RandomAccessFile: a file opened read-only and read at offsets (pread), so
// a parser can take only the parts it needs (an ELF file's headers and symbol tables)
// and a file that changes underneath reads short, never traps.

import Glibc

public final class RandomAccessFile {
    let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Opens `path` read-only; nil when it cannot be opened.
    public init?(path: String) {
        descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { return nil }
    }

    /// Opens `path` read-only, or the open(2) error that says why not (named by the path).
    public static func open(path: String) -> Result<RandomAccessFile, SystemError> {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(SystemError(path)) }
        return .success(RandomAccessFile(descriptor: descriptor))
    }

    deinit { close(descriptor) }

    /// The file's size in bytes now, or nil when fstat fails.
    public var size: Int? {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? Int(info.st_size) : nil
    }

    /// Whether the open file is a regular file (not a directory, device or FIFO).
    public var isRegularFile: Bool {
        var info = stat()
        return fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

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
