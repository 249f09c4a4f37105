// DTraceELF/ELFBytes: where an ELF file's bytes come from — the file itself, read at
// offsets with pread (so a file changing underneath reads short, never faults a
// mapping), or bytes already in memory — and the caps every read obeys: no single read
// larger than `readLimit`, offsets that do not fit a file offset refused. Parsers take
// what they read through ByteReader, so nothing past what was read is ever touched.

import DTraceSystem

final class ELFBytes: @unchecked Sendable {
    /// No single read (a symbol table, a string table, a note section) is larger.
    static let readLimit = 256 << 20

    /// The file's size when it was opened (or the bytes' count); nil when unknown.
    let size: Int?
    private let readAt: (Int, Int) -> [UInt8]?
    /// Kept open for as long as the object is alive: later reads (a function's bytes)
    /// come from the same file, not whatever is at the path by then.
    private let file: RandomAccessFile?

    init(file: RandomAccessFile) {
        self.file = file
        size = file.size
        readAt = { offset, count in file.read(offset: offset, count: count) }
    }

    init(bytes: [UInt8]) {
        file = nil
        size = bytes.count
        readAt = { offset, count in
            guard offset < bytes.count else { return [] }
            return Array(bytes[offset..<offset + min(count, bytes.count - offset)])
        }
    }

    /// Bytes from a reader of your own (tests overlay mutations on a file's bytes).
    init(size: Int?, read: @escaping (_ offset: Int, _ count: Int) -> [UInt8]?) {
        file = nil
        self.size = size
        readAt = read
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the data); nil when the
    /// offset is not a plausible file offset, `count` exceeds `readLimit`, or reading fails.
    func read(offset: UInt64, count: UInt64) -> [UInt8]? {
        guard offset < 1 << 48, count <= UInt64(Self.readLimit) else { return nil }
        // Never ask for (and allocate) more than the file holds: a hostile size field
        // costs at most the file's size.
        var available = count
        if let size { available = offset >= UInt64(size) ? 0 : min(count, UInt64(size) - offset) }
        if available == 0 { return [] }
        return readAt(Int(offset), Int(available))
    }

    /// Exactly `count` bytes at `offset`, or nil when fewer are there.
    func readExactly(offset: UInt64, count: UInt64) -> [UInt8]? {
        guard let bytes = read(offset: offset, count: count), bytes.count == Int(count) else { return nil }
        return bytes
    }
}
