// DTraceLanguage/ProviderDefinition: user-defined (USDT) provider definitions, the D
// that `dtrace -h` and `dtrace -G` read —
//     provider myprov { probe query__start(char *, int); probe done(); };
// — parsed with the D lexer into providers, their probes and each probe's native and
// translated (`: (...)`) parameters. Pragma lines are accepted and ignored; C declarations
// in the same file (typedef, struct, union, enum, inline, translator, extern, static) are
// skipped. Parameter types are kept as written (the header only counts them), so a type
// D does not know is accepted. DTrace's checks and messages (on one line): provider and
// probe names, prototypes (void, names, varargs), a probe defined twice, a provider
// defined again with another interface; and at most 12 arguments, the most <sys/sdt.h>
// can describe.

public struct ProviderDefinition: Equatable, Sendable {
    public var name: String
    public var probes: [ProbeDefinition]
    public var line: Int

    public init(name: String, probes: [ProbeDefinition], line: Int) {
        self.name = name; self.probes = probes; self.line = line
    }
}

public struct ProbeDefinition: Equatable, Sendable {
    /// As written in the definition (`query__start`): the name in the SDT note, the
    /// semaphore and the arguments of DTRACE_PROBEn.
    public var identifier: String
    /// The native (C) parameters: what the program passes.
    public var parameters: [ProbeParameter]
    /// The translated parameters after `:`, when given (D's view; the header ignores them).
    public var translatedParameters: [ProbeParameter]?
    public var line: Int

    public init(identifier: String, parameters: [ProbeParameter], translatedParameters: [ProbeParameter]? = nil, line: Int) {
        self.identifier = identifier; self.parameters = parameters; self.translatedParameters = translatedParameters; self.line = line
    }

    /// DTrace's name for the probe: every `__` becomes `-` (`query__start` is `query-start`).
    public var name: String { ProbeDefinition.hyphenated(identifier) }

    static func hyphenated(_ identifier: String) -> String {
        var result = ""
        var characters = identifier[...]
        while let character = characters.popFirst() {
            if character == "_", characters.first == "_" {
                characters.removeFirst()
                result.append("-")
            } else {
                result.append(character)
            }
        }
        return result
    }
}

public struct ProbeParameter: Equatable, Sendable {
    /// The type as written, spaced as C prints it (`const char *`, `struct foo *`).
    public var type: String
    public var name: String?

    public init(type: String, name: String? = nil) { self.type = type; self.name = name }

    var isVoid: Bool { type == "void" }
    var isVariableLength: Bool { type == "..." }
}

public enum ProviderDefinitionParser {
    /// The most arguments a probe may have: DTRACE_PROBE12 is <sys/sdt.h>'s last.
    public static let maximumArguments = 12
    /// DTrace's DTRACE_PROVNAMELEN and DTRACE_NAMELEN, less the terminating NUL.
    static let maximumNameLength = 63

    /// Every provider defined in `source`, in order (a provider defined again is listed
    /// once). The first error is thrown with its line.
    public static func parse(_ source: String) throws(Diagnostic) -> [ProviderDefinition] {
        var stream = ProviderTokenStream(source)
        var providers: [ProviderDefinition] = []
        while true {
            let token = try stream.peek()
            switch token.kind {
            case .endOfInput:
                return providers
            case .punctuation(";"):
                try stream.advance()
            case .keyword(.provider):
                try merge([try parseProvider(&stream)], into: &providers)
            case .keyword(let keyword) where skippedDeclarations.contains(keyword):
                try stream.skipDeclaration()
            default:
                throw stream.syntaxError(at: token)
            }
        }
    }

    /// Whether a text names `provider` anywhere (so it means to define providers); false
    /// for a text that does not even lex.
    public static func mentionsProvider(_ source: String) -> Bool {
        var stream = ProviderTokenStream(source)
        while let token = try? stream.advance() {
            if case .endOfInput = token.kind { return false }
            if case .keyword(.provider) = token.kind { return true }
        }
        return false
    }

