// DTraceLanguage/Parser: tokens to a ProgramSyntax, by recursive descent with C's
// precedence and associativity (plus D's `^^`). The first error is reported as a
// Diagnostic with DTrace's "syntax error near" wording. Nesting is bounded so that a
// hostile program is refused with a diagnostic instead of exhausting the stack.

public struct Parser {
    var lexer: Lexer
    var lookahead: [Token] = []
    /// The line of the token consumed last.
    var previousLine = 1
    var typeNames: Set<String>
    /// In a script (not -n text), a probe description must be followed by a predicate or
    /// actions, as DTrace requires.
    public var clausesNeedBodies = false
    /// The `pspec` option (-x pspec, or `#pragma D option pspec` met at the top level):
    /// what could be a declaration or a probe description is a probe description
    /// (`int*x` is a glob), as DTrace's lexer reads with DTRACE_C_PSPEC.
    public var probeSpecifiersOnly = false
    /// Reading a library of -L: `#pragma D depends_on library` is allowed.
    public var readsLibrary: Bool {
        get { lexer.readsLibrary }
        set { lexer.readsLibrary = newValue }
    }
    /// The closing brackets of the ( and [ read and not yet closed, innermost last.
    var openBrackets: [String] = []
    var predicateDepth: Int? = nil   // paren depth inside a predicate, nil outside one
    var nesting = 0
    /// Pragmas met inside a clause's body: DTrace acts on a pragma where the lexer meets
    /// it, so they are items of the program, placed before the clause.
    var pragmasInClause: [TopLevelItem] = []
    /// The structs, unions and enums this text has defined with members so far ("struct s"):
    /// DTrace refuses a second definition at its `{`, before anything after it is read.
    var definedTags: Set<String> = []
    /// The items read before parseProgram() returned or failed: DTrace acts on a
    /// declaration as it parses it, so one of these may fail before a later syntax error.
    public private(set) var itemsRead: [TopLevelItem] = []
    public static let maximumNesting = 200

    public init(source: String, typeNames: Set<String> = []) {
        self.lexer = Lexer(source)
        self.typeNames = typeNames.union(BuiltinTypes.table.keys)
    }

    // MARK: token stream

    mutating func peek(_ ahead: Int = 0) throws(Diagnostic) -> Token {
        while lookahead.count <= ahead { lookahead.append(try lexer.next()) }
        return lookahead[ahead]
    }

    @discardableResult
    mutating func advance() throws(Diagnostic) -> Token {
        let token = try peek()
        lookahead.removeFirst()
        previousLine = token.line
        if case .punctuation(let text) = token.kind {
            switch text {
            case "(": openBrackets.append(")")
            case "[": openBrackets.append("]")
            case ")", "]": if openBrackets.last == text { openBrackets.removeLast() }
            default: break
            }
        }
        return token
    }

    mutating func isPunctuation(_ text: String, ahead: Int = 0) throws(Diagnostic) -> Bool {
        if case .punctuation(text) = try peek(ahead).kind { return true }
        return false
    }

    mutating func isKeyword(_ keyword: Keyword) throws(Diagnostic) -> Bool {
        if case .keyword(keyword) = try peek().kind { return true }
        return false
    }

    mutating func accept(_ text: String) throws(Diagnostic) -> Bool {
        if try isPunctuation(text) { try advance(); return true }
        return false
    }

    mutating func expect(_ text: String) throws(Diagnostic) {
        if try !accept(text) { throw try syntaxError() }
    }

    mutating func syntaxError() throws(Diagnostic) -> Diagnostic {
        let token = try peek()
        // DTrace's lexer keeps count of brackets: a closing one with none open is said so.
        if case .punctuation(let text) = token.kind, text == ")" || text == "]", !openBrackets.contains(text) {
            return Diagnostic(.syntax, "extra \(text) in input stream", line: token.line)
        }
        // A predicate's closing "/" met where an operand was expected.
        do { _ = try closesPredicate() } catch { return error }
        if case .endOfInput = token.kind {
            // A last identifier DTrace's lexer peeked past put the end back as a NUL
            // character, which its lexer then meets as one.
            if let last = lexer.lastToken(before: token.offset), peeksPast(last) {
                return Diagnostic(.syntax, "syntax error near end-of-input", line: token.line)
            }
            return Diagnostic(.syntax, "syntax error near end of input", line: token.line)
        }
        return Diagnostic(.syntax, "syntax error near \"\(nearText(token))\"", line: token.line)
    }

