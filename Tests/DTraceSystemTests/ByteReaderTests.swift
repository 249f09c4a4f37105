// DTraceSystemTests/ByteReaderTests: the byte reader in both byte orders at every size,
// signed and unsigned, on arrays, slices and raw buffers; strings and slices; and every
// kind of bad offset (negative, past the end, straddling it, huge) giving nil or zero,
// never a trap.

import DTraceSystem
import Testing

@Suite struct ByteReaderTests {
    static let data: [UInt8] = [0x01, 0x82, 0x03, 0x84, 0x05, 0x86, 0x07, 0x88, 0xff]

    @Test(arguments: [1, 2, 4, 8])
    func unsignedInBothByteOrders(_ size: Int) {
        let little = ByteReader(Self.data, .littleEndian), big = ByteReader(Self.data, .bigEndian)
        for offset in 0...(Self.data.count - size) {
            let window = Self.data[offset..<offset + size]
            let expectedLittle = window.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let expectedBig = window.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(little.unsigned(at: offset, size: size) == expectedLittle)
            #expect(big.unsigned(at: offset, size: size) == expectedBig)
            #expect(little.unsignedOrZero(at: offset, size: size) == expectedLittle)
            #expect(big.unsignedZeroFilled(at: offset, size: size) == expectedBig)
        }
    }

    @Test func typedReads() {
        let little = ByteReader(Self.data, .littleEndian), big = ByteReader(Self.data, .bigEndian)
        #expect(little.uint8(at: 1) == 0x82 && little.int8(at: 1) == -126)
        #expect(little.uint16(at: 0) == 0x8201 && little.int16(at: 0) == Int16(bitPattern: 0x8201))
        #expect(big.uint16(at: 0) == 0x0182 && big.int16(at: 0) == 0x0182)
        #expect(little.uint32(at: 0) == 0x8403_8201 && little.int32(at: 0) == Int32(bitPattern: 0x8403_8201))
        #expect(big.uint32(at: 1) == 0x8203_8405 && big.int32(at: 1) == Int32(bitPattern: 0x8203_8405))
        #expect(little.uint64(at: 0) == 0x8807_8605_8403_8201 && little.int64(at: 0) == Int64(bitPattern: 0x8807_8605_8403_8201))
        #expect(big.uint64(at: 1) == 0x8203_8405_8607_88ff && big.int64(at: 1) == Int64(bitPattern: 0x8203_8405_8607_88ff))
        // Sign extension at every size: 0xff... is -1, a clear top bit stays positive.
        for size in [1, 2, 4, 8] {
            #expect(ByteReader([UInt8](repeating: 0xff, count: size), .bigEndian).signed(at: 0, size: size) == -1)
            #expect(ByteReader([UInt8](repeating: 0x7f, count: size), .littleEndian).signed(at: 0, size: size)! > 0)
        }
    }

    @Test(arguments: [Int.min, -9, -8, -1, 9, 10, 1 << 40, Int.max - 3, Int.max])
    func outOfRangeOffsetsAreNilOrZero(_ offset: Int) {
        for order in [ByteOrder.littleEndian, .bigEndian] {
            let reader = ByteReader(Self.data, order)
            for size in [1, 2, 4, 8] {
                #expect(reader.unsigned(at: offset, size: size) == nil)
                #expect(reader.signed(at: offset, size: size) == nil)
                #expect(reader.unsignedOrZero(at: offset, size: size) == 0)
                #expect(reader.signedOrZero(at: offset, size: size) == 0)
                // Zero-filled keeps the bytes that lie inside (at -1, all but the first).
                let inside = offset == -1 ? reader.unsigned(at: 0, size: size - 1) : nil
                let kept = inside.map { order == .littleEndian ? $0 << 8 : $0 } ?? 0
                #expect(reader.unsignedZeroFilled(at: offset, size: size) == kept)
            }
            #expect(reader.uint8(at: offset) == nil && reader.uint16(at: offset) == nil && reader.uint32(at: offset) == nil && reader.uint64(at: offset) == nil)
            #expect(reader.int8(at: offset) == nil && reader.int16(at: offset) == nil && reader.int32(at: offset) == nil && reader.int64(at: offset) == nil)
            #expect(reader.bytes(at: offset, count: 1) == nil)
            #expect(reader.cString(at: offset) == nil)
            #expect(reader.string(at: offset, limit: 4) == nil)
        }
    }

