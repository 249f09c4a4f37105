// DTraceLanguage/Translators: D's translators — `translator psinfo_t < struct task_struct
// *T > { pr_pid = T->tgid; ... };` and the xlate operator. A member of a translated value
// (`xlate<psinfo_t *>(curthread)->pr_pid`, `curpsinfo->pr_fname`, a provider's `args[0]`)
// compiles only that member's expression, with the input bound to its name, as DTrace
// does; any other use of a translated value builds the whole output struct in scratch.
// A script's translators are checked where they are defined; the library's (psinfo_t,
// bufinfo_t...) only when a script first translates to their output type, so a script
// that uses none never reads the kernel's types.

import DTraceIR

/// A translator the compiler knows: its output struct, input type and member definitions.
struct TranslatorDefinition {
    var output: CompositeType
    var input: DType
    var inputName: String
    var members: [(name: String, value: Expression, line: Int)]
}

/// A translated value not yet built: the translator and its input.
struct Translation {
    var translator: TranslatorDefinition
    var input: Value
}

extension Compiler {
    // MARK: definitions

    /// A script's translator: checked now, as DTrace checks it where it is defined.
    func defineTranslator(_ syntax: TranslatorSyntax) throws(Diagnostic) {
        let definition = try resolveTranslator(syntax)
        // The library's translators to the same type count (DTrace's exact lookup finds them).
        try loadLibraryTranslators(for: definition.output, line: syntax.endLine)
        if translators.contains(where: { $0.output === definition.output && $0.input == definition.input }) {
            throw error(.translatorRedeclared, "translator from \(definition.input) to \(DType.composite(definition.output)) has already been declared", line: syntax.endLine)
        }
        for member in syntax.members {
            guard let field = definition.output.member(member.name) else {
                throw error(.translatorMember, "translator member \(member.name) is not a member of \(DType.composite(definition.output))", line: syntax.endLine)
            }
            // Type-check the member's expression with a stand-in input, emitting nothing.
            let saved = emitter
            defer { emitter = saved }
            let value = try withTranslatorInput(definition, Value(register: emitter.register(), type: definition.input)) { () throws(Diagnostic) in
                try rvalue(member.value)
            }
            if !Self.translatorMemberAccepts(field.type, value.type) {
                throw error(.translatorIncompatible, "translator member \(member.name) definition uses incompatible types: \"\(field.type)\" = \"\(value.type)\"", line: syntax.endLine)
            }
        }
        translators.append(definition)
    }

    func resolveTranslator(_ syntax: TranslatorSyntax) throws(Diagnostic) -> TranslatorDefinition {
        let output = try resolveType(syntax.output, line: syntax.endLine)
        guard case .composite(let composite) = output.resolved else {
            throw error(.translatorOutput, "translator output type must be a struct or union", line: syntax.endLine)
        }
        guard composite.isComplete else {
            throw error(.translatorOutput, "incomplete struct/union/enum \(output.resolved)", line: syntax.endLine)
        }
        let input = try resolveType(syntax.input, line: syntax.endLine)
        return TranslatorDefinition(output: composite, input: input, inputName: syntax.inputName, members: syntax.members)
    }

    /// Whether a member of type `member` may be defined by a value of type `value`
    /// (strings and char arrays fill char arrays).
    static func translatorMemberAccepts(_ member: DType, _ value: DType) -> Bool {
        if case .array(let element, _) = member.resolved, element.size == 1, element.isInteger {
            if value.isString { return true }
            if case .array(let other, _) = value.resolved, other.size == 1 { return true }
        }
        if member.isPointer { return value.isPointer || value.isArray || (value.isString && member.pointee?.size == 1) }
        if member.isInteger { return value.isInteger }
        return member.acceptsAssignment(from: value)
    }

    func withTranslatorInput<T>(_ translator: TranslatorDefinition, _ input: Value, _ body: () throws(Diagnostic) -> T) throws(Diagnostic) -> T {
        let saved = translatorInputs[translator.inputName]
        translatorInputs[translator.inputName] = input
        defer { translatorInputs[translator.inputName] = saved }
        return try body()
    }

    // MARK: xlate

