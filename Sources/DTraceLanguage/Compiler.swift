// DTraceLanguage/Compiler: checks a parsed D program against D's rules (types inferred
// on first assignment, C promotions, string semantics, aggregations, actions) and lowers
// every clause to IR. Program order matters exactly as in DTrace: a variable's type is
// fixed by the first assignment the compiler meets.

import DTraceIR
import DTraceText

public enum ProbeSpecifierKind { case provider, module, function, name }

/// The result of compilation: the IR program and what the consumer needs to describe it.
public struct CompiledProgram {
    public var program: IRProgram
    public var probeSpecifierTexts: [[String]]
}

struct Value {
    var register: Register
    var type: DType
    var constant: Int64?
    /// Memory space of the bytes a string/composite register points to.
    var space: MemorySpace = .scratch
    /// A pointer into alloca() space: what it points to is D's memory, whatever type a
    /// cast gives it (a kernel struct's included), as DTrace's alloca taint.
    var pointsIntoAlloca = false
    /// A ?: with one alloca() branch and one other (DTrace's DT_NF_NONASSIGN): no
    /// variable may hold it.
    var mixesAlloca = false
    /// A pointer to a translated struct (xlate<T *>, curpsinfo): DTrace's dynamic
    /// expression, which has no address to keep (not an aggregation or array key).
    var isTranslatedPointer = false
    /// For a string: the bytes it needs at most with its NUL, when known (a literal,
    /// execname, a dotted quad): an aggregation key slot holding only such strings is
    /// narrowed to it.
    var stringBound: Int?
}

enum VariableStorage {
    case global(offset: Int)
    case threadLocal(map: Int)
    case clauseLocal(offset: Int)
    case associative(map: Int, keys: [DType])
}

struct Variable {
    var name: String
    var type: DType
    var storage: VariableStorage
    /// What `-S`'s variable table says of it.
    var listed: ListedVariable
}

struct AggregationInfo {
    var id: Int
    var function: AggregatingFunction
    var keyTypes: [DType]
    var callText: String
    /// Bytes of each key slot (a string slot may be narrower than strsize: see prescan).
    var keyWidths: [Int]
}