    /// What DTrace's message shows of the token a syntax error is at: its text, or for
    /// an identifier DTrace's lexer peeked past to tell a type name from a variable —
    /// one not after struct, union, enum, -> or ., not a built-in variable, and not
    /// already taken for a variable (`identifierInterned`) — the rest of its line: the
    /// peek leaves flex's yytext unterminated, and the message crops it at the newline.
    func nearText(_ token: Token) -> String {
        guard peeksPast(token) else { return token.text }
        return lexer.restOfLine(from: token.offset) ?? token.text
    }

    /// Whether DTrace's lexer peeks past this token (see `nearText`).
    func peeksPast(_ token: Token) -> Bool {
        guard case .identifier(let name) = token.kind, BuiltinVariables.table[name] == nil else { return false }
        switch lexer.lastToken(before: token.offset)?.kind {
        case .punctuation("->")?, .punctuation(".")?, .keyword(.struct)?, .keyword(.union)?, .keyword(.enum)?: return false
        default: return !lexer.identifierInterned(name, before: token.offset)
        }
    }

    // MARK: program

    public mutating func parseProgram() throws(Diagnostic) -> ProgramSyntax {
        var items: [TopLevelItem] = []
        defer { itemsRead = items }
        while true {
            let token = try peek()
            switch token.kind {
            case .endOfInput: return ProgramSyntax(items: items)
            case .pragma(let text):
                try advance()
                items.append(.pragma(text, line: token.line))
                if Self.setsProbeSpecifiersOnly(text) { probeSpecifiersOnly = true }
            case .punctuation(";"): try advance()
            case .keyword(.translator): items.append(.translator(try parseTranslator()))
            default:
                if try startsDeclaration() {
                    let declaration = try parseDeclaration()
                    items.append(.declaration(declaration))
                } else {
                    let clause = try parseClause()
                    items += pragmasInClause
                    pragmasInClause = []
                    items.append(.clause(clause))
                }
            }
        }
    }

    /// Whether a pragma's text is `D option pspec` (with no value, or one that sets it).
    static func setsProbeSpecifiersOnly(_ pragma: String) -> Bool {
        let words = pragma.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count == 3, words[0] == "D", words[1] == "option" else { return false }
        let setting = words[2].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard setting[0] == "pspec" else { return false }
        return setting.count == 1 || !["", "no", "disable", "disabled", "false", "off", "unset", "0"].contains(setting[1].lowercased())
    }

    mutating func startsDeclaration() throws(Diagnostic) -> Bool {
        if probeSpecifiersOnly { return false }
        switch try peek().kind {
        case .keyword(let keyword):
            switch keyword {
            case .int, .char, .short, .long, .signed, .unsigned, .void, .string, .struct, .union, .enum,
                 .typedef, .inline, .static, .extern, .const, .volatile, .float, .double, .register:
                return true
            case .self, .this:
                if case .punctuation("->") = try peek(1).kind { return false }
                return true
            default: return false
            }
        case .identifier(let name):
            guard typeNames.contains(name) else { return false }
            switch try peek(1).kind {
            case .identifier, .punctuation("*"): return true
            default: return false
            }
        default: return false
        }
    }

    mutating func parseClause() throws(Diagnostic) -> Clause {
        // Rescan from the first token in the probe-description state.
        let first = try peek()
        lexer.rewind(to: first)
        lookahead.removeAll()
        openBrackets.removeAll()
        var probes: [ProbeSpecifier] = []
        while true {
            let token = try lexer.nextProbeDescription()
            guard case .probeDescription(let text) = token.kind else {
                lookahead = [token]
                throw try syntaxError()
            }
            probes.append(ProbeSpecifier(text: text, line: token.line))
            if try accept(",") {
                lexer.rewind(to: try peek())
                lookahead.removeAll()
                continue
            }
            break
        }
        var predicate: Expression?
        if try accept("/") {
            predicateDepth = 0
            predicate = try parseExpression()
            predicateDepth = nil
            try expect("/")
        }
        // DTrace checks a predicate's operators once the token after it is read: their
        // errors name that line.
        let predicateCheckLine = predicate == nil ? nil : try peek().line
        var statements: [Statement]?
        if try isPunctuation("{") {
            statements = try parseBlock()
        } else if predicate == nil && clausesNeedBodies {
            throw Diagnostic(.syntax, "expected predicate and/or actions following probe description", line: probes.last?.line ?? first.line)
        }
        return Clause(probes: probes, predicate: predicate, statements: statements, line: first.line, predicateCheckLine: predicateCheckLine, endLine: previousLine)
    }

