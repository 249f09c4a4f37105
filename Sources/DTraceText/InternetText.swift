// DTraceText/InternetText: an address's text as DTrace writes it — inet_ntoa's dotted
// quad, and IPv6 text with DTrace's rules for the longest zero run and embedded IPv4
// addresses — and the address keys the consumer formats (`AddressKey`). It lives in
// DTraceText because both the library (inet_ntoa() in the user engine) and the consumer
// (aggregation keys holding raw addresses) write it.

public enum InternetText {
    /// The zero run DTrace compresses to "::": the first byte and the length in bytes
    /// (first -1 when none). Its rules, kept as they are: a run starts on an even byte,
    /// one zero group is enough, and a later run of equal length can win.
    public static func zeroRun(_ bytes: [UInt8]) -> (first: Int, length: Int) {
        var first = -1, trying = -1, length = 1
        for index in 0..<16 {
            if bytes[index] == 0 && trying == -1 && index % 2 == 0 { trying = index; continue }
            guard trying != -1, bytes[index] != 0 || index == 15 else { continue }
            if index - trying <= length { trying = -1; continue }
            first = trying
            length = index - index % 2 - trying
            trying = -1
            if bytes[index] == 0 && index == 15 { length += 2 }
        }
        return (first, length)
    }

    /// An IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d, not :: or ::1) address.
    public static func embedsIPv4(_ bytes: [UInt8]) -> Bool {
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        let last = bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) }
        return mapped || (bytes[0..<12].allSatisfy { $0 == 0 } && last != 0 && last != 1)
    }

    /// inet_ntop(AF_INET6, ...) and inet_ntoa6() as DTrace: lower-case groups without
    /// leading zeros, its zero run as "::", the embedded IPv4 form dotted (alone for
    /// inet_ntoa6).
    public static func ipv6(_ bytes: [UInt8], embeddedIPv4Alone: Bool = false) -> String {
        let (first, length) = zeroRun(bytes)
        var pieces: [String] = []                   // right to left, as DTrace builds it
        var index = 14
        if embedsIPv4(bytes) {
            let dotted = bytes[12..<16].map { String($0) }.joined(separator: ".")
            if embeddedIPv4Alone { return dotted }
            pieces.append(dotted)
            index = 10
        }
        while index >= 0 {
            if index == first + length - 2 {
                pieces.append("::")
                index -= length
                continue
            }
            if index < 14 && index != first - 2 { pieces.append(":") }
            pieces.append(String(Int(bytes[index]) << 8 | Int(bytes[index + 1]), radix: 16))
            index -= 2
        }
        return pieces.reversed().joined()
    }
}

extension InternetText {
    /// inet_ntoa()'s dotted quad of four bytes.
    public static func ipv4<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String($0) }.joined(separator: ".")
    }
}

/// An aggregation key slot that holds an address, not its text: the kernel keys by the
/// address's bytes (no text to build, a short key to hash) and the consumer writes the
/// text. A slot is `width` bytes: its first byte says what follows —
/// - `ipv4`: inet_ntoa()'s four bytes at `ipv4Offset`;
/// - `ipv6`: inet_ntop(AF_INET6, ...)'s sixteen bytes at `ipv6Offset` (inet_ntoa6(a, 1) too);
/// - `ipv6EmbeddedAlone`: inet_ntoa6()'s, whose embedded IPv4 address is written alone;
/// - `literal`: a string constant's text at `textOffset` (a ?: arm such as "<unknown>").
/// Two slots with the same text are the same key: `canonical` gives the one form each
/// text has, so the consumer can merge them (an IPv4-mapped address by inet_ntoa6() and
/// the IPv4 address by inet_ntoa()).
public enum AddressKey {
    public static let literal: UInt8 = 0, ipv4: UInt8 = 4, ipv6EmbeddedAlone: UInt8 = 5, ipv6: UInt8 = 6
    public static let textOffset = 8, ipv4Offset = 4, ipv6Offset = 8

    /// The slot's bytes for keys whose literals are at most `longestLiteral` bytes long.
    public static func width(longestLiteral: Int) -> Int { max(ipv6Offset + 16, (textOffset + longestLiteral + 1 + 7) & ~7) }

