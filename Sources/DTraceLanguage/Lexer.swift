// DTraceLanguage/Lexer: D source text to tokens. It is driven by the parser, which
// asks for an ordinary token or, at the start of a clause, for a probe description
// (D's lexer has the same two states). Comments, `#pragma` lines, cpp line markers
// and a leading `#!` line are handled here. Malformed input is a Diagnostic.

public enum Keyword: String, Sendable, CaseIterable {
    case auto, `break`, `case`, char, const, `continue`, counter, `default`, `do`, double, `else`, `enum`
    case extern, float, `for`, goto, `if`, `import`, inline, int, long, offsetof, probe, provider
    case register, restrict, `return`, `self`, short, signed, sizeof, `static`, string, stringof
    case `struct`, `switch`, this, translator, typedef, union, unsigned, userland, void, volatile
    case `while`, xlate
}

public enum TokenKind: Equatable, Sendable {
    case identifier(String)
    case keyword(Keyword)
    /// An integer literal with the C type its value and suffix give it.
    case integer(UInt64, typeName: String)
    case string([UInt8])
    case character(Int64)
    case punctuation(String)
    case macroArgument(Int, asString: Bool)    // $1, $$1
    case macroVariable(String, asString: Bool) // $target, $pid, ...
    case aggregation(String)                   // @name, "" for @
    case probeDescription(String)
    case pragma(String)                        // the text after "#pragma"
    case endOfInput
}

public struct Token: Equatable, Sendable {
    public var kind: TokenKind
    public var line: Int
    public var offset: Int  // byte offset of the first character
    public var text: String // as written, for "syntax error near" messages
}

public struct Lexer {
    let bytes: [UInt8]
    /// Reading a library of -L, which may depend on other libraries.
    var readsLibrary = false
    public private(set) var position = 0
    public private(set) var line = 1

    public init(_ source: String) {
        var bytes = Array(source.utf8)
        // An interpreter line (#!/usr/sbin/dtrace -s) is not D: blank it but keep the line count.
        if bytes.starts(with: Array("#!".utf8)) {
            var index = 0
            while index < bytes.count, bytes[index] != 0x0a { bytes[index] = 0x20; index += 1 }
        }
        self.bytes = bytes
    }

    /// Restarts scanning at a token previously returned (for a parser that looked ahead).
    public mutating func rewind(to token: Token) { position = token.offset; line = token.line }

    /// Each punctuator with its bytes, longest first (compared without allocating).
    static let punctuatorBytes: [(String, [UInt8])] = punctuators.map { ($0, Array($0.utf8)) }

    static let punctuators: [String] = [
        "<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "^^",
        "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=",
        "+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "<", ">", "=", "?", ":", ";", ",", ".",
        "(", ")", "[", "]", "{", "}", "`",
    ]

    func peekByte(_ ahead: Int = 0) -> UInt8? { position + ahead < bytes.count ? bytes[position + ahead] : nil }

    /// Skips white space, comments and preprocessor lines (recording pragmas).
    mutating func skipTrivia() throws(Diagnostic) -> Token? {
        while let byte = peekByte() {
            if byte == 0x0a { line += 1; position += 1; continue }
            if byte == 0x20 || byte == 0x09 || byte == 0x0d || byte == 0x0b || byte == 0x0c { position += 1; continue }
            if byte == 0x2f, peekByte(1) == 0x2a {
                position += 2
                while true {
                    // Named at the line the end of the file is on, as DTrace's lexer names it.
                    guard let next = peekByte() else {
                        throw Diagnostic(.syntax, "end-of-file encountered before matching */", line: line)
                    }
                    if next == 0x2a, peekByte(1) == 0x2f { position += 2; break }
                    if next == 0x0a { line += 1 }
                    position += 1
                }
                continue
            }
            if byte == 0x2f, peekByte(1) == 0x2f {
                while let next = peekByte(), next != 0x0a { position += 1 }
                continue
            }
            if byte == 0x23, atLineStart() {
                let start = position, startLine = line
                while let next = peekByte(), next != 0x0a { position += 1 }
                if peekByte() == nil {
                    throw Diagnostic(.syntax, "end-of-file encountered before end of control line", line: startLine)
                }
                let text = String(decoding: bytes[(start + 1)..<position], as: UTF8.self)
                let trimmed = text.drop { $0 == " " || $0 == "\t" }
                // cpp line marker: "# 12 "file"" or "#line 12": the next line is line 12.
                let words = trimmed.split(separator: " ")
                if let first = words.first {
                    let number = first == "line" ? (words.count > 1 ? Int(words[1]) : nil) : Int(first)
                    if let number { line = number - 1; continue }
                }
                try ControlLine(String(trimmed), line: startLine).checkForm(inLibrary: readsLibrary)
                if trimmed.hasPrefix("pragma") {
                    return Token(kind: .pragma(String(trimmed.dropFirst(6))), line: startLine, offset: start, text: "#" + text)
                }
            }
            break
        }
        return nil
    }