    mutating func parseBlock() throws(Diagnostic) -> [Statement] {
        try expect("{")
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Parser.maximumNesting { throw Diagnostic(.syntax, "statements nested too deeply", line: try peek().line) }
        var statements: [Statement] = []
        while true {
            if try accept("}") { return statements }
            if try accept(";") { continue }
            if case .pragma(let text) = try peek().kind {
                let line = try advance().line
                pragmasInClause.append(.pragma(text, line: line))
                continue
            }
            let statement = try parseStatement()
            statements.append(statement)
            if case .ifElse = statement { continue }
            if case .block = statement { continue }
            if try accept(";") { continue }
            if try isPunctuation("}") { continue }
            throw try syntaxError()
        }
    }

    mutating func parseStatement() throws(Diagnostic) -> Statement {
        if try isKeyword(.if) {
            let line = try advance().line
            try expect("(")
            let condition = try parseExpression()
            try expect(")")
            let then = try parseBranch()
            var otherwise: [Statement]?
            if try isKeyword(.else) { try advance(); otherwise = try parseBranch() }
            return .ifElse(condition, then, otherwise, line: line)
        }
        if try isPunctuation("{") { return .block(try parseBlock()) }
        // D's statements are expressions: a declaration belongs outside the clauses.
        if try startsDeclaration() { throw try syntaxError() }
        return .expression(try parseExpression())
    }

    mutating func parseBranch() throws(Diagnostic) -> [Statement] {
        if try isPunctuation("{") { return try parseBlock() }
        if try accept(";") { return [] }
        let statement = try parseStatement()
        if case .ifElse = statement { return [statement] }
        let terminated = try accept(";")
        let closing = try isPunctuation("}")
        if !terminated && !closing { throw try syntaxError() }
        return [statement]
    }

    // MARK: declarations

    mutating func parseDeclaration(terminated: Bool = true) throws(Diagnostic) -> Declaration {
        let line = try peek().line
        var storage = Declaration.StorageClass.none
        switch try peek().kind {
        case .keyword(.static): storage = .static; try advance()
        case .keyword(.extern): storage = .extern; try advance()
        case .keyword(.self): storage = .self; try advance()
        case .keyword(.this): storage = .this; try advance()
        case .keyword(.typedef): storage = .typedef; try advance()
        case .keyword(.inline): storage = .inline; try advance()
        default: break
        }
        if try peek().kind == .keyword(.register) {
            throw Diagnostic(.declarationBadClass, "specified storage class not appropriate in D", line: line)
        }
        if storage != .none {
            switch try peek().kind {
            case .keyword(.static), .keyword(.extern), .keyword(.self), .keyword(.this), .keyword(.typedef), .keyword(.inline):
                throw Diagnostic(.declarationClass, "only one storage class allowed in a declaration", line: try peek().line)
            default: break
            }
        }
        // A storage class alone declares an int (`extern e;`).
        guard let type = try parseTypeSpecifier() ?? (storage == .none ? nil : .keywords(signedness: nil, shorts: 0, longs: 0, char: false, int: true, line: line))
        else { throw try syntaxError() }
        var declarators: [Declarator] = []
        var initializer: Expression?
        if try isPunctuation(";") {
            // Nothing declared: only a struct, union or enum definition says something.
            switch type {
            case .structure, .enumeration: break
            default: throw Diagnostic(.declarationUseless, "useless declaration", line: line)
            }
        } else {
            repeat {
                declarators.append(try parseDeclarator())
                if storage == .inline, try accept("=") { initializer = try parseAssignment() }
            } while try accept(",")
        }
        if storage == .typedef { for declarator in declarators { typeNames.insert(declarator.name) } }
        if terminated { try expect(";") }
        return Declaration(storage: storage, type: type, declarators: declarators, initializer: initializer, line: line)
    }

