// DTraceConsumer/JSONValue: a JSON value as -x oformat=json writes it — objects keep
// their members in the order given — and its serialization on one line (RFC 8259:
// strings escaped, control characters as \u00XX, bytes that are not UTF-8 replaced).

/// A JSON value; objects are ordered lists of members.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    /// A floating-point number (shortest form that reads back the same; null when it is
    /// infinite or not a number, which JSON cannot write).
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized == b.serialized }

    /// A string from recorded bytes (invalid UTF-8 replaced by U+FFFD).
    public static func text(_ bytes: [UInt8]) -> JSONValue { .string(String(decoding: bytes, as: UTF8.self)) }

    /// A recorded integer of `size` bytes: sign-extended when signed, else masked to its size.
    public static func recorded(_ value: Int64, size: Int, signed: Bool) -> JSONValue {
        let bits = UInt64(min(max(size, 1), 8) * 8)
        if signed {
            if bits == 64 { return .integer(value) }
            let shift = Int64(64 - bits)
            return .integer((value << shift) >> shift)
        }
        let raw = UInt64(bitPattern: value)
        return .unsigned(bits == 64 ? raw : raw & ((1 << bits) - 1))
    }

    /// Bytes as a string of lower-case hexadecimal digits, two a byte.
    public static func hex(_ bytes: [UInt8]) -> JSONValue {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 15)]) }
        return .string(text)
    }

    /// The value on one line, no spaces.
    public var serialized: String {
        var text = ""
        write(to: &text)
        return text
    }

    func write(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .integer(let value): text += String(value)
        case .unsigned(let value): text += String(value)
        case .number(let value): text += value.isFinite ? String(value) : "null"
        case .string(let value): JSONValue.quote(value, into: &text)
        case .array(let elements):
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                element.write(to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            for (index, (name, value)) in members.enumerated() {
                if index > 0 { text += "," }
                JSONValue.quote(name, into: &text)
                text += ":"
                value.write(to: &text)
            }
            text += "}"
        }
    }

    static func quote(_ value: String, into text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }
}