    /// Adds providers to those already defined (by another file, or earlier in this one).
    /// As in DTrace, a provider defined again must repeat its interface: each probe it
    /// names must have been defined before, with the same parameter types.
    public static func merge(_ more: [ProviderDefinition], into providers: inout [ProviderDefinition]) throws(Diagnostic) {
        for provider in more {
            guard let earlier = providers.first(where: { $0.name == provider.name }) else {
                providers.append(provider)
                continue
            }
            for probe in provider.probes {
                try checkSameInterface(probe, provider: provider.name, earlier: earlier)
            }
        }
    }

    static func checkSameInterface(_ probe: ProbeDefinition, provider: String, earlier: ProviderDefinition) throws(Diagnostic) {
        let fullName = "\(provider):::\(probe.name)"
        guard let previous = earlier.probes.first(where: { $0.name == probe.name }) else {
            throw Diagnostic(.providerIncompatible, "provider interface mismatch: \(provider): probe \(fullName) is defined now but was not before", line: probe.line)
        }
        let (now, before) = (probe.parameters, previous.parameters)
        if now.count != before.count {
            throw Diagnostic(.providerIncompatible, "probe \(fullName) prototype mismatch: \(arguments(now.count)) now, \(arguments(before.count)) before", line: probe.line)
        }
        for (index, (current, old)) in zip(now, before).enumerated() where current.type != old.type {
            throw Diagnostic(.providerIncompatible, "probe \(fullName) prototype argument #\(index + 1) mismatch: \(current.type) now, \(old.type) before", line: probe.line)
        }
    }

    static func arguments(_ count: Int) -> String { count == 1 ? "1 arg" : "\(count) args" }

    /// Declarations a provider file may hold besides providers: skipped whole.
    static let skippedDeclarations: Set<Keyword> = [.typedef, .struct, .union, .enum, .inline, .translator, .extern, .static]

    static func parseProvider(_ stream: inout ProviderTokenStream) throws(Diagnostic) -> ProviderDefinition {
        let keyword = try stream.advance()
        let nameToken = try stream.advance()
        guard case .identifier(let name) = nameToken.kind else { throw stream.syntaxError(at: nameToken) }
        if name.count > maximumNameLength {
            throw Diagnostic(.providerBadName, "provider name may not exceed \(maximumNameLength) characters: \(name)", line: nameToken.line)
        }
        if let last = name.last, last.isASCII, last.isNumber {
            throw Diagnostic(.providerBadName, "provider name may not end with a digit: \(name)", line: nameToken.line)
        }
        try stream.expect("{")
        var provider = ProviderDefinition(name: name, probes: [], line: keyword.line)
        while true {
            let token = try stream.peek()
            if case .punctuation("}") = token.kind { break }
            guard case .keyword(.probe) = token.kind else { throw stream.syntaxError(at: token) }
            let probe = try parseProbe(&stream, provider: name)
            try checkNotRedeclared(probe, in: provider)
            provider.probes.append(probe)
        }
        try stream.expect("}")
        try stream.expect(";")
        return provider
    }

    static func parseProbe(_ stream: inout ProviderTokenStream, provider: String) throws(Diagnostic) -> ProbeDefinition {
        let keyword = try stream.advance()
        let nameToken = try stream.advance()
        guard case .identifier(let identifier) = nameToken.kind else { throw stream.syntaxError(at: nameToken) }
        let native = try parseParameterList(&stream)
        var translated: [ProbeParameter]?
        if try stream.accept(":") { translated = try parseParameterList(&stream) }
        try stream.expect(";")
        var probe = ProbeDefinition(identifier: identifier, parameters: native, translatedParameters: translated, line: keyword.line)
        if probe.name.count > maximumNameLength {
            throw Diagnostic(.providerBadName, "probe name may not exceed \(maximumNameLength) characters: ::\(probe.name)", line: probe.line)
        }
        probe.parameters = try checkPrototype(native, kind: "probe input", formal: nil, line: probe.line)
        if let translated {
            probe.translatedParameters = try checkPrototype(translated, kind: "probe output", formal: probe.parameters, line: probe.line)
        }
        if probe.parameters.count > maximumArguments {
            throw Diagnostic(.providerArgumentsTooLong,
                             "probe \(provider):::\(probe.name) input prototype exceeds \(maximumArguments) parameters: \(probe.parameters.count) params used (the most <sys/sdt.h> probes can take)",
                             line: probe.line)
        }
        return probe
    }

