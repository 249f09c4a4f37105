// DTraceConsumer/RecordReader: typed values (integers, strings, byte spans) read out of
// records and aggregation keys, through ByteReader.

import DTraceIR
import DTraceSystem

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
        case .bytes(let size): return .bytes(ByteReader(bytes, .littleEndian).bytes(at: field.offset, count: size).map(Array.init) ?? [])
        }
    }

    /// The NUL-terminated string in the `size` bytes at `offset` (all of them when there
    /// is no NUL; fewer at the end of the bytes).
    static func string(_ bytes: [UInt8], at offset: Int, size: Int) -> [UInt8] {
        ByteReader(bytes, .littleEndian).cString(at: offset, limit: size).map(Array.init) ?? []
    }
}