    /// `translator output-type < input-type name > { member = expression; ... };`
    mutating func parseTranslator() throws(Diagnostic) -> TranslatorSyntax {
        let line = try advance().line
        guard let output = try parseTypeName() else { throw try syntaxError() }
        // DTrace's type name may go on with an abstract function declarator, `(int)`:
        // read as its grammar reads it, the "<" it then lacks is the error.
        if try isPunctuation("(") { _ = try parseDeclarator(abstract: true) }
        try expect("<")
        guard let inputBase = try parseTypeSpecifier() else { throw try syntaxError() }
        let declarator = try parseDeclarator()
        var input = inputBase
        for _ in 0..<declarator.pointerDepth { input = .pointer(input) }
        try expect(">")
        try expect("{")
        var members: [(name: String, value: Expression, line: Int)] = []
        while try !accept("}") {
            let token = try advance()
            guard case .identifier(let name) = token.kind else { lookahead.insert(token, at: 0); throw try syntaxError() }
            try expect("=")
            members.append((name, try parseAssignment(), token.line))
            try expect(";")
        }
        let endLine = try peek().line
        try expect(";")
        return TranslatorSyntax(output: output, input: input, inputName: declarator.name, members: members, line: line, endLine: endLine)
    }

    /// A declarator: stars, a name (or, for a parameter, none), array dimensions or
    /// associative keys, function parameters; `(*name)(...)` declares a function pointer.
    mutating func parseDeclarator(abstract: Bool = false) throws(Diagnostic) -> Declarator {
        try enterNesting()   // declarators nest through parentheses and parameters
        defer { nesting -= 1 }
        var depth = 0
        while try accept("*") { depth += 1 }
        var name = ""
        var isFunction = false
        var inner: Declarator?
        let token = try peek()
        if case .identifier(let identifier) = token.kind {
            try advance()
            name = identifier
        } else if token.kind == .punctuation("("), case .punctuation("*") = try peek(1).kind {
            try advance()
            let parenthesized = try parseDeclarator(abstract: abstract)
            try expect(")")
            name = parenthesized.name
            isFunction = parenthesized.isFunction
            inner = parenthesized
        } else if !abstract || (token.kind != .punctuation("(") && token.kind != .punctuation("[")
                                && token.kind != .punctuation(",") && token.kind != .punctuation(")")) {
            throw try syntaxError()
        }
        if try isPunctuation("(") {
            try advance()
            try parseParameters()
            isFunction = true
        }
        var suffixes: [Declarator.ArraySuffix] = []
        var keyNames: [String?] = []
        while try accept("[") {
            if try accept("]") { suffixes.append(.size(nil)); continue }
            if try isPunctuation("...") {
                throw Diagnostic(.prototypeVarargs, "array prototype may not use a variable-length argument list", line: try peek().line)
            }
            if try startsTypeName() {
                var keys: [TypeSyntax] = []
                keyNames = []
                repeat {
                    guard let key = try parseTypeName() else { throw try syntaxError() }
                    keys.append(key)
                    // An inline's parameters are named (`inline int f[int x] = ...`).
                    if case .identifier(let parameter) = try peek().kind { try advance(); keyNames.append(parameter) } else { keyNames.append(nil) }
                } while try accept(",")
                try expect("]")
                suffixes.append(.keys(keys))
            } else {
                let size = try parseConditional()
                try expect("]")
                suffixes.append(.size(size))
            }
        }
        if let inner, inner.pointerDepth > 0, isFunction, !inner.isFunction {
            // (*name)(...): a pointer to a function, with the dimensions written inside.
            var pointer = Declarator(name: name, pointerDepth: 0, suffixes: inner.suffixes + suffixes, line: token.line, keyNames: keyNames)
            pointer.functionPointerDepth = inner.pointerDepth
            return pointer
        }
        return Declarator(name: name, pointerDepth: depth, suffixes: suffixes, line: token.line, isFunction: isFunction, keyNames: keyNames)
    }

    /// A function's parameters after its `(`, through the `)`, checked as DTrace checks a
    /// prototype: `void` alone and unnamed, no storage class, no associative array.
    mutating func parseParameters() throws(Diagnostic) {
        if try accept(")") { return }
        var count = 0, sawVoid = false
        repeat {
            count += 1
            let line = try peek().line
            if try accept("...") { continue }
            switch try peek().kind {
            case .keyword(.static), .keyword(.extern), .keyword(.typedef), .keyword(.inline), .keyword(.self), .keyword(.this):
                throw Diagnostic(.declarationParameterClass, "inappropriate storage class for function or associative array parameter", line: line)
            default: break
            }
            guard let type = try parseTypeSpecifier() else { throw try syntaxError() }
            let declarator = try parseDeclarator(abstract: true)
            if declarator.suffixes.contains(where: { if case .keys = $0 { return true } else { return false } }) {
                throw Diagnostic(.prototypeType, "function prototype may not use parameter of type dynamic variable: \(declarator.name), parameter #\(count)", line: line)
            }
            if type == .void && declarator.pointerDepth == 0 && declarator.suffixes.isEmpty && !declarator.isFunction {
                if !declarator.name.isEmpty { throw Diagnostic(.prototypeName, "void parameter may not have a name: \(declarator.name)", line: line) }
                sawVoid = true
            }
        } while try accept(",")
        try expect(")")
        if sawVoid && count > 1 { throw Diagnostic(.prototypeVoid, "void must be sole parameter", line: try peek().line) }
    }