    /// The slot's text (without a NUL).
    public static func text(_ slot: [UInt8]) -> [UInt8] {
        func bytes(_ offset: Int, _ count: Int) -> [UInt8] {
            (offset..<offset + count).map { $0 < slot.count ? slot[$0] : 0 }
        }
        switch slot.first ?? literal {
        case ipv4: return Array(InternetText.ipv4(bytes(ipv4Offset, 4)).utf8)
        case ipv6: return Array(InternetText.ipv6(bytes(ipv6Offset, 16)).utf8)
        case ipv6EmbeddedAlone: return Array(InternetText.ipv6(bytes(ipv6Offset, 16), embeddedIPv4Alone: true).utf8)
        default: return Array(slot.dropFirst(textOffset).prefix { $0 != 0 })
        }
    }

    /// The one slot each text has: an IPv6 address of inet_ntoa6() written as IPv4 is the
    /// IPv4 slot, otherwise the IPv6 one; a literal that is an address's text exactly (as
    /// inet_ntoa() or inet_ntop() writes it) is that address's slot.
    public static func canonical(_ slot: [UInt8]) -> [UInt8] {
        guard let kind = slot.first, slot.count >= ipv6Offset + 16 else { return slot }
        var result = [UInt8](repeating: 0, count: slot.count)
        switch kind {
        case ipv4, ipv6: return slot
        case ipv6EmbeddedAlone:
            let address = Array(slot[ipv6Offset..<ipv6Offset + 16])
            if InternetText.embedsIPv4(address) {
                result[0] = ipv4
                result[ipv4Offset..<ipv4Offset + 4] = address[12..<16]
            } else {
                result[0] = ipv6
                result[ipv6Offset..<ipv6Offset + 16] = address[...]
            }
            return result
        default:
            let text = String(decoding: text(slot), as: UTF8.self)
            if let address = parseIPv4(text), InternetText.ipv4(address) == text {
                result[0] = ipv4
                result[ipv4Offset..<ipv4Offset + 4] = address[...]
                return result
            }
            if let address = parseIPv6(text), InternetText.ipv6(address) == text {
                result[0] = ipv6
                result[ipv6Offset..<ipv6Offset + 16] = address[...]
                return result
            }
            return slot
        }
    }

    /// "a.b.c.d" with each part a decimal number below 256.
    static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// Hexadecimal groups separated by ":", at most one "::", an IPv4 tail allowed.
    static func parseIPv6(_ text: String) -> [UInt8]? {
        var groups: [[UInt16]] = [[], []]   // before and after "::"
        var half = 0
        let pieces = splitAtDoubleColons(text)
        guard pieces.count <= 2 else { return nil }
        for (index, piece) in pieces.enumerated() {
            half = index
            guard !piece.isEmpty else { continue }
            let parts = piece.split(separator: ":", omittingEmptySubsequences: false)
            for (position, part) in parts.enumerated() {
                if position == parts.count - 1, part.contains("."), let tail = parseIPv4(String(part)) {
                    groups[half].append(UInt16(tail[0]) << 8 | UInt16(tail[1]))
                    groups[half].append(UInt16(tail[2]) << 8 | UInt16(tail[3]))
                    continue
                }
                guard (1...4).contains(part.count), let value = UInt16(part, radix: 16) else { return nil }
                groups[half].append(value)
            }
        }
        let count = groups[0].count + groups[1].count
        guard pieces.count == 2 ? count <= 7 : count == 8 else { return nil }
        let all = groups[0] + [UInt16](repeating: 0, count: 8 - count) + groups[1]
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// The text's pieces between "::"s.
    static func splitAtDoubleColons(_ text: String) -> [Substring] {
        var pieces: [Substring] = []
        var rest = Substring(text), searched = rest.startIndex
        while let index = rest[searched...].firstIndex(of: ":") {
            let next = rest.index(after: index)
            guard next < rest.endIndex, rest[next] == ":" else { searched = next; continue }
            pieces.append(rest[..<index])
            rest = rest[rest.index(after: next)...]
            searched = rest.startIndex
        }
        pieces.append(rest)
        return pieces
    }
}
