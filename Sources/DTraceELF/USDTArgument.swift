// DTraceELF/USDTArgument: the argument specifications of a USDT probe, as <sys/sdt.h>
// writes them into its note (e.g. "8@%rbp -4@-8(%rbp) 4@NBuffers(%rip) -4@$1"): space-
// separated, each an optional signed size in bytes ("-4@": a signed 32-bit value), then
// an AT&T operand — a register (%rdi, %r8d, %al...), a memory reference
// (disp(%base,%index,scale), sym+16(%rip), 40+sym(%rip), an absolute address), or a
// constant ($5, $-1). Parsing never traps: what cannot be read is a USDTArgumentError
// saying why, in the argument's place. Symbols are resolved by the object (USDTProbes).

/// Why one argument specification cannot be used.
public enum USDTArgumentError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    case empty
    /// The size before "@" is not 1, 2, 4 or 8 (negative for signed).
    case invalidSize(argument: String)
    case unknownRegister(argument: String, register: String)
    case malformed(argument: String, reason: String)
    /// Valid assembly this reader does not evaluate (a segment override, a symbol as a constant).
    case unsupported(argument: String, reason: String)
    /// A symbol the object's symbol tables do not define (a static variable of a stripped file).
    case unresolvedSymbol(argument: String, symbol: String)

    public var description: String {
        switch self {
        case .empty: return "empty USDT argument"
        case .invalidSize(let argument): return "USDT argument \"\(argument)\": the size must be 1, 2, 4 or 8 bytes (negative when signed)"
        case .unknownRegister(let argument, let register): return "USDT argument \"\(argument)\": unknown register %\(register)"
        case .malformed(let argument, let reason): return "USDT argument \"\(argument)\": \(reason)"
        case .unsupported(let argument, let reason): return "USDT argument \"\(argument)\": \(reason) is not supported"
        case .unresolvedSymbol(let argument, let symbol): return "USDT argument \"\(argument)\": symbol \(symbol) is not defined in the file"
        }
    }
}

/// Where an argument's value is.
public enum USDTOperand: Equatable, Hashable, Sendable {
    /// The value of (part of) a register.
    case register(X86Register)
    /// The value stored in memory at the operand's address.
    case memory(USDTMemoryOperand)
    /// The value itself.
    case constant(Int64)
}

/// A memory reference: address = base + index * scale + displacement (+ the symbol's
/// address). For %rip the address is the symbol's plus the displacement when a symbol is
/// written (the assembler's meaning of `sym(%rip)`), otherwise the probe's address plus
/// the displacement (the instruction pointer when the probe fires).
public struct USDTMemoryOperand: Equatable, Hashable, Sendable {
    public var displacement: Int64
    public var symbol: String?
    /// The symbol's address as linked, once resolved through the object's symbols.
    public var symbolAddress: UInt64?
    public var base: X86Register?
    public var index: X86Register?
    /// 1, 2, 4 or 8.
    public var scale: Int

    public init(displacement: Int64 = 0, symbol: String? = nil, symbolAddress: UInt64? = nil,
                base: X86Register? = nil, index: X86Register? = nil, scale: Int = 1) {
        self.displacement = displacement
        self.symbol = symbol
        self.symbolAddress = symbolAddress
        self.base = base
        self.index = index
        self.scale = scale
    }

    public var isRIPRelative: Bool { base?.register == .rip }

    /// The address (as linked: add the load bias in a process) when it does not depend on
    /// a register other than %rip: RIP-relative and absolute references. nil when a
    /// general register is involved, or a symbol is not yet resolved.
    public func staticAddress(probeAddress: UInt64) -> UInt64? {
        guard index == nil, base == nil || isRIPRelative else { return nil }
        if symbol != nil {
            guard let symbolAddress else { return nil }
            return symbolAddress &+ UInt64(bitPattern: displacement)
        }
        return (isRIPRelative ? probeAddress : 0) &+ UInt64(bitPattern: displacement)
    }
}

public struct USDTArgument: Equatable, Hashable, Sendable {
    /// The specification as written ("-4@-8(%rbp)").
    public var text: String
    /// Bytes: 1, 2, 4 or 8. Without a written size: a register's width, else 8.
    public var size: Int
    public var isSigned: Bool
    public var operand: USDTOperand

    public init(text: String, size: Int, isSigned: Bool, operand: USDTOperand) {
        self.text = text
        self.size = size
        self.isSigned = isSigned
        self.operand = operand
    }

    /// At most this many arguments are read from one specification string.
    public static let argumentLimit = 64

    /// Each space-separated argument of `specification`, parsed, in order.
    public static func parseList(_ specification: String) -> [Result<USDTArgument, USDTArgumentError>] {
        splitArguments(specification).prefix(argumentLimit).map(parse)
    }

