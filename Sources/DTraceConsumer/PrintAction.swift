// DTraceConsumer/PrintAction: print()'s output as Oracle's DTrace writes it — the pointer,
// " = *", then the bytes it points to laid out by type, 44 spaces in and one more a level:
// "(type)value," a line, members as ".name = ", structs and unions in braces, arrays in
// brackets. Its walk is Oracle's, quirks included: members and elements that are all
// zero are left out (below the top level), char arrays end at their first NUL, the walk
// stops with "..." past the printsize bytes or ten levels down, and an array whose
// elements have no CTF encoding (typedefs, structs, pointers, arrays) ends it. Reads are
// bounds-checked: bytes missing from the record read as zero.

import DTraceIR
import DTraceSystem

struct PrintWalk {
    /// Where the walk's lines start.
    static let startIndent = 44
    static let depthLimit = PrintType.depthLimit
    /// Types this big or bigger are shown even when they are all zero.
    static let zeroComparisonLimit = 65536

    let bytes: [UInt8]
    /// The bytes shown: the type's size, at most printsize.
    let shownSize: Int
    var text = ""
    /// For each depth, whether the last value shown there was a struct or union (whose
    /// brace a shallower value closes).
    var opensBraces = [Bool](repeating: false, count: PrintWalk.depthLimit)
    /// The depth of the last value shown.
    var lastDepth = 0

    enum Step { case goOn, stop }

    /// The whole text: the pointer's line, the walk, the braces still open.
    static func render(address: UInt64, type: PrintType, bytes: [UInt8], printSize: Int?) -> String {
        var walk = PrintWalk(bytes: bytes, shownSize: min(type.size, printSize ?? Int.max))
        walk.text = "0x" + String(address, radix: 16) + " = *\n"
        _ = walk.visitTree(type, name: "", bitOffset: 0, depth: 0)
        walk.closeBraces(depth: 0)
        return walk.text
    }

    /// A value and, for a struct or union, its members in turn, until a step stops.
    mutating func visitTree(_ type: PrintType, name: String, bitOffset: Int, depth: Int) -> Step {
        if show(type, name: name, bitOffset: bitOffset, depth: depth) == .stop { return .stop }
        guard case .composite(_, _, let members) = type else { return .goOn }
        for member in members {
            if visitTree(member.type, name: member.name, bitOffset: bitOffset + member.bitOffset, depth: depth + 1) == .stop { return .stop }
        }
        return .goOn
    }

    /// One value's line (an array's elements too).
    mutating func show(_ type: PrintType, name: String, bitOffset: Int, depth: Int) -> Step {
        let offset = bitOffset / 8
        if offset >= shownSize || depth >= Self.depthLimit {
            line(depth, "...")
            return .stop
        }
        if lastDepth > depth { closeBraces(depth: depth) }
        if depth > 0, type.size < Self.zeroComparisonLimit, isZero(offset, type.size) { return .goOn }
        opensBraces[depth] = { if case .composite = type { return true }; return false }()
        lastDepth = depth
        var typeName = type.name
        if typeName.hasSuffix(" ") { typeName.removeLast() }   // an anonymous "struct "
        let label = depth > 0 && !name.isEmpty ? "." + name + " = " : ""
        switch type {
        case .composite:
            line(depth, label + "(" + typeName + ") {")
        case .array(_, let element, let count, let elementSize, let encoding):
            line(depth, label + "(" + typeName + ") [" + (count == 0 ? "]," : ""))
            return showElements(element, count: count, elementSize: elementSize, encoding: encoding, bitOffset: bitOffset, depth: depth)
        case .integer(_, let size, let bits, let signed, let isCharacter):
            guard let value = integerText(size: size, bits: bits, signed: signed, isCharacter: isCharacter, bitOffset: bitOffset) else { return .goOn }
            line(depth, label + "(" + typeName + ")" + value + ",")
        case .enumeration(_, _, let enumerators):
            let value = Int64(Int32(truncatingIfNeeded: unsigned(offset, 4)))
            line(depth, label + "(" + typeName + ")" + (enumerators.first { $0.value == value }?.name ?? String(value)) + ",")
        case .pointer:
            line(depth, label + "(" + typeName + ")0x" + String(unsigned(offset, 8), radix: 16) + ",")
        case .unshown, .beyondDepth:
            break
        }
        return .goOn
    }