    mutating func startsTypeName(ahead: Int = 0) throws(Diagnostic) -> Bool {
        switch try peek(ahead).kind {
        case .keyword(let keyword):
            switch keyword {
            case .int, .char, .short, .long, .signed, .unsigned, .void, .string, .struct, .union, .enum,
                 .const, .volatile, .float, .double:
                return true
            default: return false
            }
        case .identifier(let name): return typeNames.contains(name)
        default: return false
        }
    }

    /// A type specifier (no declarator): keywords, typedef names, struct/union/enum. As in
    /// DTrace, one type name (int, char, void, float, a struct...) and the attributes
    /// (signed, unsigned, short, long) checked against it as each word is read.
    mutating func parseTypeSpecifier() throws(Diagnostic) -> TypeSyntax? {
        var signedness: Bool?
        var shorts = 0, longs = 0
        var char = false, int = false, sawKeyword = false
        var named: String?   // the type name given: int, char, void, string, float, double
        let line = try peek().line
        func check(_ name: String?, line: Int) throws(Diagnostic) {
            guard let name else { return }
            if name == "char" && (shorts > 0 || longs > 0) {
                throw Diagnostic(.declarationCharAttributes, "invalid type declaration: short and long may not be used with char type", line: line)
            }
            if name == "void" && (shorts > 0 || longs > 0 || signedness != nil) {
                throw Diagnostic(.declarationVoidAttributes, "invalid type declaration: attributes may not be used with void type", line: line)
            }
            if name != "int" && name != "char" && signedness != nil {
                throw Diagnostic(.declarationSignedness, "invalid type declaration: signed and unsigned may only be used with integer type", line: line)
            }
            if name != "int" && name != "char" && name != "float" && name != "double" && longs > 0 {
                throw Diagnostic(.declarationLong, "invalid type declaration: long and long long may only be used with integer or floating-point type", line: line)
            }
        }
        func name(_ given: String, line: Int) throws(Diagnostic) {
            if named != nil { throw Diagnostic(.declarationCombination, "invalid type combination", line: line) }
            named = given
            try check(given, line: line)
        }
        loop: while true {
            let token = try peek()
            switch token.kind {
            case .keyword(.const), .keyword(.volatile), .keyword(.register), .keyword(.restrict): try advance()
            case .keyword(.signed): signedness = true; sawKeyword = true; try advance(); try check(named, line: token.line)
            case .keyword(.unsigned): signedness = false; sawKeyword = true; try advance(); try check(named, line: token.line)
            case .keyword(.short): shorts += 1; sawKeyword = true; try advance(); try check(named, line: token.line)
            case .keyword(.long): longs += 1; sawKeyword = true; try advance(); try check(named, line: token.line)
            case .keyword(.char): char = true; sawKeyword = true; try advance(); try name("char", line: token.line)
            case .keyword(.int): int = true; sawKeyword = true; try advance(); try name("int", line: token.line)
            case .keyword(.float), .keyword(.double):
                sawKeyword = true
                try advance()
                try name(token.kind == .keyword(.float) ? "float" : "double", line: token.line)
            case .keyword(.void), .keyword(.string):
                sawKeyword = true
                try advance()
                try name(token.kind == .keyword(.void) ? "void" : "string", line: token.line)
            case .keyword(.struct), .keyword(.union), .keyword(.enum):
                if named != nil { throw Diagnostic(.declarationCombination, "invalid type combination", line: token.line) }
                try advance()
                if signedness != nil || longs > 0 {
                    // DTrace checks the attributes once the struct's name is read.
                    if case .identifier = try peek().kind { try advance() }
                    try check(token.kind == .keyword(.enum) ? "enum" : "struct", line: try peek().line)
                }
                if shorts > 0 { throw Diagnostic(.declarationCombination, "invalid type combination", line: try peek().line) }
                let specified = token.kind == .keyword(.enum) ? try parseEnumeration() : try parseComposite(isUnion: token.kind == .keyword(.union))
                // A second type name after it (a definition missing its `;`): as DTrace says.
                switch try peek().kind {
                case .keyword(.struct), .keyword(.union), .keyword(.enum), .keyword(.int), .keyword(.char), .keyword(.void),
                     .keyword(.short), .keyword(.long), .keyword(.signed), .keyword(.unsigned), .keyword(.string):
                    throw Diagnostic(.declarationCombination, "invalid type combination", line: try peek().line)
                default: return specified
                }
            case .identifier(let typeName) where !sawKeyword && typeNames.contains(typeName):
                try advance()
                return .named(typeName)
            default: break loop
            }
        }
        if !sawKeyword { return nil }
        switch named {
        case "void": return .void
        case "string": return .string
        case "float": return .floating(longs > 0 ? "long double" : "float")
        case "double": return .floating(longs > 0 ? "long double" : "double")
        default: break
        }
        return .keywords(signedness: signedness, shorts: shorts, longs: longs, char: char, int: int, line: line)
    }