    /// One argument ("-4@%edi", "%edi", "8@16(%rsp)"...).
    public static func parse(_ text: String) -> Result<USDTArgument, USDTArgumentError> {
        let characters = Array(text.utf8)
        guard !characters.isEmpty else { return .failure(.empty) }
        var size: Int?
        var signed = false
        var operandText = characters[...]
        // "SIZE@" only when what precedes the first "@" is a signed decimal number.
        if let at = characters.firstIndex(of: UInt8(ascii: "@")) {
            let prefix = characters[..<at]
            let digits = prefix.first == UInt8(ascii: "-") || prefix.first == UInt8(ascii: "+") ? prefix.dropFirst() : prefix
            if !digits.isEmpty, digits.allSatisfy(isDigit) {
                guard digits.count <= 2, let magnitude = Int(String(decoding: digits, as: UTF8.self)), [1, 2, 4, 8].contains(magnitude) else {
                    return .failure(.invalidSize(argument: text))
                }
                size = magnitude
                signed = prefix.first == UInt8(ascii: "-")
                operandText = characters[(at + 1)...]
            }
        }
        switch parseOperand(operandText, argument: text) {
        case .failure(let error): return .failure(error)
        case .success(let operand):
            var width = 8
            if case .register(let register) = operand { width = register.width }
            return .success(USDTArgument(text: text, size: size ?? width, isSigned: signed, operand: operand))
        }
    }

    /// The argument with its symbol (if any) resolved by `address(ofSymbol:)`; an
    /// unresolved symbol is an error.
    public func resolvingSymbol(_ address: (String) -> UInt64?) -> Result<USDTArgument, USDTArgumentError> {
        guard case .memory(var memory) = operand, let symbol = memory.symbol, memory.symbolAddress == nil else { return .success(self) }
        guard let resolved = address(symbol) else { return .failure(.unresolvedSymbol(argument: text, symbol: symbol)) }
        memory.symbolAddress = resolved
        var copy = self
        copy.operand = .memory(memory)
        return .success(copy)
    }

    // MARK: the operand grammar