    /// An array's elements after its opening line: the walk stops at elements it cannot
    /// read; all-zero arrays get no closing line, characters end at a NUL.
    mutating func showElements(_ element: PrintType, count: Int, elementSize: Int, encoding: PrintElementEncoding,
                               bitOffset: Int, depth: Int) -> Step {
        if encoding == .none { return .stop }
        let offset = bitOffset / 8
        if isZero(offset, count * elementSize) { return .goOn }
        // The elements are shown with a copy of the walk's state.
        let saved = (opensBraces, lastDepth)
        defer { (opensBraces, lastDepth) = saved }
        for index in 0..<count {
            if encoding == .characters && unsigned(offset + index, 1) == 0 { break }
            if show(element, name: "", bitOffset: bitOffset + index * elementSize * 8, depth: depth + 1) == .stop { return .stop }
        }
        if count > 0 { line(depth, "],") }
        return .goOn
    }

    /// An integer's value as text: 'c' for a char, the number otherwise; nil for a
    /// bit-field that is zero (not shown).
    func integerText(size: Int, bits: Int, signed: Bool, isCharacter: Bool, bitOffset: Int) -> String? {
        let offset = bitOffset / 8
        let value: Int64
        switch bits {
        case 8, 16, 32:
            let raw = unsigned(offset, bits / 8)
            let shift = UInt64(64 - bits)
            value = signed ? Int64(bitPattern: raw << shift) >> Int64(shift) : Int64(raw)
        case 64:
            if !signed { return String(unsigned(offset, 8)) }
            value = Int64(bitPattern: unsigned(offset, 8))
        case 1...63:
            // Oracle's reading of a bit-field: the 64 bits from the byte it starts in,
            // shifted left by 63 less its bit offset modulo 64, then right by 64 less its width.
            let word = unsigned(offset, 8)
            let field = (word << UInt64(63 - bitOffset % 64)) >> UInt64(64 - bits)
            if field == 0 { return nil }
            value = Int64(bitPattern: field)
        default:
            return "?(\(bits) bit value)"
        }
        if isCharacter { return "'" + String(decoding: [UInt8(truncatingIfNeeded: value)], as: UTF8.self) + "'" }
        return String(value)
    }

    /// Closes the braces of the structs and unions shown deeper than `depth`, when the
    /// value last shown at `depth` opened one (the top level's always closes).
    mutating func closeBraces(depth: Int) {
        guard opensBraces[depth] else { return }
        if depth == 0 && lastDepth == 0 { lastDepth = 1 }
        var level = lastDepth - depth
        while level > 0 {
            text += String(repeating: " ", count: Self.startIndent + depth + level - 1) + "}" + (depth > 0 || level > 1 ? "," : "") + "\n"
            lastDepth = depth
            level -= 1
        }
    }

    mutating func line(_ depth: Int, _ content: String) {
        text += String(repeating: " ", count: Self.startIndent + depth) + content + "\n"
    }

    /// The little-endian integer of `size` bytes (at most 8) at `offset`.
    func unsigned(_ offset: Int, _ size: Int) -> UInt64 {
        ByteReader(bytes, .littleEndian).unsignedZeroFilled(at: offset, size: min(size, 8))
    }

    func isZero(_ offset: Int, _ count: Int) -> Bool {
        guard count > 0, offset < bytes.count else { return true }
        return bytes[offset..<min(bytes.count, offset + count)].allSatisfy { $0 == 0 }
    }
}