    mutating func parseComposite(isUnion: Bool) throws(Diagnostic) -> TypeSyntax {
        try enterNesting()   // struct definitions nest in members
        defer { nesting -= 1 }
        var name: String?
        if case .identifier(let identifier) = try peek().kind { name = identifier; try advance() }
        let brace = try peek()
        guard try accept("{") else {
            if name == nil { throw try syntaxError() }
            return .structure(name: name, isUnion: isUnion, members: nil)
        }
        if let name { try defineTag((isUnion ? "union " : "struct ") + name, line: brace.line) }
        if try isPunctuation("}") { throw try syntaxError() } // at least one member
        var members: [(TypeSyntax, [Declarator])] = []
        while try !accept("}") {
            guard let type = try parseTypeSpecifier() else { throw try syntaxError() }
            var declarators: [Declarator] = []
            repeat {
                // A bit-field, named or not (`int a : 3`, `int : 5`).
                let line = try peek().line
                if try accept(":") {
                    declarators.append(Declarator(name: "", pointerDepth: 0, suffixes: [], line: line, bitWidth: try parseConditional()))
                    continue
                }
                var declarator = try parseDeclarator()
                if try accept(":") { declarator.bitWidth = try parseConditional() }
                declarators.append(declarator)
            } while try accept(",")
            try expect(";")
            members.append((type, declarators))
        }
        return .structure(name: name, isUnion: isUnion, members: members)
    }

    /// A definition's tag, at its `{`: a second definition of one this text has defined is
    /// refused there.
    mutating func defineTag(_ tag: String, line: Int) throws(Diagnostic) {
        guard definedTags.insert(tag).inserted else {
            throw Diagnostic(.declarationTypeRedeclared, "type redeclared: \(tag)", line: line)
        }
    }

    mutating func parseEnumeration() throws(Diagnostic) -> TypeSyntax {
        var name: String?
        if case .identifier(let identifier) = try peek().kind { name = identifier; try advance() }
        let brace = try peek()
        guard try accept("{") else {
            if name == nil { throw try syntaxError() }
            return .enumeration(name: name, values: nil)
        }
        if let name { try defineTag("enum " + name, line: brace.line) }
        if try isPunctuation("}") { throw try syntaxError() } // at least one enumerator
        var values: [(String, Expression?, Int)] = []
        while try !accept("}") {
            let token = try advance()
            guard case .identifier(let enumerator) = token.kind else { lookahead.insert(token, at: 0); throw try syntaxError() }
            var value: Expression?
            if try accept("=") { value = try parseConditional() }
            values.append((enumerator, value, try peek().line))
            if try !accept(",") { try expect("}"); break }
        }
        return .enumeration(name: name, values: values)
    }

    /// A type name as in casts and sizeof: a specifier and an abstract declarator.
    mutating func parseTypeName() throws(Diagnostic) -> TypeSyntax? {
        guard var type = try parseTypeSpecifier() else { return nil }
        while try accept("*") { type = .pointer(type) }
        while try accept("[") {
            let size = try isPunctuation("]") ? nil : try parseConditional()
            try expect("]")
            type = .array(type, size)
        }
        return type
    }

    // MARK: expressions

    public mutating func parseExpression() throws(Diagnostic) -> Expression {
        var expression = try parseAssignment()
        while predicateDepth == nil || predicateDepth! > 0, try isPunctuation(",") {
            let line = try advance().line
            expression = Expression(.comma(expression, try parseAssignment()), line: line)
        }
        return expression
    }

