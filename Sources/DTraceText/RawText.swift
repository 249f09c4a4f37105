// DTraceText/RawText: traced bytes kept byte for byte in Swift strings. DTrace writes
// what it traced as it is — a file name in Latin-1, binary data through %s — but a
// Swift String holds only valid UTF-8. So each byte that is not part of a valid UTF-8
// sequence is kept as one private-use scalar (U+10FF80 + the byte - 0x80, in plane 16's
// last 128 code points), and turned back into that byte where text leaves dtrace (the
// output, a system() command). Valid text is untouched.

public enum RawText {
    /// The first of the 128 scalars that stand for the bytes 0x80...0xFF.
    static let base: UInt32 = 0x10FF80

    /// `bytes` as a String: valid UTF-8 as it is, any other byte as its stand-in scalar.
    public static func string<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        var scalars = String.UnicodeScalarView()
        let array = Array(bytes)
        var index = 0
        while index < array.count {
            if let (scalar, length) = decode(array, at: index) {
                scalars.append(scalar)
                index += length
            } else {
                scalars.append(Unicode.Scalar(base + UInt32(array[index] - 0x80))!)
                index += 1
            }
        }
        return String(scalars)
    }

    /// The bytes a String stands for: its UTF-8, with each stand-in scalar as its byte.
    public static func bytes(_ text: String) -> [UInt8] {
        var result: [UInt8] = []
        append(text, to: &result)
        return result
    }

    /// Appends the bytes `text` stands for.
    public static func append(_ text: String, to buffer: inout [UInt8]) {
        // Stand-ins encode as F4 8F BE/BF xx: text without an F4 byte has none.
        guard text.utf8.contains(0xF4) else { buffer.append(contentsOf: text.utf8); return }
        for scalar in text.unicodeScalars {
            if scalar.value >= base { buffer.append(UInt8(scalar.value - base + 0x80)) } else { buffer.append(contentsOf: String(scalar).utf8) }
        }
    }

    /// The scalar of a valid UTF-8 sequence starting at `index` and its length (nil: the
    /// byte there begins none).
    static func decode(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let first = bytes[index]
        let length: Int, minimum: UInt32
        var value: UInt32
        switch first {
        case 0x00...0x7F: return (Unicode.Scalar(first), 1)
        case 0xC2...0xDF: length = 2; minimum = 0x80; value = UInt32(first & 0x1F)
        case 0xE0...0xEF: length = 3; minimum = 0x800; value = UInt32(first & 0x0F)
        case 0xF0...0xF4: length = 4; minimum = 0x10000; value = UInt32(first & 0x07)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