    func atLineStart() -> Bool {
        var index = position - 1
        while index >= 0 {
            if bytes[index] == 0x0a { return true }
            if bytes[index] != 0x20 && bytes[index] != 0x09 { return false }
            index -= 1
        }
        return true
    }

    static func isIdentifierStart(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b == 0x5f }
    static func isIdentifierPart(_ b: UInt8) -> Bool { isIdentifierStart(b) || (b >= 0x30 && b <= 0x39) }

    /// Scans a probe description: the characters D allows in one (letters, digits and
    /// `-_.:$*?[]!\` and `+` for offsets), stopping at white space, `{`, `/`, `,` or `;`.
    public mutating func nextProbeDescription() throws(Diagnostic) -> Token {
        if let pragma = try skipTrivia() { return pragma }
        let start = position, startLine = line
        while let byte = peekByte() {
            let allowed = Lexer.isIdentifierPart(byte) || "-.:$*?[]!\\+`'\"#~%&^@|=<>()".utf8.contains(byte)
            if !allowed { break }
            if byte == 0x2f { break }
            position += 1
        }
        if position == start { return try next() }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        return Token(kind: .probeDescription(text), line: startLine, offset: start, text: text)
    }

    /// Scans the next ordinary token.
    public mutating func next() throws(Diagnostic) -> Token {
        if let pragma = try skipTrivia() { return pragma }
        let start = position, startLine = line
        guard let byte = peekByte() else { return Token(kind: .endOfInput, line: line, offset: position, text: "") }
        func token(_ kind: TokenKind) -> Token {
            Token(kind: kind, line: startLine, offset: start, text: String(decoding: bytes[start..<position], as: UTF8.self))
        }
        // An identifier may hold backquotes: a symbol scoped by its module (`max_pfn,
        // vmlinux`jiffies, ``a_user_symbol), as DTrace's lexer reads one.
        if Lexer.isIdentifierStart(byte) || byte == 0x60 {
            while let next = peekByte(), Lexer.isIdentifierPart(next) || next == 0x60 { position += 1 }
            let word = String(decoding: bytes[start..<position], as: UTF8.self)
            if let keyword = Keyword(rawValue: word) { return token(.keyword(keyword)) }
            return token(.identifier(word))
        }
        if byte >= 0x30 && byte <= 0x39 { return try scanNumber(start: start, line: startLine) }
        if byte == 0x22 { return try scanString(start: start, line: startLine) }
        if byte == 0x27 { return try scanCharacter(start: start, line: startLine) }
        if byte == 0x24 {
            position += 1
            var asString = false
            if peekByte() == 0x24 { asString = true; position += 1 }
            if let digit = peekByte(), digit >= 0x30 && digit <= 0x39 {
                var value = 0
                while let next = peekByte(), next >= 0x30 && next <= 0x39 { value = min(value * 10 + Int(next - 0x30), 1 << 20); position += 1 }
                return token(.macroArgument(value, asString: asString))
            }
            if let first = peekByte(), Lexer.isIdentifierStart(first) {
                let nameStart = position
                while let next = peekByte(), Lexer.isIdentifierPart(next) { position += 1 }
                return token(.macroVariable(String(decoding: bytes[nameStart..<position], as: UTF8.self), asString: asString))
            }
            throw Diagnostic(.syntax, "syntax error near \"$\"", line: startLine)
        }
        if byte == 0x40 {
            position += 1
            let nameStart = position
            while let next = peekByte(), Lexer.isIdentifierPart(next) { position += 1 }
            return token(.aggregation(String(decoding: bytes[nameStart..<position], as: UTF8.self)))
        }
        for (punctuator, utf8) in Lexer.punctuatorBytes {
            if position + utf8.count <= bytes.count && bytes[position..<(position + utf8.count)].elementsEqual(utf8) {
                position += utf8.count
                return token(.punctuation(punctuator))
            }
        }
        position += 1
        let shown = byte >= 0x20 && byte < 0x7f ? String(UnicodeScalar(byte)) : "\\\(String(byte, radix: 8))"
        throw Diagnostic(.syntax, "invalid character '\(shown)'", line: startLine)
    }

