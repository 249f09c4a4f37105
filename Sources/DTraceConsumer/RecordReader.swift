// DTraceConsumer/RecordReader: typed values (integers, strings, byte spans, floating-point
// numbers) read out of records and aggregation keys, through ByteReader.

import DTraceIR
import DTraceSystem
import DTraceText

/// Reads typed values out of record and key bytes (little-endian, through ByteReader):
/// a field that does not lie wholly inside the bytes reads as 0 or as no bytes.
public enum RecordReader {
    enum Datum { case integer(Int64), bytes([UInt8]) }

    public static func integer(_ bytes: [UInt8], at offset: Int, size: Int) -> Int64 {
        Int64(bitPattern: ByteReader(bytes, .littleEndian).unsignedOrZero(at: offset, size: size))
    }

    static func value(_ bytes: [UInt8], _ field: RecordField) -> Datum {
        switch field.type {
        case .integer, .pointer, .stack, .symbol: return .integer(integer(bytes, at: field.offset, size: 8))
        case .string(let size): return .bytes(string(bytes, at: field.offset, size: size))
        case .addressText: return .bytes(addressText(bytes, field))
        case .bytes(let size), .floating(let size): return .bytes(ByteReader(bytes, .littleEndian).bytes(at: field.offset, count: size).map(Array.init) ?? [])
        }
    }

    /// The text of an address key (`AddressKey`) in `field`.
    static func addressText(_ bytes: [UInt8], _ field: RecordField) -> [UInt8] {
        let end = min(bytes.count, field.offset + field.type.size)
        return AddressKey.text(field.offset < end ? Array(bytes[field.offset..<end]) : [])
    }

    /// The float, double or long double in the `size` bytes at `offset` (0 when they are
    /// not all there): a float widened to double, as C passes it to printf.
    static func floating(_ bytes: [UInt8], at offset: Int, size: Int) -> FloatingValue {
        let reader = ByteReader(bytes, .littleEndian)
        switch size {
        case 4: return .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: reader.unsignedOrZero(at: offset, size: 4)))))
        case 16:
            // x87's extended format: a 64-bit significand (its integer bit explicit), then
            // the sign and 15-bit exponent.
            let significand = reader.unsignedOrZero(at: offset, size: 8)
            let signAndExponent = UInt16(truncatingIfNeeded: reader.unsignedOrZero(at: offset + 8, size: 2))
            return .extended(sign: signAndExponent >> 15 != 0, exponent: signAndExponent & 0x7fff, significand: significand)
        default: return .double(Double(bitPattern: reader.unsignedOrZero(at: offset, size: 8)))
        }
    }

    /// The NUL-terminated string in the `size` bytes at `offset` (all of them when there
    /// is no NUL; fewer at the end of the bytes).
    static func string(_ bytes: [UInt8], at offset: Int, size: Int) -> [UInt8] {
        ByteReader(bytes, .littleEndian).cString(at: offset, limit: size).map(Array.init) ?? []
    }
}

/// A recorded floating-point number: a double (or a float widened to one), or an x87
/// long double's fields (which printf's %L conversions format).
public enum FloatingValue: Equatable, Sendable {
    case double(Double)
    case extended(sign: Bool, exponent: UInt16, significand: UInt64)
}