    static func checkNotRedeclared(_ probe: ProbeDefinition, in provider: ProviderDefinition) throws(Diagnostic) {
        if provider.probes.contains(where: { $0.name == probe.name }) {
            throw Diagnostic(.providerProbeRedeclared, "probe redeclared: \(provider.name):::\(probe.name)", line: probe.line)
        }
    }

    /// DTrace's prototype checks (dt_decl_prototype); returns the parameters, none for `(void)`.
    /// Input parameters may be anonymous but not named twice; output (translated) parameters
    /// must each name an input parameter.
    static func checkPrototype(_ parameters: [ProbeParameter], kind: String, formal: [ProbeParameter]?, line: Int) throws(Diagnostic) -> [ProbeParameter] {
        for (offset, parameter) in parameters.enumerated() {
            let number = offset + 1
            if parameter.isVariableLength {
                throw Diagnostic(.prototypeVarargs, "\(kind) prototype may not use a variable-length argument list", line: line)
            }
            if parameter.isVoid, let name = parameter.name {
                throw Diagnostic(.prototypeName, "void parameter may not have a name: \(name)", line: line)
            }
            if let name = parameter.name {
                if let formal, !formal.contains(where: { $0.name == name }) {
                    throw Diagnostic(.prototypeForm, "parameter is not declared in \(kind) prototype: \(name), parameter #\(number)", line: line)
                }
                if formal == nil, parameters[..<offset].contains(where: { $0.name == name }) {
                    throw Diagnostic(.prototypeForm, "parameter is already declared in \(kind) prototype: \(name), parameter #\(number)", line: line)
                }
            } else if formal != nil && !parameter.isVoid {
                throw Diagnostic(.prototypeName, "parameter declaration requires a name: parameter #\(number)", line: line)
            }
        }
        if parameters.contains(where: \.isVoid) {
            if parameters.count > 1 { throw Diagnostic(.prototypeVoid, "void must be sole parameter", line: line) }
            return []
        }
        return parameters
    }

    /// `( parameter, ... )`, `()` or `(void)`: each parameter's tokens up to a `,` or the
    /// closing `)` outside any nested brackets.
    static func parseParameterList(_ stream: inout ProviderTokenStream) throws(Diagnostic) -> [ProbeParameter] {
        try stream.expect("(")
        if try stream.accept(")") { return [] }
        var parameters: [ProbeParameter] = []
        var current: [Token] = []
        var depth = 0
        while true {
            let token = try stream.advance()
            switch token.kind {
            case .punctuation("("), .punctuation("["):
                depth += 1
            case .punctuation(")") where depth == 0, .punctuation(",") where depth == 0:
                guard !current.isEmpty else { throw stream.syntaxError(at: token) }
                parameters.append(try parameter(from: current, stream: stream))
                current = []
                if case .punctuation(")") = token.kind { return parameters }
                continue
            case .punctuation(")"), .punctuation("]"):
                guard depth > 0 else { throw stream.syntaxError(at: token) }
                depth -= 1
            case .keyword, .identifier, .integer, .punctuation("*"), .punctuation("..."):
                break
            default:
                throw stream.syntaxError(at: token)
            }
            current.append(token)
        }
    }