    mutating func enterNesting() throws(Diagnostic) {
        nesting += 1
        if nesting > Parser.maximumNesting {
            throw Diagnostic(.syntax, "expression is nested too deeply", line: try peek().line)
        }
    }

    static let assignmentOperators: Set<String> = ["=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>="]

    mutating func parseAssignment() throws(Diagnostic) -> Expression {
        try enterNesting()
        defer { nesting -= 1 }
        let target = try parseConditional()
        if case .punctuation(let op) = try peek().kind, Parser.assignmentOperators.contains(op) {
            let line = try advance().line
            return Expression(.assign(op, target, try parseAssignment()), line: line)
        }
        return target
    }

    mutating func parseConditional() throws(Diagnostic) -> Expression {
        let condition = try parseBinary(minimumPrecedence: 1)
        if try isPunctuation("?") {
            let line = try advance().line
            try enterNesting()
            defer { nesting -= 1 }
            let then = try parseAssignment()
            try expect(":")
            let otherwise = try parseConditional()
            return Expression(.conditional(condition, then, otherwise), line: line)
        }
        return condition
    }

    static let binaryPrecedence: [String: Int] = [
        "||": 1, "^^": 2, "&&": 3, "|": 4, "^": 5, "&": 6, "==": 7, "!=": 7,
        "<": 8, "<=": 8, ">": 8, ">=": 8, "<<": 9, ">>": 9, "+": 10, "-": 10, "*": 11, "/": 11, "%": 11,
    ]

    /// Whether the "/" ahead ends the predicate: as DTrace's lexer decides, when what
    /// follows it is "{", ";", "/" or the end — and then no bracket may be open.
    mutating func closesPredicate() throws(Diagnostic) -> Bool {
        guard predicateDepth != nil, try isPunctuation("/") else { return false }
        let next = try peek(1)
        switch next.kind {
        case .punctuation("{"), .punctuation(";"), .punctuation("/"), .endOfInput:
            for closing in [")", "]"] where openBrackets.contains(closing) {
                throw Diagnostic(.syntax, "closing \(closing) expected in predicate before /", line: next.line)
            }
            return predicateDepth == 0
        default:
            return false
        }
    }

    mutating func parseBinary(minimumPrecedence: Int) throws(Diagnostic) -> Expression {
        var left = try parseUnary()
        var chain = 0
        while case .punctuation(let op) = try peek().kind, let precedence = Parser.binaryPrecedence[op], precedence >= minimumPrecedence {
            if try closesPredicate() { break }
            let line = try advance().line
            chain += 1
            if chain > 4 * Parser.maximumNesting { throw Diagnostic(.syntax, "expression is too long", line: line) }
            try enterNesting()
            let right = try parseBinary(minimumPrecedence: precedence + 1)
            nesting -= 1
            left = Expression(.binary(op, left, right), line: line)
        }
        return left
    }

    mutating func parseUnary() throws(Diagnostic) -> Expression {
        let token = try peek()
        switch token.kind {
        case .punctuation(let op) where ["-", "+", "!", "~", "*", "&", "++", "--"].contains(op):
            try advance()
            try enterNesting()
            defer { nesting -= 1 }
            return Expression(.unary(op, try parseUnary()), line: token.line)
        case .punctuation("(") where try startsTypeName(ahead: 1):
            try advance()
            guard let type = try parseTypeName() else { throw try syntaxError() }
            try expect(")")
            try enterNesting()
            defer { nesting -= 1 }
            // DTrace's grammar makes the cast when it reads the token after its operand:
            // the cast is of that token's line.
            let operand = try parseUnary()
            return Expression(.cast(type, operand), line: try peek().line)
        case .keyword(.sizeof):
            try advance()
            if try isPunctuation("("), try startsTypeName(ahead: 1) {
                try advance()
                guard let type = try parseTypeName() else { throw try syntaxError() }
                try expect(")")
                return Expression(.sizeofType(type), line: token.line)
            }
            try enterNesting()
            defer { nesting -= 1 }
            return Expression(.sizeofExpression(try parseUnary()), line: token.line)
        case .keyword(.stringof):
            try advance()
            try enterNesting()
            defer { nesting -= 1 }
            return Expression(.stringof(try parseUnary()), line: token.line)
        default:
            return try parsePostfix()
        }
    }

