// DTraceSystem/Files: reading the small files the kernel publishes (/proc, /sys,
// tracefs) and D libraries — whole, as a prefix of bytes, by size — listing a directory,
// and mapping a large file (the kernel's BTF) read-only. A file that cannot be read is
// nil, never a trap.

import Glibc

public enum SystemFiles {
    /// The names in a directory (no "." or ".."), sorted; none when it cannot be read.
    public static func directoryEntries(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Reads a small text file completely (up to `limit` bytes); nil when it cannot be read.
    public static func readSmallTextFile(_ path: String, limit: Int = 1 << 20) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return readText(descriptor, limit: limit)
    }

    /// Reads an open file to its end (up to `limit` bytes); nil on a read error.
    static func readText(_ descriptor: Int32, limit: Int) -> String? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR { continue }; return nil }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first `count` bytes of a file (fewer when it is shorter); nil when it cannot be read.
    public static func readPrefix(_ path: String, count: Int) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, count - filled) }
            if got < 0 { if errno == EINTR { continue }; return nil }
            if got == 0 { break }
            filled += got
        }
        return Array(bytes[0..<filled])
    }

    /// The size of a file in bytes, or nil.
    public static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}

/// A file's bytes mapped read-only (or, where the file cannot be mapped, as sysfs files
/// before Linux 6.16 cannot, read into memory), released by `release`.
public struct MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public let release: () -> Void

    public static func open(_ path: String, limit: Int = 64 << 20) -> MappedFile? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size > 0, Int(info.st_size) <= limit else { return nil }
        let size = Int(info.st_size)
        if let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED {
            return MappedFile(bytes: UnsafeRawBufferPointer(start: address, count: size), release: { munmap(address, size) })
        }
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        var filled = 0
        while filled < size {
            let got = read(descriptor, memory.baseAddress! + filled, size - filled)
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            filled += got
        }
        return MappedFile(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(memory)[0..<filled]), release: { memory.deallocate() })
    }
}