    /// One parameter's type and optional name. The name is a final identifier (before any
    /// array dimensions) that follows a type specifier: in `const char *name`, `int count`
    /// and `uint32_t len` the last word is a name; in `uint32_t`, `const size_t`,
    /// `struct foo` and `unsigned long` it is part of the type.
    static func parameter(from tokens: [Token], stream: ProviderTokenStream) throws(Diagnostic) -> ProbeParameter {
        if let ellipsis = tokens.first(where: { $0.kind == .punctuation("...") }) {
            guard tokens.count == 1 else { throw stream.syntaxError(at: ellipsis) }
            return ProbeParameter(type: "...")
        }
        var typeTokens = tokens
        var dimensions: [Token] = []
        while let last = typeTokens.last, last.kind == .punctuation("]"),
              let open = typeTokens.lastIndex(where: { $0.kind == .punctuation("[") }) {
            dimensions = Array(typeTokens[open...]) + dimensions
            typeTokens.removeSubrange(open...)
        }
        var name: String?
        if typeTokens.count > 1, case .identifier(let word)? = typeTokens.last?.kind {
            let before = typeTokens[typeTokens.count - 2].kind
            let tagged = before == .keyword(.struct) || before == .keyword(.union) || before == .keyword(.enum)
            let qualifiersOnly = typeTokens.dropLast().allSatisfy { qualifiers.contains($0.kind) }
            if !tagged && !qualifiersOnly {
                name = word
                typeTokens.removeLast()
            }
        }
        return ProbeParameter(type: typeText(typeTokens + dimensions), name: name)
    }

    static let qualifiers: [TokenKind] = [.keyword(.const), .keyword(.volatile), .keyword(.restrict)]

    /// Tokens as C spells a type: `char *`, `char **`, `char [16]`.
    static func typeText(_ tokens: [Token]) -> String {
        var text = ""
        var previous: String?
        for token in tokens {
            let word = token.text
            let joined = previous == nil || previous == "[" || previous == "(" || word == "]" || word == ")" || (word == "*" && previous == "*")
            text += (joined ? "" : " ") + word
            previous = word
        }
        return text
    }
}

/// The lexer's tokens with pragma lines dropped and one token of lookahead.
struct ProviderTokenStream {
    var lexer: Lexer
    var lookahead: Token?

    init(_ source: String) { lexer = Lexer(source) }

    mutating func peek() throws(Diagnostic) -> Token {
        if let lookahead { return lookahead }
        var token = try lexer.next()
        while case .pragma = token.kind { token = try lexer.next() }
        lookahead = token
        return token
    }

    @discardableResult
    mutating func advance() throws(Diagnostic) -> Token {
        let token = try peek()
        lookahead = nil
        return token
    }

    mutating func accept(_ punctuation: String) throws(Diagnostic) -> Bool {
        guard case .punctuation(punctuation) = try peek().kind else { return false }
        try advance()
        return true
    }

    mutating func expect(_ punctuation: String) throws(Diagnostic) {
        let token = try advance()
        guard case .punctuation(punctuation) = token.kind else { throw syntaxError(at: token) }
    }

    /// A declaration skipped through its `;` (brackets and braces balanced).
    mutating func skipDeclaration() throws(Diagnostic) {
        var depth = 0
        while true {
            let token = try advance()
            switch token.kind {
            case .endOfInput: throw syntaxError(at: token)
            case .punctuation("{"), .punctuation("("), .punctuation("["): depth += 1
            case .punctuation("}"), .punctuation(")"), .punctuation("]"):
                depth -= 1
                if depth < 0 { throw syntaxError(at: token) }
            case .punctuation(";") where depth == 0: return
            default: break
            }
        }
    }

    func syntaxError(at token: Token) -> Diagnostic {
        if case .endOfInput = token.kind { return Diagnostic(.syntax, "syntax error near end of input", line: token.line) }
        return Diagnostic(.syntax, "syntax error near \"\(token.text)\"", line: token.line)
    }
}