    /// The translator from `input` to `output`: one whose input type is the value's own,
    /// else one that accepts it.
    func translator(to output: CompositeType, from input: Value, line: Int) throws(Diagnostic) -> TranslatorDefinition {
        try loadLibraryTranslators(for: output, line: line)
        let candidates = translators.filter { $0.output === output }
        if let exact = candidates.first(where: { $0.input.resolved == input.type.resolved || $0.input.description == input.type.description }) { return exact }
        if let accepting = candidates.first(where: { $0.input.acceptsAssignment(from: input.type) && (input.type.isPointer == $0.input.isPointer) }) { return accepting }
        throw error(.translatorNone, "cannot translate from \"\(input.type)\" to \"\(DType.composite(output))\"", line: line)
    }

    /// The library's translators to `output`, resolved the first time one is wanted.
    func loadLibraryTranslators(for output: CompositeType, line: Int) throws(Diagnostic) {
        guard !libraryTranslators.isEmpty else { return }
        var remaining: [TranslatorSyntax] = []
        for syntax in libraryTranslators {
            guard case .composite(let composite)? = try? resolveType(syntax.output, line: line).resolved, composite === output else {
                remaining.append(syntax)
                continue
            }
            translators.append(try resolveTranslator(syntax))
        }
        libraryTranslators = remaining
    }

    /// When `base` (the left of `.` or `->`) is a translated value — an xlate, an inline
    /// that is one, `*` of one — its translator and input, evaluated; nil otherwise.
    func translatedBase(_ base: Expression, arrow: Bool) throws(Diagnostic) -> Translation? {
        switch base.kind {
        case .translate(let typeSyntax, let operand):
            let type = try resolveType(typeSyntax, line: base.line)
            let outputType = arrow ? type.pointee : type
            guard let outputType, case .composite(let output) = outputType.resolved else { return nil }
            let input = try rvalue(operand)
            return Translation(translator: try translator(to: output, from: input, line: base.line), input: input)
        case .identifier(let name) where translatorInputs[name] == nil && globals[name] == nil:
            guard let (type, expression) = inlines[name], type.isPointer == arrow else { return nil }
            inlineDepth += 1
            defer { inlineDepth -= 1 }
            if inlineDepth > 64 { throw error(.syntax, "inline \(name) is defined recursively", line: base.line) }
            return try translatedBase(expression, arrow: arrow)
        case .unary("*", let operand) where !arrow:
            return try translatedBase(operand, arrow: true)
        case .index(let array, let indices) where { if case .identifier(let name) = array.kind { return globals[name] == nil && inlineArrays[name] != nil }; return false }():
            // An inline with parameters whose value is a translation (fds[fd]): its
            // translator, the input evaluated with the parameters bound to the keys.
            guard case .identifier(let name) = array.kind, let inline = inlineArrays[name], inline.type.isPointer == arrow,
                  indices.count == inline.parameters.count else { return nil }
            var bound: [(String, Value)] = []
            for (parameter, index) in zip(inline.parameters, indices) { bound.append((parameter.name, try cast(try rvalue(index), to: parameter.type, line: base.line))) }
            let saved = translatorInputs
            defer { translatorInputs = saved }
            for (parameter, value) in bound { translatorInputs[parameter] = value }
            inlineDepth += 1
            defer { inlineDepth -= 1 }
            if inlineDepth > 64 { throw error(.syntax, "inline \(name) is defined recursively", line: base.line) }
            return try translatedBase(inline.value, arrow: arrow)
        case .index(let array, let indices):
            guard case .identifier("args") = array.kind, globals["args"] == nil, indices.count == 1,
                  let argument = providerArgument(indices[0]) else { return nil }
            noteBuiltinUse("args")
            return try asProviderArgument { () throws(Diagnostic) in try translatedBase(argument, arrow: arrow) }
        default:
            return nil
        }
    }