    static func splitArguments(_ text: String) -> [String] {
        var arguments: [String] = []
        var current: [UInt8] = []
        var depth = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") {
                // Between arguments a space ends one; inside "( ... )" it is dropped.
                if depth == 0, !current.isEmpty { arguments.append(String(decoding: current, as: UTF8.self)); current = [] }
                continue
            }
            if byte == UInt8(ascii: "(") { depth += 1 }
            if byte == UInt8(ascii: ")") { depth = max(0, depth - 1) }
            current.append(byte)
        }
        if !current.isEmpty { arguments.append(String(decoding: current, as: UTF8.self)) }
        return arguments
    }

    static func parseOperand(_ text: ArraySlice<UInt8>, argument: String) -> Result<USDTOperand, USDTArgumentError> {
        guard let first = text.first else { return .failure(.malformed(argument: argument, reason: "no operand after the size")) }
        switch first {
        case UInt8(ascii: "%"):
            let name = String(decoding: text.dropFirst(), as: UTF8.self)
            if name.contains(":") { return .failure(.unsupported(argument: argument, reason: "a segment override")) }
            guard let register = X86Register.named(name) else { return .failure(.unknownRegister(argument: argument, register: name)) }
            return .success(.register(register))
        case UInt8(ascii: "$"):
            let value = text.dropFirst()
            guard let number = parseNumber(value) else {
                if let head = value.first, isIdentifierStart(head) {
                    return .failure(.unsupported(argument: argument, reason: "a symbol's address as a constant"))
                }
                return .failure(.malformed(argument: argument, reason: "the constant is not a number"))
            }
            return .success(.constant(number))
        default:
            return parseMemory(text, argument: argument).map(USDTOperand.memory)
        }
    }

    static func parseMemory(_ text: ArraySlice<UInt8>, argument: String) -> Result<USDTMemoryOperand, USDTArgumentError> {
        var memory = USDTMemoryOperand()
        let displacementText: ArraySlice<UInt8>
        if let open = text.firstIndex(of: UInt8(ascii: "(")) {
            guard text.last == UInt8(ascii: ")"), let close = text.lastIndex(of: UInt8(ascii: ")")), close > open else {
                return .failure(.malformed(argument: argument, reason: "unbalanced parentheses"))
            }
            displacementText = text[..<open]
            let inside = text[(open + 1)..<close]
            guard !inside.contains(UInt8(ascii: "(")), !inside.contains(UInt8(ascii: ")")) else {
                return .failure(.malformed(argument: argument, reason: "nested parentheses"))
            }
            let parts = inside.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            guard parts.count <= 3 else { return .failure(.malformed(argument: argument, reason: "more than base, index and scale")) }
            func register(_ part: ArraySlice<UInt8>, _ role: String) -> Result<X86Register?, USDTArgumentError> {
                if part.isEmpty { return .success(nil) }
                guard part.first == UInt8(ascii: "%") else { return .failure(.malformed(argument: argument, reason: "the \(role) is not a register")) }
                let name = String(decoding: part.dropFirst(), as: UTF8.self)
                guard let found = X86Register.named(name) else { return .failure(.unknownRegister(argument: argument, register: name)) }
                guard found.width >= 4, found.bitOffset == 0 else {
                    return .failure(.malformed(argument: argument, reason: "%\(name) cannot address memory"))
                }
                return .success(found)
            }
            switch register(parts[0], "base") {
            case .failure(let error): return .failure(error)
            case .success(let base): memory.base = base
            }
            if parts.count >= 2 {
                switch register(parts[1], "index") {
                case .failure(let error): return .failure(error)
                case .success(let index): memory.index = index
                }
                if memory.index?.register == .rip || memory.index?.register == .rsp {
                    return .failure(.malformed(argument: argument, reason: "%\(memory.index?.name ?? "") cannot be an index"))
                }
            }
            if parts.count == 3 {
                guard let scale = parseNumber(parts[2]), [1, 2, 4, 8].contains(scale) else {
                    return .failure(.malformed(argument: argument, reason: "the scale must be 1, 2, 4 or 8"))
                }
                guard memory.index != nil else { return .failure(.malformed(argument: argument, reason: "a scale without an index")) }
                memory.scale = Int(scale)
            }
            if memory.isRIPRelative, memory.index != nil {
                return .failure(.malformed(argument: argument, reason: "%rip cannot take an index"))
            }
            if memory.base == nil, memory.index == nil, displacementText.isEmpty {
                return .failure(.malformed(argument: argument, reason: "an empty memory reference"))
            }
        } else {
            guard !text.contains(UInt8(ascii: ")")) else { return .failure(.malformed(argument: argument, reason: "unbalanced parentheses")) }
            displacementText = text   // an absolute address: "counter", "0x601040", "counter+8"
        }
        if displacementText.contains(UInt8(ascii: ":")) {
            return .failure(.unsupported(argument: argument, reason: "a segment override"))
        }
        switch parseDisplacement(displacementText) {
        case .none: return .failure(.malformed(argument: argument, reason: "cannot read the displacement \"\(String(decoding: displacementText, as: UTF8.self))\""))
        case .some(let (value, symbol)):
            memory.displacement = value
            memory.symbol = symbol
        }
        return .success(memory)
    }

    /// "-8", "0x10", "sym", "sym+16", "sym-8", "40+sym": a sum of numbers and at most one
    /// symbol (added); nil when it is anything else.
    static func parseDisplacement(_ text: ArraySlice<UInt8>) -> (Int64, String?)? {
        var value: Int64 = 0
        var symbol: String?
        var position = text.startIndex
        while position < text.endIndex {
            // Each term after the first starts at its sign (terms end where a sign is).
            var negative = false
            if text[position] == UInt8(ascii: "+") || text[position] == UInt8(ascii: "-") {
                negative = text[position] == UInt8(ascii: "-")
                position += 1
            }
            var end = position
            while end < text.endIndex, text[end] != UInt8(ascii: "+"), text[end] != UInt8(ascii: "-") { end += 1 }
            let term = text[position..<end]
            guard let head = term.first else { return nil }
            if isDigit(head) {
                guard let number = parseNumber(term) else { return nil }
                value = negative ? value &- number : value &+ number
            } else {
                guard symbol == nil, !negative, isIdentifierStart(head), term.allSatisfy(isIdentifierCharacter) else { return nil }
                symbol = String(decoding: term, as: UTF8.self)
            }
            position = end
        }
        return (value, symbol)
    }

    /// A decimal or 0x-hexadecimal integer, optionally signed; values up to 2^64 - 1 are
    /// kept as their bit pattern. nil when it is not one, or does not fit 64 bits.
    static func parseNumber(_ text: ArraySlice<UInt8>) -> Int64? {
        var digits = text
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        var radix: UInt64 = 10
        if digits.count > 2, digits.first == UInt8(ascii: "0"), digits.dropFirst().first == UInt8(ascii: "x") || digits.dropFirst().first == UInt8(ascii: "X") {
            radix = 16
            digits = digits.dropFirst(2)
        }
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard let digit = digitValue(byte), digit < radix else { return nil }
            let (shifted, overflowMultiply) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(digit)
            guard !overflowMultiply, !overflowAdd else { return nil }
            magnitude = sum
        }
        let value = Int64(bitPattern: magnitude)
        return negative ? 0 &- value : value
    }

    static func digitValue(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt64(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }

    static func isIdentifierCharacter(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte) || byte == UInt8(ascii: "$")
    }
}