    mutating func parsePostfix() throws(Diagnostic) -> Expression {
        var expression = try parsePrimary()
        var count = 0
        while true {
            count += 1
            if count > Parser.maximumNesting { throw Diagnostic(.syntax, "expression is nested too deeply", line: expression.line) }
            let token = try peek()
            switch token.kind {
            case .punctuation("["):
                try advance()
                if predicateDepth != nil { predicateDepth! += 1 }
                var indices: [Expression] = []
                if try !isPunctuation("]") {
                    repeat { indices.append(try parseAssignment()) } while try accept(",")
                }
                if predicateDepth != nil { predicateDepth! -= 1 }
                try expect("]")
                expression = Expression(.index(expression, indices), line: token.line)
            case .punctuation("."), .punctuation("->"):
                try advance()
                let name = try advance()
                // A member may be named like a D keyword (a kernel struct's `self`, `string`).
                let member: String
                switch name.kind {
                case .identifier(let identifier): member = identifier
                case .keyword(let keyword): member = keyword.rawValue
                default: lookahead.insert(name, at: 0); throw try syntaxError()
                }
                expression = Expression(.member(expression, member, arrow: token.kind == .punctuation("->")), line: token.line)
            case .punctuation("++"), .punctuation("--"):
                try advance()
                guard case .punctuation(let op) = token.kind else { return expression }
                expression = Expression(.postfix(op, expression), line: token.line)
            case .punctuation("("):
                // Called as a function, what is not a function's name (`tick-1()`), as
                // DTrace's grammar refuses it.
                throw Diagnostic(.functionDesignator, "function designator is not of function type", line: token.line)
            default:
                return expression
            }
        }
    }

    mutating func parseArguments() throws(Diagnostic) -> [Expression] {
        try expect("(")
        if predicateDepth != nil { predicateDepth! += 1 }
        defer { if predicateDepth != nil { predicateDepth! -= 1 } }
        var arguments: [Expression] = []
        if try accept(")") { return arguments }
        repeat { arguments.append(try parseAssignment()) } while try accept(",")
        try expect(")")
        return arguments
    }

    mutating func parsePrimary() throws(Diagnostic) -> Expression {
        let token = try advance()
        let line = token.line
        switch token.kind {
        case .integer(let value, let typeName): return Expression(.integer(value, typeName: typeName), line: line)
        case .character(let value): return Expression(.character(value), line: line)
        case .string(var value):
            // Adjacent string literals are concatenated, as in C.
            while case .string(let more) = try peek().kind { try advance(); value += more }
            return Expression(.string(value), line: line)
        case .macroArgument(let index, let asString): return Expression(.macroArgument(index, asString: asString), line: line)
        case .macroVariable(let name, let asString): return Expression(.macroVariable(name, asString: asString), line: line)
        case .aggregation(let name): return Expression(.aggregation(name), line: line)
        case .keyword(.self), .keyword(.this):
            try expect("->")
            let name = try advance()
            guard case .identifier(let variable) = name.kind else { lookahead.insert(name, at: 0); throw try syntaxError() }
            return Expression(token.kind == .keyword(.self) ? .threadLocal(variable) : .clauseLocal(variable), line: line)
        case .keyword(.offsetof):
            try expect("(")
            guard let type = try parseTypeName() else { throw try syntaxError() }
            try expect(",")
            let member = try advance()
            guard case .identifier(let name) = member.kind else { lookahead.insert(member, at: 0); throw try syntaxError() }
            try expect(")")
            return Expression(.offsetof(type, name), line: line)
        case .keyword(.xlate):
            try expect("<")
            guard let type = try parseTypeName() else { throw try syntaxError() }
            try expect(">")
            try expect("(")
            let value = try parseExpression()
            try expect(")")
            return Expression(.translate(type, value), line: line)
        case .keyword(.string):
            // `string` as a conversion: string(x) is not D; treat as a syntax error.
            lookahead.insert(token, at: 0)
            throw try syntaxError()
        case .identifier(let name):
            if try isPunctuation("(") {
                return Expression(.call(name, try parseArguments()), line: line)
            }
            return Expression(.identifier(name), line: line)
        case .punctuation("("):
            if predicateDepth != nil { predicateDepth! += 1 }
            try enterNesting()
            let inner = try parseExpression()
            nesting -= 1
            if predicateDepth != nil { predicateDepth! -= 1 }
            try expect(")")
            return inner
        default:
            lookahead.insert(token, at: 0)
            throw try syntaxError()
        }
    }
}