public final class Compiler {
    var options: CompileOptions
    var program = IRProgram()
    /// How many clauses have been compiled so far.
    public var clauseCount: Int { program.clauses.count }
    /// The macro arguments ($N, $$N) the texts compiled so far name: DTrace refuses a text
    /// that leaves the last one unnamed (D_MACRO_UNUSED), unless -x argref.
    public var referencedMacroArguments = Set<Int>()
    var constantOffsets: [[UInt8]: Int] = [:]
    var globals: [String: Variable] = [:]
    var threadLocals: [String: Variable] = [:]
    var clauseLocals: [String: Variable] = [:]
    /// Variables ("p", "self->p", "this->p") assigned an alloca() pointer: reading them
    /// gives one back.
    var allocaPointerVariables = Set<String>()
    /// Variables assigned anything else but a literal 0: as in DTrace, one variable may not
    /// hold both (reading it would not know whether it names alloca() memory).
    var nonAllocaVariables = Set<String>()
    /// The line of the clause being compiled (its first probe description's).
    var clauseLine = 0
    /// While a clause compiles: the least stability of what it uses, and of its probes' arguments.
    var statementAttributes: StabilityAttributes?
    var argumentAttributes = StabilityAttributes.standardDefault
    var clauseLocalBytes = 0
    /// DTrace's ids and storage offsets of the variables, for `-S`'s variable tables.
    var dtraceLayout = DTraceVariableLayout()
    var aggregations: [String: AggregationInfo] = [:]
    var inlines: [String: (DType, Expression)] = [:]
    /// Inlines with parameters, used as associative arrays (`inline int f[int x, int y] =
    /// x + y;` then `f[1, 2]`): the value's type, its expression, the parameters.
    var inlineArrays: [String: (type: DType, value: Expression, parameters: [(name: String, type: DType)])] = [:]
    /// The scratchsize the program or -x set, if any: the last `#pragma D option
    /// scratchsize=` read so far, else the command line's.
    var scratchSizeOption: Int64? {
        if let (_, value) = program.options.last(where: { $0.0 == "scratchsize" }), let value {
            let multipliers: [Character: Int64] = ["k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30]
            if let last = value.last, let multiplier = multipliers[last], let number = Int64(value.dropLast()) { return number * multiplier }
            return Int64(value)
        }
        return options.scratchSize
    }
    /// What alloca() may hand out: the scratchsize option rounded up to 8 bytes, as
    /// Oracle's DTrace keeps it (its first 8 bytes stand for NULL), 256 by default.
    var allocaLimit: Int {
        guard let option = scratchSizeOption else { return 256 }
        return Int(clamping: max(0, (option + 7) & ~7))
    }
    /// A frame count option (stackframes, ustackframes, maxframes): the last `#pragma D
    /// option` read so far, else the command line's, else `defaultValue`.
    func frameOption(_ name: String, default defaultValue: Int) -> Int {
        if let (_, value) = program.options.last(where: { $0.0 == name }), let value, let count = Int(value), count > 0 { return count }
        return options.frameOptions[name].map { Int(clamping: $0) } ?? defaultValue
    }
    /// Globals declared with an array type (`int a[4];`), which are never assigned whole.
    var declaredArrays = Set<String>()
    /// `#pragma D attributes/binding` naming what the program has not declared yet.
    var pendingPragmas: [(directive: String, name: String, line: Int)] = []
    var inlineDepth = 0
    var typedefs: [String: DType] = [:]
    /// Translators (a script's, checked; the library's once wanted) and those waiting.
    var translators: [TranslatorDefinition] = []
    var libraryTranslators: [TranslatorSyntax] = []
    /// Names bound to values while an expression is compiled: the input names of
    /// translators being compiled, the parameters of an inline array being expanded.
    var translatorInputs: [String: Value] = [:]
    /// In the clause being compiled: what `args[N]` is, when the probes' provider says
    /// (`xlate<psinfo_t *>((struct task_struct *)arg1)`), parsed once per text.
    var argumentExpressions: [Expression] = []
    /// The description those expressions are of (for D_ARGS_IDX).
    var argumentExpressionsProbe = ""
    /// The probe descriptions of the clause being compiled.
    var clauseDescriptions: [ProbeDescription] = []
    var parsedArgumentExpressions: [String: Expression] = [:]
    var composites: [String: CompositeType] = [:]
    var enumerations: [String: EnumType] = [:]
    var enumerators: [String: (Int64, DType)] = [:]
    var emitter = Emitter()
    var record = RecordBuilder()
    /// What the clause being compiled has done so far, for DTrace's ordering rules of
    /// speculate(), commit() and the actions around them.
    var clauseOrder = ClauseActionOrder()
    /// Structs and unions whose members are being read.
    var compositesBeingDefined: Set<ObjectIdentifier> = []
    var region: Diagnostic.Region = .actionList
    /// `args`'s type in the clause being compiled, when all its probes share one record.
    var argumentRecordType: DType?
    /// Compiling a provider's argument definition, where argN is the tracepoint's own.
    var readingProviderArguments = false
    var clauseEmitters: [(Emitter, Int)] = []
    var maximumTemporaries = 0
    var maximumRecord = 0
    var probeTexts: [[String]] = []

    public init(options: CompileOptions) {
        self.options = options
        program.stringSize = options.stringSize
        languageVersion = options.languageVersion ?? LanguageVersion.current
    }

    /// The D language version the program is written for (-x version, or its pragma).
    var languageVersion: LanguageVersion

    /// String storage: strsize bytes plus the terminator, rounded up to 8.
    var stringStorage: Int { (options.stringSize + 1 + 7) & ~7 }

    func error(_ tag: DiagnosticTag, _ message: String, line: Int) -> Diagnostic {
        Diagnostic(tag, message, line: line, region: region)
    }

    // MARK: program

    public static func compile(source: String, options: CompileOptions = CompileOptions()) throws(Diagnostic) -> CompiledProgram {
        let compiler = Compiler(options: options)
        try compiler.loadLibrary()
        var parser = Parser(source: source, typeNames: compiler.typeNames)
        let syntax = try parser.parseProgram()
        return try compiler.compile(syntax)
    }

    public func compile(_ syntax: ProgramSyntax) throws(Diagnostic) -> CompiledProgram {
        prescan([syntax])
        try add(syntax)
        return finish()
    }

    /// String key slots of aggregations that every use fills with a string of known
    /// bounded length (execname: 15 bytes; a literal: its own): by name, per key position,
    /// the slot's bytes. Narrow slots make the kernel's hash keys small.
    /// Thread-locals assigned somewhere in the program, with their types (`prescan`).
    var forwardThreadLocalTypes: [String: DType] = [:]
    /// Thread-local associative arrays assigned somewhere: value and key types.
    var forwardThreadLocalArrays: [String: (value: DType, keys: [DType])] = [:]
    var boundedAggregationKeys: [String: [Int?]] = [:]
    /// Per aggregation and key position: the most bytes every string compiled into the
    /// slot needed (nil: one whose length is not known).
    var observedKeyBounds: [String: [Int?]] = [:]
    /// Key bounds a first compilation of the same program learnt from the values it
    /// compiled (`narrowerKeyBounds`); set before `prescan`, they narrow those slots.
    public var learnedKeyBounds: [String: [Int?]] = [:]
    /// Per aggregation and key position: what the slot is as a direct key while every use
    /// seen is one of the same kind (DirectKeys), nil once one is not.
    var observedDirectKeys: [String: [DirectKey?]] = [:]
    /// The key positions of each aggregation observed so far.
    var observedDirectKeyPositions: [String: Set<Int>] = [:]
    /// Direct key slots a first compilation found (`directKeysToLearn`): compiled so.
    public var learnedDirectKeys: [String: [DirectKey?]] = [:]

    /// The key bounds this compilation learnt, when they are narrower than the slots it
    /// laid out (a dotted quad keyed in a slot of strsize): compiling the program again
    /// with them as `learnedKeyBounds` keys narrower. Nil when nothing is narrower.
    public var narrowerKeyBounds: [String: [Int?]]? {
        var narrower = false
        for (name, info) in aggregations {
            guard let observed = observedKeyBounds[name], observed.count == info.keyWidths.count else { continue }
            for (position, bound) in observed.enumerated() where info.keyTypes[position].isString {
                if let bound, (bound + 7) & ~7 < info.keyWidths[position] { narrower = true }
            }
        }
        return narrower ? observedKeyBounds : nil
    }

    /// Bytes a string key expression needs at most, when its text tells: execname (15
    /// characters and a NUL), a literal (its own length and a NUL); nil otherwise.
    static func stringKeyBound(_ expression: Expression) -> Int? {
        switch expression.kind {
        case .identifier("execname"): return 16
        case .string(let bytes): return bytes.count + 1
        default: return nil
        }
    }

    /// Looks at every aggregation assignment of the whole program (all its texts) before
    /// any is compiled, so that a key slot is narrowed only when no use needs more.
    public func prescan(_ programs: [ProgramSyntax]) {
        // strsize from a pragma sizes every string of the program, as the option does
        // (string storage is laid out once; the last pragma wins, as it would at run time).
        for syntax in programs {
            for item in syntax.items {
                guard case .pragma(let text, _) = item else { continue }
                let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard words.count == 3, words[0] == "D", words[1] == "option", words[2].hasPrefix("strsize="),
                      let size = CompileOptions.byteSize(String(words[2].dropFirst("strsize=".count))), size >= 2 else { continue }
                options.stringSize = Int(min(size, 1 << 16))
                program.stringSize = options.stringSize
            }
        }
        var bounds: [String: [Int?]] = [:]
        let bound = Compiler.stringKeyBound
        func visit(_ expression: Expression) {
            guard case .assign("=", let target, _) = expression.kind, case .index(let base, let keys) = target.kind,
                  case .aggregation(let name) = base.kind else { return }
            let these = keys.map(bound)
            guard let previous = bounds[name] else { bounds[name] = these; return }
            guard previous.count == these.count else { bounds[name] = these.map { _ in nil }; return }
            bounds[name] = zip(previous, these).map { a, b in a.flatMap { a in b.map { max(a, $0) } } }
        }
        func visit(_ statements: [Statement]) {
            for statement in statements {
                switch statement {
                case .expression(let expression): visit(expression)
                case .ifElse(_, let then, let otherwise, _): visit(then); visit(otherwise ?? [])
                case .block(let inner): visit(inner)
                case .declaration, .empty: break
                }
            }
        }
        for program in programs {
            for item in program.items { if case .clause(let clause) = item { visit(clause.statements ?? []) } }
        }
        for (name, learned) in learnedKeyBounds { bounds[name] = learned }
        boundedAggregationKeys = bounds.mapValues { $0.map { $0.map { ($0 + 7) & ~7 } } }
        // Thread-locals the program assigns anywhere: a clause may read one before the
        // clause that assigns it (`/self->ts/` ahead of the entry probe's clause).
        var threadLocalTypes: [String: DType] = [:]
        var threadLocalArrays: [String: (value: DType, keys: [DType])] = [:]
        func collect(_ expression: Expression) {
            if case .assign(let op, let target, let value) = expression.kind, case .threadLocal(let name) = target.kind, threadLocalTypes[name] == nil {
                threadLocalTypes[name] = op == "=" ? Compiler.forwardType(of: value) : Compiler.forwardType(of: target)
            }
            if case .assign(let op, let target, let value) = expression.kind, case .index(let base, let keys) = target.kind,
               case .threadLocal(let name) = base.kind, threadLocalArrays[name] == nil {
                threadLocalArrays[name] = (op == "=" ? Compiler.forwardType(of: value) : BuiltinTypes.table["int64_t"]!, keys.map { Compiler.forwardType(of: $0) })
            }
            Compiler.forEachChild(of: expression, collect)
        }
        func collect(_ statements: [Statement]) {
            for statement in statements {
                switch statement {
                case .expression(let expression): collect(expression)
                case .ifElse(let condition, let then, let otherwise, _): collect(condition); collect(then); collect(otherwise ?? [])
                case .block(let inner): collect(inner)
                case .declaration, .empty: break
                }
            }
        }
        for program in programs {
            for item in program.items { if case .clause(let clause) = item { collect(clause.statements ?? []) } }
        }
        forwardThreadLocalTypes = threadLocalTypes
        forwardThreadLocalArrays = threadLocalArrays
    }

    /// The type an assignment's value will have, judged from its syntax alone (for a
    /// thread-local read before its assignment is compiled): strings from string
    /// literals, string built-ins and string subroutines; timestamps unsigned; otherwise
    /// a 64-bit integer.
    static func forwardType(of expression: Expression) -> DType {
        let int64 = BuiltinTypes.table["int64_t"]!, uint64 = BuiltinTypes.table["uint64_t"]!
        switch expression.kind {
        case .string, .stringof: return .string
        case .identifier(let name):
            if ["execname", "probefunc", "probemod", "probename", "probeprov", "cwd", "root", "zonename"].contains(name) { return .string }
            if ["timestamp", "vtimestamp", "walltimestamp"].contains(name) { return uint64 }
            return int64
        case .call(let name, _):
            let strings: Set<String> = ["copyinstr", "strjoin", "substr", "lltostr", "ulltostr", "basename", "dirname", "cleanpath", "inet_ntoa",
                                        "inet_ntoa6", "inet_ntop", "link_ntop", "toupper", "tolower", "strtok", "strstr", "strchr", "strrchr", "json", "ddi_pathname"]
            return strings.contains(name) ? .string : int64
        case .conditional(_, let whenTrue, _): return forwardType(of: whenTrue)
        default: return int64
        }
    }

    /// Whether a clause's predicate or statements name `args` (or declare something,
    /// whose initializer might): only then do its probes' argument types matter, and a
    /// clause over many probes is compiled once.
    static func mentionsArgs(_ clause: Clause) -> Bool {
        var found = false
        func visit(_ expression: Expression) {
            if found { return }
            if case .identifier("args") = expression.kind { found = true; return }
            forEachChild(of: expression, visit)
        }
        func visit(_ statements: [Statement]) {
            for statement in statements where !found {
                switch statement {
                case .expression(let expression): visit(expression)
                case .ifElse(let condition, let then, let otherwise, _): visit(condition); visit(then); visit(otherwise ?? [])
                case .block(let inner): visit(inner)
                case .declaration: found = true
                case .empty: break
                }
            }
        }
        if let predicate = clause.predicate { visit(predicate) }
        visit(clause.statements ?? [])
        return found
    }

    /// Calls `body` on each direct subexpression.
    static func forEachChild(of expression: Expression, _ body: (Expression) -> Void) {
        switch expression.kind {
        case .unary(_, let a), .postfix(_, let a), .cast(_, let a), .sizeofExpression(let a), .stringof(let a), .translate(_, let a):
            body(a)
        case .binary(_, let a, let b), .assign(_, let a, let b), .comma(let a, let b):
            body(a); body(b)
        case .conditional(let a, let b, let c):
            body(a); body(b); body(c)
        case .call(_, let arguments):
            arguments.forEach(body)
        case .index(let base, let indices):
            body(base); indices.forEach(body)
        case .member(let base, _, _):
            body(base)
        default: break
        }
    }

    /// Compiles one more program text into the same program (shared variables and
    /// aggregations), reading partial probe descriptions as `kind`.
    /// The declarations and translators read before a syntax error, acted on as DTrace
    /// acts on them while it parses: the first of them to fail is the program's error.
    public func declareBeforeSyntaxError(_ items: [TopLevelItem]) throws(Diagnostic) {
        for item in items { try declareTopLevel(item) }
    }

    /// A top-level declaration or translator, defined (anything else is left).
    func declareTopLevel(_ item: TopLevelItem) throws(Diagnostic) {
        switch item {
        case .declaration(let declaration): region = .actionList; notePragmaTargets(declaration); try declare(declaration, topLevel: true)
        case .translator(let translator): region = .actionList; try defineTranslator(translator)
        case .pragma, .clause: break
        }
    }

    public func add(_ syntax: ProgramSyntax, kind: ProbeSpecifierKind = .name) throws(Diagnostic) {
        options.probeSpecifierKind = kind
        pendingPragmas = []
        for item in syntax.items {
            switch item {
            case .pragma(let text, let line): try pragma(text, line: line)
            case .clause(let clause): try compileClause(clause)
            case .declaration, .translator: try declareTopLevel(item)
            }
        }
        try checkUnusedPragmas()
    }

    /// A provider's D expression for an argument, parsed with the library's type names.
    func parsedArgumentExpression(_ text: String) throws(Diagnostic) -> Expression {
        if let parsed = parsedArgumentExpressions[text] { return parsed }
        _ = try loadRestOfLibrary()
        var parser = Parser(source: text, typeNames: typeNames)
        do throws(Diagnostic) {
            let expression = try parser.parseExpression()
            parsedArgumentExpressions[text] = expression
            return expression
        } catch {
            throw Diagnostic(error.tag, "provider argument \(text): \(error.message)", line: 0)
        }
    }

    /// The type names the library declared, for the parsers of the scripts that follow.
    public private(set) var typeNames: Set<String> = []
    /// While the library loads, kernel structures it names are looked up only when used.
    var loadingLibrary = false

    /// How many of the library's declaration files (in order) are loaded.
    var libraryFilesLoaded = 0

    /// Parses and adds the D library's declarations (`options.libraryDeclarations`): with
    /// `texts`, only as many files as the last one declaring a name the texts use (files
    /// come in dependency order), the rest when the compiler meets a name it cannot
    /// resolve; without, every file.
    public func loadLibrary(namesUsedIn texts: [String]? = nil) throws(Diagnostic) {
        guard let texts else { return try loadLibraryFiles(through: options.libraryDeclarations.count - 1) }
        var used = Set<String>()
        for text in texts { used.formUnion(LibraryNames.identifiers(in: text)) }
        let needed = options.libraryDeclarations.lastIndex { !LibraryNames.declared(in: $0).isDisjoint(with: used) } ?? -1
        try loadLibraryFiles(through: needed)
    }

    /// Loads the library's files up to `last`, those not loaded yet.
    func loadLibraryFiles(through last: Int) throws(Diagnostic) {
        guard libraryFilesLoaded <= last else { return }
        loadingLibrary = true
        defer { loadingLibrary = false }
        while libraryFilesLoaded <= last {
            var parser = Parser(source: options.libraryDeclarations[libraryFilesLoaded], typeNames: typeNames)
            parser.readsLibrary = true
            let syntax = try parser.parseProgram()
            typeNames.formUnion(parser.typeNames)
            libraryFilesLoaded += 1
            try addLibrary(syntax)
        }
    }

    /// Loads the rest of the library; whether anything was left to load.
    func loadRestOfLibrary() throws(Diagnostic) -> Bool {
        guard libraryFilesLoaded < options.libraryDeclarations.count else { return false }
        try loadLibraryFiles(through: options.libraryDeclarations.count - 1)
        return true
    }

    /// The D library's declarations (types, inlines, translators) before any script: its
    /// translators are resolved only when a script first translates to their output.
    public func addLibrary(_ syntax: ProgramSyntax) throws(Diagnostic) {
        for item in syntax.items {
            switch item {
            case .translator(let translator): libraryTranslators.append(translator)
            case .declaration(let declaration):
                // Loaded late (a name the script's text did not show), the library does not
                // replace what the script declared itself.
                let names = declaration.declarators.map(\.name)
                if names.contains(where: { inlines[$0] != nil || typedefs[$0] != nil || globals[$0] != nil }) { continue }
                if case .structure(let name?, let isUnion, _?) = declaration.type,
                   composites[(isUnion ? "union " : "struct ") + name]?.isComplete == true { continue }
                try declare(declaration, topLevel: true)
            case .pragma, .clause: break
            }
        }
    }

    /// Places the scratch areas and returns the finished program.
    public func finish() -> CompiledProgram {
        // Place scratch areas: [clause-locals][temporaries][record].
        let localBytes = (clauseLocalBytes + 7) & ~7
        for (index, (var clauseEmitter, _)) in clauseEmitters.enumerated() {
            clauseEmitter.placeScratch(clauseLocals: localBytes, temporaries: maximumTemporaries)
            program.clauses[index].function = clauseEmitter.function()
        }
        program.scratchSize = localBytes + maximumTemporaries + maximumRecord
        program.allocaLimit = allocaLimit
        program.zeroedScratch = [(localBytes + maximumTemporaries)..<program.scratchSize]
        program.clauseLocalScratch = 0..<localBytes
        return CompiledProgram(program: program, probeSpecifierTexts: probeTexts)
    }


    // MARK: clauses

    /// The least stability of a clause's probe descriptions, checked against amin as
    /// Oracle's DTrace checks a clause's (D_ATTR_MIN).
    func checkDescriptionAttributes(_ descriptions: [ProbeDescription], line: Int) throws(Diagnostic) -> StabilityAttributes {
        var least = StabilityAttributes.highest
        argumentAttributes = .highest
        for description in descriptions {
            if let given = options.descriptionAttributes?(description) {
                least = least.minimum(given.probes)
                argumentAttributes = argumentAttributes.minimum(given.arguments)
            } else {
                least = least.minimum(StabilityAttributes.isPatternProvider(description.provider) ? .anyProvider : .standardDefault)
            }
        }
        if let minimum = options.minimumAttributes, least.isBelow(minimum) {
            throw error(.attributesBelowMinimum, "attributes for clause (\(least)) are less than predefined minimum", line: line)
        }
        return least
    }

    /// What a statement uses lowers the clause's stability to its own; below amin, D_ATTR_MIN
    /// names it (`what`: "scalar curthread", "function htons( )", "type struct task_struct").
    func noteAttributes(_ attributes: StabilityAttributes, of what: @autoclosure () -> String, line: Int) throws(Diagnostic) {
        guard let current = statementAttributes else { return }
        if let minimum = options.minimumAttributes, attributes.isBelow(minimum) {
            throw error(.attributesBelowMinimum, "attributes for \(what()) (\(attributes)) are less than predefined minimum", line: line)
        }
        statementAttributes = current.minimum(attributes)
    }

    func compileClause(_ clause: Clause) throws(Diagnostic) {
        region = .probeDescription
        clauseLine = clause.line
        var descriptions: [ProbeDescription] = []
        for specifier in clause.probes {
            descriptions.append(try probeDescription(specifier))
        }
        // Descriptions whose probes give their arguments differently (tcp:::send's args
        // come from the packet going out, tcp:::receive's from the one coming in): the
        // clause is compiled once per group of descriptions that agree, as DTrace maps
        // each probe's arguments for the one clause. Such groups share no probe (a probe
        // has one way of giving its arguments).
        // A description that matches nothing (io:::wait-start here) goes with the first group.
        let matching = descriptions.count == 1 ? [true] : descriptions.map { options.matchesTranslatedProbes?($0) ?? true }
        if descriptions.count > 1, Self.mentionsArgs(clause), let resolve = options.argumentExpressions {
            let texts = descriptions.map(resolve)
            if !zip(texts, matching).contains(where: { $0.0 == nil && $0.1 }) {
                var groups: [[String]: [Int]] = [:], order: [[String]] = [], unmatched: [Int] = []
                for (position, text) in texts.enumerated() {
                    guard matching[position], let text else { unmatched.append(position); continue }
                    if groups[text] == nil { order.append(text) }
                    groups[text, default: []].append(position)
                }
                if order.count > 1 {
                    for (number, text) in order.enumerated() {
                        var part = clause
                        part.probes = ((number == 0 ? unmatched : []) + groups[text]!).sorted().map { clause.probes[$0] }
                        try compileClause(part)
                    }
                    return
                }
            }
        }
        probeTexts.append(clause.probes.map(\.text))
        clauseDescriptions = descriptions
        let descriptionAttributes = try checkDescriptionAttributes(descriptions, line: clause.endLine ?? clause.line)
        statementAttributes = .standardDefault
        defer { statementAttributes = nil }
        argumentRecordType = nil
        // Descriptions whose probes' records differ share no args->, nor args[] that read it.
        var recordsDiffer = false
        if let resolve = options.argumentRecord {
            let records = descriptions.map(resolve)
            if let first = records.first ?? nil, records.allSatisfy({ $0?.fields == first.fields }) {
                argumentRecordType = first.compositeType()
            } else {
                recordsDiffer = records.contains { $0 != nil }
            }
        }
        argumentExpressions = []
        if let resolve = options.argumentExpressions, !recordsDiffer {
            let texts = zip(descriptions, matching).filter { $0.1 || descriptions.count == 1 }.map { resolve($0.0) }
            if let first = texts.first ?? nil, texts.allSatisfy({ $0 == first }) {
                argumentExpressions = try first.map { text throws(Diagnostic) in try parsedArgumentExpression(text) }
                argumentExpressionsProbe = (zip(descriptions, matching).first { $0.1 }?.0 ?? descriptions[0]).description
            }
        }
        emitter = Emitter()
        record = RecordBuilder()
        clauseOrder = ClauseActionOrder()
        if let predicate = clause.predicate {
            region = .predicate
            emitter.currentAction = 0
            let value: Value
            do { value = try predicateValue(predicate, of: clause) } catch {
                var moved = error
                // Operator checks name the line DTrace has reached; others the expression's.
                if let checkLine = clause.predicateCheckLine, moved.line > 0, moved.tag.hasPrefix("D_OP_") { moved.line = checkLine }
                throw moved
            }
            guard value.type.isScalar || value.type.isString else {
                throw error(.predicateNotScalar, "predicate result must be of scalar type", line: clause.endLine ?? predicate.line)
            }
            let truth = try truthValue(value, line: predicate.line)
            let skip = emitter.label()
            let proceed = emitter.label()
            emitter.emit(.branchIfNotZero(truth, proceed))
            emitter.emit(.jump(skip))
            emitter.emit(.label(proceed))
            region = .actionList
            try compileBody(clause)
            emitter.emit(.label(skip))
            emitter.emit(.returnFromClause)
        } else {
            region = .actionList
            try compileBody(clause)
        }
        let index = program.clauses.count
        maximumTemporaries = max(maximumTemporaries, (emitter.temporaryBytes + 7) & ~7)
        maximumRecord = max(maximumRecord, record.size)
        if record.destructive { program.usesDestructiveActions = true }
        program.clauses.append(IRClause(index: index, probes: descriptions, function: emitter.function(),
                                        record: RecordLayout(actions: record.actions, size: record.size, speculatedSize: 16 + record.dataSize), line: clause.line,
                                        variables: clauseVariableTable()))
        program.clauses[index].probeLines = clause.probes.map(\.line)
        program.clauses[index].descriptionAttributes = descriptionAttributes
        program.clauses[index].statementAttributes = statementAttributes ?? .standardDefault
        clauseEmitters.append((emitter, index))
    }

    /// The predicate's value. DTrace cooks a clause's actions before its predicate, so a
    /// variable the actions assign is known to the predicate: when the predicate names a
    /// variable not yet declared, the actions are compiled first for what they declare.
    func predicateValue(_ predicate: Expression, of clause: Clause) throws(Diagnostic) -> Value {
        do { return try rvalue(predicate) } catch {
            guard error.tag == DiagnosticTag.undefinedIdentifier.rawValue, !(clause.statements ?? []).isEmpty else { throw error }
            // Actions that fail too: the predicate's error is the one DTrace names.
            let predicateError = error
            do { try declareFromActions(clause) } catch { throw predicateError }
            emitter.currentAction = 0
            return try rvalue(predicate)
        }
    }

    /// The clause's actions compiled for the variables they declare; their code and
    /// record are thrown away (the clause is compiled again, predicate first).
    func declareFromActions(_ clause: Clause) throws(Diagnostic) {
        let savedRegion = region
        emitter = Emitter()
        record = RecordBuilder()
        clauseOrder = ClauseActionOrder()
        region = .actionList
        try compileBody(clause)
        emitter = Emitter()
        record = RecordBuilder()
        clauseOrder = ClauseActionOrder()
        region = savedRegion
    }

    func compileBody(_ clause: Clause) throws(Diagnostic) {
        var actionNumber = 0
        for statement in clause.statements ?? [] {
            try compileStatement(statement, actionNumber: &actionNumber)
        }
        // A clause records its firing when it has no statements (the default action), when
        // any action stores data, or when it speculates (a committed speculation shows the
        // firing even with no data, as DTrace's does); aggregation-only clauses store nothing.
        if record.storesData || clauseOrder.speculated || (clause.statements ?? []).isEmpty {
            let buffer = emitter.scratchAddress(.record, 0)
            let size = emitter.constant(Int64(record.size))
            emitter.emit(.call(.submitRecord(epid: program.clauses.count + 1), result: nil, arguments: [buffer, size]))
        }
    }

    func compileStatement(_ statement: Statement, actionNumber: inout Int) throws(Diagnostic) {
        switch statement {
        case .empty: break
        case .block(let statements):
            for inner in statements { try compileStatement(inner, actionNumber: &actionNumber) }
        case .declaration(let declaration):
            try declare(declaration, topLevel: false)
        case .ifElse(let condition, let then, let otherwise, let line):
            actionNumber += 1
            emitter.currentAction = actionNumber
            let value = try rvalue(condition)
            guard value.type.isScalar || value.type.isString else {
                throw error(.operandNotScalar, "if-statement condition must be of scalar type", line: line)
            }
            let truth = try truthValue(value, line: line)
            let elseLabel = emitter.label(), endLabel = emitter.label()
            emitter.emit(.branchIfZero(truth, elseLabel))
            for inner in then { try compileStatement(inner, actionNumber: &actionNumber) }
            emitter.emit(.jump(endLabel))
            emitter.emit(.label(elseLabel))
            for inner in otherwise ?? [] { try compileStatement(inner, actionNumber: &actionNumber) }
            emitter.emit(.label(endLabel))
        case .expression(let expression):
            actionNumber += 1
            emitter.currentAction = actionNumber
            try checkMacroArguments(expression)
            try compileExpressionStatement(expression)
        }
    }

    /// DTrace substitutes $N as it reads the text: one that is not defined is the
    /// statement's first error, before any check of what it stands in.
    func checkMacroArguments(_ expression: Expression) throws(Diagnostic) {
        if case .macroArgument(let index, let asString) = expression.kind, index >= options.macroArguments.count, !options.defaultArguments {
            throw undefinedMacroArgument(index, asString: asString, line: expression.line)
        }
        var failure: Diagnostic?
        Compiler.forEachChild(of: expression) { child in
            guard failure == nil else { return }
            do throws(Diagnostic) { try checkMacroArguments(child) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    func compileExpressionStatement(_ expression: Expression) throws(Diagnostic) {
        // A destructive subroutine (copyout()) is ordered around speculate() as an action is.
        if case .call(let name, _) = expression.kind, ClauseActionOrder.destructive.contains(name), options.subroutines[name] != nil {
            try clauseOrder.admit(action: name, line: expression.line)
        }
        switch expression.kind {
        case .call(let name, let arguments) where Actions.isAction(name) || options.actions[name] != nil:
            try clauseOrder.admit(action: name, line: expression.line)
            try compileAction(name, arguments, line: expression.line)
        case .assign(let op, let target, let value) where target.isAggregationReference:
            guard op == "=" else {
                throw error(.aggregationFunction, "operator \(op) cannot be applied to an aggregation", line: expression.line)
            }
            try clauseOrder.admitAggregation(line: expression.line)
            try compileAggregation(target, value, line: expression.line)
        case .aggregation(let name):
            // An aggregation alone does nothing (and one never defined is unknown).
            if aggregations[name] == nil { throw error(.undefinedIdentifier, "failed to resolve @\(name): Unknown aggregation", line: expression.line) }
            throw error(.aggregationNotFunction, "expression has null effect: @\(name)", line: expression.line)
        case .index(let base, _) where base.isAggregationReference:
            if case .aggregation(let name) = base.kind {
                throw error(.aggregationNotFunction, "expression has null effect: @\(name)", line: expression.line)
            }
            _ = try rvalue(expression)
        case .call(let name, _) where options.aggregatingFunctions[name] != nil:
            throw error(.codeGenerationExpression, "aggregating function \(name)( ) may not be called from a D expression (D program context required)", line: expression.line)
        default:
            _ = try rvalue(expression)
        }
    }

    // MARK: probe descriptions

    func probeDescription(_ specifier: ProbeSpecifier) throws(Diagnostic) -> ProbeDescription {
        var text = ""
        var characters = Substring(specifier.text)
        // Expand $N, $$N and $target-style macro variables inside the description.
        while let dollar = characters.firstIndex(of: "$") {
            text += characters[..<dollar]
            var rest = characters[characters.index(after: dollar)...]
            if rest.first == "$" { rest = rest.dropFirst() }
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            guard !name.isEmpty else { text.append("$"); characters = rest; continue }
            if let index = Int(name) {
                referencedMacroArguments.insert(index)
                guard index < options.macroArguments.count else {
                    throw error(.probeDescriptionInvalid, "macro argument $\(index) is not defined", line: specifier.line)
                }
                text += options.macroArguments[index]
            } else if let value = macroVariableValue(String(name)) {
                text += String(value)
            } else {
                throw error(.probeDescriptionInvalid, "macro variable $\(name) is not defined", line: specifier.line)
            }
            characters = rest[name.endIndex...]
        }
        text += characters
        var fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        // As DTrace reads -P, -m, -f and -n text: the fields the kind names, counted from
        // the right; more are allowed only when they are empty (-f ::read: is :read::).
        let named: Int
        switch options.probeSpecifierKind {
        case .provider: named = 1
        case .module: named = 2
        case .function: named = 3
        case .name: named = 4
        }
        if fields.count > named {
            guard fields.dropLast(named).allSatisfy(\.isEmpty) else {
                // Said before compiling, without the region the compiler names.
                throw Diagnostic(.probeDescriptionInvalid, "invalid probe description \"\(specifier.text)\": Overspecified probe description",
                                 line: specifier.line)
            }
            fields = Array(fields.suffix(named))
        }
        var padded = fields
        while padded.count < named { padded.insert("", at: 0) }
        padded += Array(repeating: "", count: 4 - named)
        return ProbeDescription(provider: padded[0], module: padded[1], function: padded[2], name: padded[3])
    }

    func macroVariableValue(_ name: String) -> Int64? {
        switch name {
        case "target": return options.targetProcessID ?? 0     // 0 without -c or -p, as DTrace
        case "pid": return options.processID
        case "ppid": return options.parentProcessID
        case "uid", "euid": return options.userID
        case "gid", "egid": return options.groupID
        case "pgid": return options.processGroupID
        case "sid": return options.sessionID
        case "projid", "taskid": return 0
        default: return nil
        }
    }

    // MARK: constants

    func constantAddress(_ bytes: [UInt8]) -> Register {
        let offset: Int
        if let existing = constantOffsets[bytes] {
            offset = existing
        } else {
            offset = program.constants.count
            program.constants += bytes.prefix(options.stringSize) + [0]
            while program.constants.count % 8 != 0 { program.constants.append(0) }
            constantOffsets[bytes] = offset
        }
        let r = emitter.register()
        emitter.emit(.address(r, .constant, offset: offset))
        return r
    }

    func stringConstant(_ bytes: [UInt8]) -> Value {
        var value = Value(register: constantAddress(bytes), type: .string, space: .constant)
        value.stringBound = bytes.count + 1
        return value
    }
}