    mutating func scanNumber(start: Int, line startLine: Int) throws(Diagnostic) -> Token {
        var radix: UInt64 = 10
        if peekByte() == 0x30, let x = peekByte(1), x == 0x78 || x == 0x58 { radix = 16; position += 2 }
        else if peekByte() == 0x30 { radix = 8 }
        let digitsStart = position
        var value: UInt64 = 0
        var overflow = false
        while let byte = peekByte() {
            let digit: UInt64
            switch byte {
            case 0x30...0x39: digit = UInt64(byte - 0x30)
            case 0x61...0x66 where radix == 16: digit = UInt64(byte - 0x61 + 10)
            case 0x41...0x46 where radix == 16: digit = UInt64(byte - 0x41 + 10)
            default: digit = 99
            }
            if digit == 99 { break }
            if digit >= radix {
                // As DTrace names it: the constant as written, digits and suffix.
                var end = position
                while end < bytes.count, (0x30...0x39).contains(bytes[end]) || "uUlL".utf8.contains(bytes[end]) { end += 1 }
                let written = String(decoding: bytes[start..<end], as: UTF8.self)
                throw Diagnostic("D_INT_DIGIT", "constant \(written) contains invalid digit \(UnicodeScalar(byte))", line: startLine)
            }
            let (multiplied, o1) = value.multipliedReportingOverflow(by: radix)
            let (added, o2) = multiplied.addingReportingOverflow(digit)
            overflow = overflow || o1 || o2
            value = added
            position += 1
        }
        if radix == 16 && position == digitsStart {
            throw Diagnostic(.syntax, "syntax error near \"0x\"", line: startLine)
        }
        if let byte = peekByte(), byte == 0x2e || byte == 0x65 || byte == 0x45, radix == 10 {
            // Floating-point constants are not supported by D.
            while let next = peekByte(), Lexer.isIdentifierPart(next) || next == 0x2e { position += 1 }
            throw Diagnostic(.syntax, "floating-point constants are not permitted", line: startLine)
        }
        var unsigned = false, longs = 0
        while let byte = peekByte() {
            if byte == 0x75 || byte == 0x55, !unsigned { unsigned = true; position += 1; continue }
            if byte == 0x6c || byte == 0x4c, longs < 2 { longs += 1; position += 1; continue }
            break
        }
        // Letters right after the digits begin the next token (DTrace's lexer reads "0abc"
        // as 0 and abc), which the parser then refuses.
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if overflow { throw Diagnostic("D_INT_OFLOW", "constant \(text) results in integer overflow", line: startLine) }
        // C's rule: the first of these types that can hold the value.
        let decimal = radix == 10
        var candidates: [(String, UInt64)] = []
        if longs == 0 {
            if !unsigned { candidates.append(("int", UInt64(Int32.max))) }
            if unsigned || !decimal { candidates.append(("unsigned int", UInt64(UInt32.max))) }
        }
        if longs <= 1 {
            if !unsigned { candidates.append(("long", UInt64(Int64.max))) }
            if unsigned || !decimal { candidates.append(("unsigned long", UInt64.max)) }
        }
        if !unsigned { candidates.append(("long long", UInt64(Int64.max))) }
        candidates.append(("unsigned long long", UInt64.max))
        let typeName = candidates.first { value <= $0.1 }?.0 ?? "unsigned long long"
        return Token(kind: .integer(value, typeName: typeName), line: startLine, offset: start, text: text)
    }

    /// An escape sequence's bytes, as DTrace's stresc2chr() converts them: octal (up to
    /// three digits), \a \b \f \n \r \t \v, \x with every hex digit that follows (as a
    /// char), \" and \\; any other escape keeps its backslash ("\?" and "\'" included).
    mutating func scanEscape(line startLine: Int) throws(Diagnostic) -> [UInt8] {
        position += 1 // backslash
        guard let byte = peekByte() else { throw Diagnostic(.syntax, "syntax error near end of input", line: startLine) }
        position += 1
        switch byte {
        case 0x6e: return [0x0a]
        case 0x74: return [0x09]
        case 0x72: return [0x0d]
        case 0x61: return [0x07]
        case 0x62: return [0x08]
        case 0x66: return [0x0c]
        case 0x76: return [0x0b]
        case 0x30...0x37:
            var value = Int(byte - 0x30)
            var count = 1
            while count < 3, let next = peekByte(), next >= 0x30 && next <= 0x37 { value = value * 8 + Int(next - 0x30); position += 1; count += 1 }
            return [UInt8(truncatingIfNeeded: value)]
        case 0x78:
            var value = 0
            while let next = peekByte(), let digit = Lexer.hexDigit(next) { value = (value &* 16 &+ digit) & 0xff; position += 1 }
            return [UInt8(value)]
        case 0x22, 0x5c: return [byte]
        default: return [0x5c, byte]
        }
    }