    @Test func valuesStraddlingTheEnd() {
        let little = ByteReader(Self.data, .littleEndian), big = ByteReader(Self.data, .bigEndian)
        #expect(little.unsigned(at: 6, size: 4) == nil)
        #expect(little.unsignedOrZero(at: 6, size: 4) == 0)
        // Zero-filled: the bytes inside are kept, those past the end read as 0.
        #expect(little.unsignedZeroFilled(at: 6, size: 4) == 0x00ff_8807)
        #expect(big.unsignedZeroFilled(at: 6, size: 4) == 0x0788_ff00)
        #expect(little.unsignedZeroFilled(at: -2, size: 4) == 0x8201_0000)
        #expect(little.bytes(at: 8, count: 2) == nil)
        #expect(little.bytes(at: 9, count: 0)?.isEmpty == true)
        #expect(little.bytes(at: 0, count: -1) == nil)
        #expect(little.bytes(at: 1, count: Int.max) == nil)
    }

    @Test func sizesOtherThanOneToEightAreRefused() {
        let reader = ByteReader(Self.data, .littleEndian)
        for size in [Int.min, -1, 0, 9, 16, Int.max] {
            #expect(reader.unsigned(at: 0, size: size) == nil)
            #expect(reader.signed(at: 0, size: size) == nil)
            #expect(reader.unsignedOrZero(at: 0, size: size) == 0)
            #expect(reader.unsignedZeroFilled(at: 0, size: size) == 0)
        }
    }

    @Test func stringsAndSlices() {
        let text: [UInt8] = Array("abc\0de\0f".utf8)
        let reader = ByteReader(text, .littleEndian)
        #expect(reader.string(at: 0) == "abc")
        #expect(reader.string(at: 1) == "bc")
        #expect(reader.string(at: 3) == "")
        #expect(reader.string(at: 4) == "de")
        #expect(reader.string(at: 7) == "f")           // unterminated: up to the end
        #expect(reader.string(at: 8) == nil)           // at the end: no string there
        #expect(reader.string(at: 0, limit: 2) == "ab")
        #expect(reader.string(at: 0, limit: 0) == "")
        #expect(reader.string(at: 0, limit: -1) == nil)
        #expect(reader.string(at: 4, limit: Int.max) == "de")
        #expect(reader.cString(at: 4).map(Array.init) == Array("de".utf8))
        #expect(reader.bytes(at: 2, count: 3).map(Array.init) == [UInt8(ascii: "c"), 0, UInt8(ascii: "d")])
        #expect(ByteReader([UInt8](), .bigEndian).string(at: 0) == nil)
    }

    @Test func slicesAndRawBuffersReadFromTheirOwnStart() {
        let slice = Self.data[2..<6]
        let reader = ByteReader(slice, .littleEndian)
        #expect(reader.count == 4)
        #expect(reader.uint32(at: 0) == 0x8605_8403)
        #expect(reader.uint8(at: 4) == nil)
        #expect(reader.bytes(at: 1, count: 2).map(Array.init) == [0x84, 0x05])
        Self.data.withUnsafeBytes { buffer in
            let raw = ByteReader(buffer, .bigEndian)
            #expect(raw.uint16(at: 7) == 0x88ff)
            #expect(raw.uint16(at: 8) == nil)
            let rebased = ByteReader(UnsafeRawBufferPointer(rebasing: buffer[4..<9]), .littleEndian)
            #expect(rebased.uint8(at: 0) == 0x05)
            #expect(rebased.string(at: 4) == "\u{fffd}")
        }
    }

    @Test func randomReadsNeverTrap() {
        var state: UInt64 = 0x1234_5678
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(truncatingIfNeeded: state >> 1) }
        let reader = ByteReader(Self.data, .littleEndian)
        for _ in 0..<10_000 {
            let offset = next() % 24 - 8, size = next() % 12 - 1
            _ = reader.unsigned(at: offset, size: size)
            _ = reader.signedOrZero(at: offset, size: size)
            _ = reader.unsignedZeroFilled(at: offset, size: size)
            _ = reader.bytes(at: offset, count: size)
            _ = reader.string(at: offset, limit: size)
            _ = reader.unsigned(at: next(), size: 8)
        }
    }
}
