// DTraceConsumer/PrintAction: print()'s output — a value laid out by its type the way
// dtrace(1M) does it (MDB's ::print -tn style): "int 0x5", `string "text"`, structs as
// "struct foo {" with one "type name = value" line per member, four spaces a level,
// char arrays that hold a string as "text", other arrays as "[ a, b ]", characters as
// 'c', integers and pointers in hex, enums by name. Reads are bounds-checked: bytes
// missing from the record read as zero.

import DTraceIR
import DTraceSystem

enum PrintLayout {
    /// The text for a top-level value (no trailing newline after a struct's "}", as
    /// dtrace(1M) leaves it).
    static func render(_ type: PrintType, _ bytes: [UInt8]) -> String {
        switch type {
        case .composite(let name, let members):
            return name + " {\n" + members.map { member($0, bytes, base: 0, depth: 1) }.joined() + "}"
        case .string:
            return "string \"" + String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) + "\"\n"
        default:
            return type.name + " " + value(type, bytes, offset: 0, depth: 0, topLevel: true) + "\n"
        }
    }

    static func indent(_ depth: Int) -> String { String(repeating: " ", count: depth * 4) }

    /// One member line (and, for a struct, its members and closing brace).
    static func member(_ member: PrintMember, _ bytes: [UInt8], base: Int, depth: Int) -> String {
        let typeName = member.type.name
        let separator = typeName.hasSuffix("*") || typeName.hasSuffix(" ") ? "" : " "
        let head = indent(depth) + typeName + separator + member.name + " = "
        let offset = base + member.offset
        if case .composite(_, let members) = member.type {
            return head + "{\n" + members.map { self.member($0, bytes, base: offset, depth: depth + 1) }.joined() + indent(depth) + "}\n"
        }
        return head + value(member.type, bytes, offset: offset, depth: depth, topLevel: false) + "\n"
    }

    /// The little-endian integer of `size` bytes at `offset` (its low 8 bytes when it is
    /// wider), each byte missing from the record read as zero.
    static func unsigned(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64 {
        ByteReader(bytes, .littleEndian).unsignedZeroFilled(at: offset, size: min(size, 8))
    }

    /// C's "%#x": 0 stays "0", anything else is "0x" and lower-case digits.
    static func hex(_ value: UInt64) -> String { value == 0 ? "0" : "0x" + String(value, radix: 16) }

    static func character(_ byte: UInt8) -> String {
        if byte == 0 { return "'\\0'" }
        if byte >= 0x20 && byte < 0x7f { return "'" + String(UnicodeScalar(byte)) + "'" }
        // %03o of the (signed) char promoted to int.
        let octal = String(UInt32(bitPattern: Int32(Int8(bitPattern: byte))), radix: 8)
        return "'\\" + String(repeating: "0", count: max(0, 3 - octal.count)) + octal + "'"
    }

    static func value(_ type: PrintType, _ bytes: [UInt8], offset: Int, depth: Int, topLevel: Bool) -> String {
        switch type {
        case .integer(_, let size, _, let isCharacter):
            let raw = unsigned(bytes, at: offset, size: size)
            return isCharacter ? character(UInt8(truncatingIfNeeded: raw)) : hex(raw)
        case .pointer:
            return hex(unsigned(bytes, at: offset, size: 8))
        case .string:
            return "\"" + (ByteReader(bytes, .littleEndian).string(at: offset) ?? "") + "\""
        case .enumeration(_, let size, let enumerators):
            let raw = Int64(Int32(truncatingIfNeeded: Int64(bitPattern: unsigned(bytes, at: offset, size: min(size, 4)))))
            return enumerators.first { $0.value == raw }?.name ?? String(raw)
        case .array(_, let element, let count, let elementSize):
            if case .integer(_, 1, _, true) = element {
                // All printable characters up to a NUL: shown as a string.
                var text: [UInt8] = []
                var isString = false
                for index in 0..<count {
                    let byte = UInt8(unsigned(bytes, at: offset + index, size: 1))
                    if byte == 0 { isString = index < count; break }
                    if byte < 0x20 || byte >= 0x7f { break }
                    text.append(byte)
                }
                if isString {
                    let quoted = "\"" + String(decoding: text, as: UTF8.self) + "\""
                    return topLevel ? quoted : "[ " + quoted + " ]"
                }
            }
            let elements = (0..<count).map { value(element, bytes, offset: offset + $0 * elementSize, depth: depth, topLevel: false) }
            return "[ " + elements.joined(separator: ", ") + " ]"
        case .composite(_, let members):
            return "{\n" + members.map { member($0, bytes, base: offset, depth: depth + 1) }.joined() + indent(depth) + "}"
        case .other(_, let size):
            return hex(unsigned(bytes, at: offset, size: min(max(size, 1), 8)))
        }
    }
}