    static func hexDigit(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        default: return nil
        }
    }

    mutating func scanString(start: Int, line startLine: Int) throws(Diagnostic) -> Token {
        position += 1
        var value: [UInt8] = []
        while true {
            guard let byte = peekByte() else { throw Diagnostic(.syntax, "unterminated string literal", line: startLine) }
            if byte == 0x22 { position += 1; break }
            // DTrace counts the newline before it says so: the line after the literal's.
            if byte == 0x0a { throw Diagnostic("D_STR_NL", "newline encountered in string literal", line: startLine + 1) }
            if byte == 0x5c { value += try scanEscape(line: startLine); continue }
            value.append(byte)
            position += 1
        }
        return Token(kind: .string(value), line: startLine, offset: start, text: String(decoding: bytes[start..<position], as: UTF8.self))
    }

    mutating func scanCharacter(start: Int, line startLine: Int) throws(Diagnostic) -> Token {
        position += 1
        var value: Int64 = 0
        var count = 0
        while true {
            guard let byte = peekByte() else { throw Diagnostic(.syntax, "unterminated character constant", line: startLine) }
            if byte == 0x0a { throw Diagnostic("D_CHR_NL", "newline encountered in character constant", line: startLine + 1) }
            if byte == 0x27 { position += 1; break }
            let characters = byte == 0x5c ? try scanEscape(line: startLine) : { position += 1; return [byte] }()
            for character in characters { value = value << 8 | Int64(character) }
            count += characters.count
        }
        if count == 0 { throw Diagnostic("D_CHR_NULL", "empty character constant", line: startLine) }
        if count > 8 { throw Diagnostic("D_CHR_OFLOW", "character constant is too long", line: startLine) }
        return Token(kind: .character(value), line: startLine, offset: start, text: String(decoding: bytes[start..<position], as: UTF8.self))
    }
}

extension Lexer {
    /// The source from `offset` to the end of its line (without the newline).
    func restOfLine(from offset: Int) -> String? {
        guard offset >= 0, offset < bytes.count else { return nil }
        let end = bytes[offset...].firstIndex(of: 0x0a) ?? bytes.count
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// Whether DTrace's lexer, reading the source up to `offset`, has taken `name` for a
    /// variable: its peek past an earlier `name` saw `;`, `[`, `=` (not `==`), `++`, `--`
    /// or a `,` outside parentheses (a typedef's names aside), and it keeps such names.
    func identifierInterned(_ name: String, before offset: Int) -> Bool {
        var scan = Lexer(String(decoding: bytes, as: UTF8.self))
        var depth = 0, inTypedef = false, candidate = false, afterMemberOrTag = false
        while let token = try? scan.next(), token.offset < offset {
            if case .endOfInput = token.kind { break }
            if candidate, case .punctuation(let text) = token.kind {
                if [";", "[", "=", "++", "--"].contains(text) || (text == "," && depth == 0) { return true }
            }
            candidate = false
            switch token.kind {
            case .identifier(let word): candidate = word == name && !inTypedef && !afterMemberOrTag
            case .keyword(let keyword): if keyword == .typedef { inTypedef = true }
            case .punctuation(let text):
                if text == "(" { depth += 1 } else if text == ")" { depth = max(0, depth - 1) }
                if [";", "{", "}"].contains(text) { inTypedef = false }
            default: break
            }
            // A name after -> or ., or a struct, union or enum tag, is never peeked past.
            switch token.kind {
            case .punctuation("->"), .punctuation("."), .keyword(.struct), .keyword(.union), .keyword(.enum): afterMemberOrTag = true
            default: afterMemberOrTag = false
            }
        }
        return false
    }

    /// The last token that starts before `offset`.
    func lastToken(before offset: Int) -> Token? {
        var scan = Lexer(String(decoding: bytes, as: UTF8.self))
        var last: Token?
        while let token = try? scan.next(), token.offset < offset {
            if case .endOfInput = token.kind { break }
            last = token
        }
        return last
    }

}