    /// How many arguments every probe of the clause has, where their providers say.
    func clauseArgumentCount() -> Int? {
        guard let resolve = options.argumentCount, !clauseDescriptions.isEmpty else { return nil }
        let counts = clauseDescriptions.map(resolve)
        guard let first = counts.first ?? nil, counts.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    /// `args[N]` (N a constant) of probes whose provider says what their arguments are in
    /// D (a `bufinfo_t *` translated from the kernel's `struct request *`): that expression.
    /// argN of a probe whose provider defines its arguments (proc, sched, io...): the
    /// argument as DTrace's provider passes it — the value args[N] is (proc:::exit's reason),
    /// or for a translated one, what it is translated from — rather than the tracepoint's
    /// own N-th argument. Inside the provider's definitions, argN is the tracepoint's.
    func nativeArgument(_ name: String) throws(Diagnostic) -> Value? {
        guard !readingProviderArguments, name.hasPrefix("arg"), let index = Int(name.dropFirst(3)), index >= 0, index < 10,
              index < argumentExpressions.count, globals[name] == nil else { return nil }
        var expression = argumentExpressions[index]
        if case .translate(_, let input) = expression.kind { expression = input }
        let value = try asProviderArgument { () throws(Diagnostic) in try rvalue(expression) }
        guard value.type.isScalar else { return nil }
        return try cast(value, to: .int64, line: expression.line)
    }

    /// Compiles a provider's argument definition (argN in it is the tracepoint's).
    func asProviderArgument<T>(_ body: () throws(Diagnostic) -> T) throws(Diagnostic) -> T {
        let outer = readingProviderArguments
        readingProviderArguments = true
        defer { readingProviderArguments = outer }
        return try body()
    }

    func providerArgument(_ index: Expression) -> Expression? {
        guard case .integer(let value, _) = index.kind, value < UInt64(argumentExpressions.count) else { return nil }
        return argumentExpressions[Int(value)]
    }

    /// One member of a translated value: its definition compiled with the input bound.
    func translatedMember(_ translation: Translation, _ name: String, line: Int) throws(Diagnostic) -> Value {
        let output = translation.translator.output
        // What the translator does not convert (a member of the output type or not).
        guard let definition = translation.translator.members.last(where: { $0.name == name }) else {
            throw error(.translatorNoConversion, "translator does not define conversion for member: \(name)", line: line)
        }
        guard let field = output.member(name) else {
            throw error(.typeMember, "\(name) is not a member of \(DType.composite(output))", line: line)
        }
        // A translator's definitions are the library's: argN in them is the tracepoint's.
        let value = try withTranslatorInput(translation.translator, translation.input) { () throws(Diagnostic) in
            try asProviderArgument { () throws(Diagnostic) in try rvalue(definition.value) }
        }
        if field.type.isInteger || field.type.isPointer, value.type.isScalar {
            return try cast(value, to: field.type, line: line)
        }
        // A char array member (pr_fname, pr_psargs) is the string it holds, cut to the array.
        if case .array(let element, let count) = field.type.resolved, element.size == 1,
           let string = asString(value, pointers: false, charactersOnly: true) {
            guard count > 0, count <= options.stringSize else { return string }
            let buffer = emitter.temporary(stringStorage)
            emitter.emit(.call(.zeroBytes, result: nil, arguments: [buffer, emitter.constant(Int64(stringStorage))]))
            emitter.emit(.call(.stringCopyBounded(size: count), result: nil, arguments: [buffer, string.register]))
            return Value(register: buffer, type: field.type)
        }
        return value
    }

    /// The whole output struct of a translation, built in scratch: every member the
    /// translator defines, the others zero.
    func materialize(_ translation: Translation, line: Int) throws(Diagnostic) -> Value {
        let output = translation.translator.output
        let buffer = emitter.temporary((output.size + 7) & ~7)
        emitter.emit(.call(.zeroBytes, result: nil, arguments: [buffer, emitter.constant(Int64((output.size + 7) & ~7))]))
        var defined = Set<String>()
        for definition in translation.translator.members.reversed() where defined.insert(definition.name).inserted {
            guard let field = output.member(definition.name) else { continue }
            let value = try translatedMember(translation, definition.name, line: line)
            let address = emitter.register()
            emitter.emit(.arithmetic(.add, address, buffer, emitter.constant(Int64(field.offset))))
            if case .array(let element, let count) = field.type.resolved, element.size == 1 {
                // Characters: the string (from wherever it lies) cut to the array.
                guard let string = asString(value, pointers: false, charactersOnly: false) else { continue }
                emitter.emit(.call(.stringCopyBounded(size: count), result: nil, arguments: [address, string.register]))
            } else if field.type.isInteger || field.type.isPointer {
                storeTyped(value, at: address, type: field.type, space: .scratch)
            } else if case .composite = field.type.resolved, value.type.resolved == field.type.resolved, value.space != .tracee {
                storeTyped(value, at: address, type: field.type, space: .scratch)
            }
        }
        return Value(register: buffer, type: .composite(output))
    }
}
