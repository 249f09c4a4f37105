// DTraceSystem/ByteReader: the one reader of binary data — ELF files, BTF blobs, BPF
// instructions, trace records and aggregation keys. It reads unsigned and signed
// integers of 1, 2, 4 or 8 bytes in the byte order it is given, NUL-terminated strings
// and byte slices, at offsets from the start of any random-access collection of bytes
// ([UInt8], ArraySlice, UnsafeRawBufferPointer). No read ever traps: an offset that is
// negative, huge, or leaves too few bytes gives nil (for parsers that must tell "past
// the end" from data), or, through the `OrZero` and `ZeroFilled` forms, zero. A value
// is one unaligned load after the bounds check (the reads of a kernel's BTF scan
// hundreds of thousands of types at every kernel-engine start).

/// The order of an integer's bytes in memory or in a file.
public enum ByteOrder: Sendable {
    case littleEndian
    case bigEndian
}

/// Bounds-checked reads at offsets of `bytes`. Offsets count from the collection's
/// start index, so a slice reads as if it were its own array.
public struct ByteReader<Bytes: RandomAccessCollection> where Bytes.Element == UInt8, Bytes.Index == Int {
    public let bytes: Bytes
    public let byteOrder: ByteOrder

    @inlinable public init(_ bytes: Bytes, _ byteOrder: ByteOrder) {
        self.bytes = bytes
        self.byteOrder = byteOrder
    }

    @inlinable public var count: Int { bytes.count }

    /// Whether `count` bytes at `offset` all lie inside the data (no arithmetic that
    /// could overflow).
    @inlinable @inline(__always) public func contains(offset: Int, count: Int) -> Bool {
        offset >= 0 && count >= 0 && offset <= bytes.count && count <= bytes.count - offset
    }

    // MARK: integers, nil past the end

    /// The unsigned integer of `size` bytes (1 to 8) at `offset`; nil when any of its
    /// bytes lies outside the data, or `size` is not 1 to 8.
    @inlinable @inline(__always) public func unsigned(at offset: Int, size: Int) -> UInt64? {
        switch size {
        case 1: return load(UInt8.self, at: offset).map(UInt64.init)
        case 2: return load(UInt16.self, at: offset).map(UInt64.init)
        case 4: return load(UInt32.self, at: offset).map(UInt64.init)
        case 8: return load(UInt64.self, at: offset)
        case 3, 5, 6, 7:
            guard contains(offset: offset, count: size) else { return nil }
            let start = bytes.startIndex + offset
            var value: UInt64 = 0
            for index in 0..<size {
                let byte = UInt64(bytes[start + index])
                value |= byteOrder == .littleEndian ? byte << (8 * UInt64(index)) : byte << (8 * UInt64(size - 1 - index))
            }
            return value
        default: return nil
        }
    }

    /// The integer of type `T` at `offset` (one unaligned load where the bytes are
    /// contiguous, as arrays and raw buffers are); nil when it does not lie inside.
    @inlinable @inline(__always) func load<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, at offset: Int) -> T? {
        let size = MemoryLayout<T>.size
        guard contains(offset: offset, count: size) else { return nil }
        let stored = bytes.withContiguousStorageIfAvailable { UnsafeRawBufferPointer($0).loadUnaligned(fromByteOffset: offset, as: T.self) } ?? {
            var value: T = 0
            let start = bytes.startIndex + offset
            withUnsafeMutableBytes(of: &value) { for index in 0..<size { $0[index] = bytes[start + index] } }
            return value
        }()
        return byteOrder == .littleEndian ? T(littleEndian: stored) : T(bigEndian: stored)
    }

    /// The signed (two's complement, sign-extended) integer of `size` bytes at `offset`;
    /// nil as for `unsigned(at:size:)`.
    @inlinable public func signed(at offset: Int, size: Int) -> Int64? {
        guard let value = unsigned(at: offset, size: size) else { return nil }
        let unused = UInt64(64 - 8 * size)
        return Int64(bitPattern: value << unused) >> unused
    }

    @inlinable public func uint8(at offset: Int) -> UInt8? { load(UInt8.self, at: offset) }
    @inlinable public func uint16(at offset: Int) -> UInt16? { load(UInt16.self, at: offset) }
    @inlinable public func uint32(at offset: Int) -> UInt32? { load(UInt32.self, at: offset) }
    @inlinable public func uint64(at offset: Int) -> UInt64? { load(UInt64.self, at: offset) }
    @inlinable public func int8(at offset: Int) -> Int8? { load(UInt8.self, at: offset).map { Int8(bitPattern: $0) } }
    @inlinable public func int16(at offset: Int) -> Int16? { load(UInt16.self, at: offset).map { Int16(bitPattern: $0) } }
    @inlinable public func int32(at offset: Int) -> Int32? { load(UInt32.self, at: offset).map { Int32(bitPattern: $0) } }
    @inlinable public func int64(at offset: Int) -> Int64? { load(UInt64.self, at: offset).map { Int64(bitPattern: $0) } }

    // MARK: integers, zero past the end

    /// As `unsigned(at:size:)`, but 0 when the value does not lie wholly inside the data
    /// (how records and aggregation keys are read: a field that is missing reads as 0).
    @inlinable public func unsignedOrZero(at offset: Int, size: Int) -> UInt64 { unsigned(at: offset, size: size) ?? 0 }

    /// As `signed(at:size:)`, but 0 when the value does not lie wholly inside the data.
    @inlinable public func signedOrZero(at offset: Int, size: Int) -> Int64 { signed(at: offset, size: size) ?? 0 }

    /// The unsigned integer of `size` bytes (1 to 8) at `offset`, each of its bytes that
    /// lies outside the data read as 0 (a value straddling the end keeps the bytes
    /// inside); 0 when `size` is not 1 to 8.
    @inlinable public func unsignedZeroFilled(at offset: Int, size: Int) -> UInt64 {
        guard size >= 1, size <= 8 else { return 0 }
        if let whole = unsigned(at: offset, size: size) { return whole }
        var value: UInt64 = 0
        for index in 0..<size {
            let (position, overflow) = offset.addingReportingOverflow(index)
            guard !overflow, position >= 0, position < bytes.count else { continue }
            let byte = UInt64(bytes[bytes.startIndex + position])
            value |= byteOrder == .littleEndian ? byte << (8 * UInt64(index)) : byte << (8 * UInt64(size - 1 - index))
        }
        return value
    }

    // MARK: strings and slices

    /// The `count` bytes at `offset`; nil when any of them lies outside the data.
    @inlinable public func bytes(at offset: Int, count: Int) -> Bytes.SubSequence? {
        guard contains(offset: offset, count: count) else { return nil }
        let start = bytes.startIndex + offset
        return bytes[start..<start + count]
    }

    /// The bytes from `offset` up to the first NUL (not included), to the end of the
    /// data, or to `limit` bytes, whichever comes first; nil when `offset` is outside
    /// the data (an offset at the very end is outside: there is no string there).
    @inlinable public func cString(at offset: Int, limit: Int = .max) -> Bytes.SubSequence? {
        guard offset >= 0, offset < bytes.count, limit >= 0 else { return nil }
        let start = bytes.startIndex + offset
        let end = start + min(limit, bytes.count - offset)
        let slice = bytes[start..<end]
        return slice[..<(slice.firstIndex(of: 0) ?? end)]
    }

    /// `cString(at:limit:)` decoded as UTF-8 (invalid sequences replaced); nil when
    /// `offset` is outside the data.
    @inlinable public func string(at offset: Int, limit: Int = .max) -> String? {
        cString(at: offset, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }
}
