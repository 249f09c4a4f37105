// DTraceLanguage/Declarations: type names to types, and declarations (globals, self->
// and this-> variables, associative arrays, typedefs, inline constants, struct/union/
// enum definitions) to variables with storage.

import DTraceIR

extension Compiler {
    func resolveType(_ syntax: TypeSyntax, line: Int) throws(Diagnostic) -> DType {
        switch syntax {
        case .void: return .void
        case .string: return .string
        case .keywords(let signedness, let shorts, let longs, let char, let int, _):
            guard let type = BuiltinTypes.fromKeywords(signedness: signedness, shorts: shorts, longs: longs, char: char, int: int) else {
                if shorts > 0 && longs > 0 {
                    // DTrace names the type from its words and finds no such type.
                    var words = signedness.map { $0 ? "signed " : "unsigned " } ?? ""
                    words += String(repeating: "short ", count: shorts) + (longs > 1 ? "long long " : "long ") + (int ? "int" : "")
                    throw error(.unknown, "failed to resolve type \(words): Unknown type name", line: line)
                }
                throw error(.declarationCombination, "invalid type combination", line: line)
            }
            return type
        case .floating(let name):
            if let existing = composites[name] { return .composite(existing) }
            // No arithmetic on it (D has none for floating point): an opaque type of its size.
            let opaque = CompositeType(name: name, isUnion: false)
            opaque.size = name == "float" ? 4 : name == "double" ? 8 : 16
            opaque.alignment = min(opaque.size, 16)
            opaque.isComplete = true
            opaque.isFloatingPoint = true
            composites[name] = opaque
            return .composite(opaque)
        case .named(let name):
            if let type = typedefs[name] { return type }
            if let type = BuiltinTypes.table[name] { return type }
            if let type = options.kernelTypes?.kernelType(named: name) { return type }
            if try loadRestOfLibrary() { return try resolveType(syntax, line: line) }
            throw error(.typeUnknown, "failed to resolve type \(name)", line: line)
        case .pointer(let target): return .pointer(try resolveType(target, line: line))
        case .array(let element, let size):
            let elementType = try resolveType(element, line: line)
            guard let size else { throw error(.declarationArraySubscript, "array declaration requires a size", line: line) }
            return .array(elementType, try arraySize(size, line: line))
        case .structure(let name, let isUnion, let members):
            let key = (isUnion ? "union " : "struct ") + (name ?? "")
            // Scoped by its module, as DTrace names types: D`s (the program's own) or a
            // kernel module's (vmlinux`task_struct).
            if members == nil, let name, let mark = name.lastIndex(of: "`") {
                let module = name[..<mark]
                let bareKey = (isUnion ? "union " : "struct ") + name[name.index(after: mark)...]
                if module == "D", let existing = composites[bareKey], existing.isComplete { return .composite(existing) }
                if module != "D", case .composite(let kernel)? = options.kernelTypes?.kernelType(named: bareKey).map(\.resolved) {
                    return .composite(kernel)
                }
                throw error(.typeUnknown, "failed to resolve type \(key)", line: line)
            }
            if let members {
                if let name, let existing = composites[key], existing.isComplete {
                    _ = name
                    throw error(.declarationTypeRedeclared, "type redeclared: \(key)", line: line)
                }
                let composite = composites[key] ?? CompositeType(name: name ?? "<anon>", isUnion: isUnion)
                // Known by its name while its members are read (a member may refer to it).
                if name != nil { composites[key] = composite }
                compositesBeingDefined.insert(ObjectIdentifier(composite))
                defer { compositesBeingDefined.remove(ObjectIdentifier(composite)) }
                for (memberType, declarators) in members {
                    let base = try resolveType(memberType, line: line)
                    for declarator in declarators {
                        if let width = declarator.bitWidth {
                            try addBitField(declarator, width: width, base: base, to: composite)
                            continue
                        }
                        let type = try applyDeclarator(base, declarator)
                        if type.isVoid || declarator.isFunction {
                            throw error(.declarationVoidObject, "cannot have void member: \(declarator.name)", line: declarator.line)
                        }
                        if case .composite(let member) = type.resolved, !member.isComplete {
                            // One being defined reads as what it is; a forward declaration as a
                            // struct, union or not (as DTrace prints them).
                            let kind = member.isUnion && compositesBeingDefined.contains(ObjectIdentifier(member)) ? "union" : "struct"
                            throw error(.structIncomplete, "incomplete struct/union/enum \(kind) \(member.name): \(declarator.name)", line: declarator.line)
                        }
                        if composite.member(declarator.name) != nil {
                            throw error(.unknown, "failed to define member '\(declarator.name)': Duplicate member or variable name", line: declarator.line)
                        }
                        composite.addMember(declarator.name, type)
                    }
                }
                composite.finish()
                if name != nil { composites[key] = composite }
                return .composite(composite)
            }
            guard let name else { throw error(.typeUnknown, "anonymous \(isUnion ? "union" : "struct") has no members", line: line) }
            if let existing = composites[key] { return .composite(existing) }
            if loadingLibrary, let kernelTypes = options.kernelTypes {
                let deferred = kernelTypes.deferredType(named: key)
                composites[key] = deferred
                return .composite(deferred)
            }
            if case .composite(let kernel)? = options.kernelTypes?.kernelType(named: key).map(\.resolved) {
                composites[key] = kernel
                return .composite(kernel)
            }
            let forward = CompositeType(name: name, isUnion: isUnion)
            composites[key] = forward
            return .composite(forward)
        case .enumeration(let name, let values):
            if let values {
                if let name, let existing = enumerations[name], !existing.values.isEmpty {
                    throw error(.declarationTypeRedeclared, "type redeclared: enum \(name)", line: line)
                }
                let enumeration = EnumType(name: name ?? "<anon>")
                var next: Int64 = 0
                for (enumerator, valueExpression, enumeratorLine) in values {
                    if let valueExpression {
                        guard let constant = try integerConstant(valueExpression) else {
                            throw error(.enumeratorConstant, "enumerator '\(enumerator)' must be assigned to an integral constant expression", line: enumeratorLine)
                        }
                        next = constant
                    }
                    guard next >= Int64(Int32.min) && next <= Int64(Int32.max) else {
                        throw error(.enumeratorOverflow, "enumerator '\(enumerator)' value overflows INT_MAX (2147483647)", line: enumeratorLine)
                    }
                    if enumeration.values.contains(where: { $0.0 == enumerator }) {
                        throw error(.unknown, "failed to define enumerator '\(enumerator)': Duplicate member or variable name", line: enumeratorLine)
                    }
                    if enumerators[enumerator] != nil || globals[enumerator] != nil {
                        throw error(.declarationRedefined, "identifier redeclared: \(enumerator)", line: enumeratorLine)
                    }
                    enumeration.values.append((enumerator, next))
                    enumerators[enumerator] = (next, .enumeration(enumeration))
                    next += 1
                }
                if let name { enumerations[name] = enumeration }
                return .enumeration(enumeration)
            }
            if let name, enumerations[name] == nil, case .enumeration(let kernel)? = options.kernelTypes?.kernelType(named: "enum " + name).map(\.resolved) {
                enumerations[name] = kernel
            }
            guard let name, let existing = enumerations[name] else {
                throw error(.typeUnknown, "failed to resolve type enum \(name ?? "")", line: line)
            }
            return .enumeration(existing)
        }
    }

    /// A bit-field member (`int a : 3`), checked as DTrace checks one: an integer or enum
    /// type, a positive constant width no wider than the type.
    func addBitField(_ declarator: Declarator, width: Expression, base: DType, to composite: CompositeType) throws(Diagnostic) {
        let name = declarator.name.isEmpty ? "(anon)" : declarator.name
        let type = try applyDeclarator(base, declarator)
        let bitsOfType: Int
        switch type.resolved {
        case .integer(_, let size, _): bitsOfType = size * 8
        case .enumeration: bitsOfType = 32
        default: throw error(.bitFieldType, "invalid type for bit-field: \(name)", line: declarator.line)
        }
        guard let bits = try integerConstant(width), bits > 0 else {
            throw error(.bitFieldConstant, "positive integral constant expression expected as bit-field size", line: declarator.line)
        }
        guard bits <= Int64(bitsOfType) else { throw error(.bitFieldSize, "bit-field too big for type: \(name)", line: declarator.line) }
        if !declarator.name.isEmpty, composite.member(declarator.name) != nil {
            throw error(.unknown, "failed to define member '\(declarator.name)': Duplicate member or variable name", line: declarator.line)
        }
        composite.addBitField(declarator.name, type, bits: Int(bits))
    }

    func arraySize(_ expression: Expression, line: Int) throws(Diagnostic) -> Int {
        let size = try constantInteger(expression)
        guard size > 0 else {
            throw error(.declarationArraySubscript, "positive integral constant expression or tuple signature expected as array declaration subscript", line: line)
        }
        // DTrace's bound is UINT_MAX elements; the engines' maps hold far fewer.
        guard size <= 1 << 20 else { throw error(.declarationArrayTooBig, "array dimension too big", line: line) }
        return Int(size)
    }

    /// Evaluates an integer constant expression at compile time.
    func constantInteger(_ expression: Expression) throws(Diagnostic) -> Int64 {
        guard let constant = try integerConstant(expression) else {
            throw error(.operandNotInteger, "expression must be an integer constant", line: expression.line)
        }
        return constant
    }

    /// The expression's value when it is an integer constant (nil otherwise), emitting no
    /// code; errors in the expression itself are thrown.
    func integerConstant(_ expression: Expression) throws(Diagnostic) -> Int64? {
        try typedIntegerConstant(expression)?.value
    }

    /// The expression's value and whether its type is signed, when it is an integer
    /// constant (nil otherwise), emitting no code.
    func typedIntegerConstant(_ expression: Expression) throws(Diagnostic) -> (value: Int64, signed: Bool)? {
        let saved = emitter
        defer { emitter = saved }
        let value = try rvalue(expression)
        guard value.type.isInteger, let constant = value.constant else { return nil }
        return (constant, value.type.isSigned)
    }

    /// What a global name already is, as DTrace describes it when an inline would take it
    /// ("scalar inline", "function ", "array "...); nil when it is free.
    func previousDefinitionKind(_ name: String) -> String? {
        if inlines[name] != nil { return "scalar inline" }
        if inlineArrays[name] != nil { return "array inline" }
        if options.subroutines[name] != nil || options.aggregatingFunctions[name] != nil || Actions.isAction(name) { return "function " }
        if let global = globals[name] {
            if case .associative = global.storage { return "array " }
            return "scalar "
        }
        if BuiltinVariables.type(of: name) != nil { return "scalar " }
        return nil
    }

    /// The declarator with only the dimensions `keep` accepts (its name, stars, line kept).
    static func trimmed(_ declarator: Declarator, keeping keep: (Declarator.ArraySuffix) -> Bool) -> Declarator {
        var copy = Declarator(name: declarator.name, pointerDepth: declarator.pointerDepth, suffixes: declarator.suffixes.filter(keep), line: declarator.line)
        copy.functionPointerDepth = declarator.functionPointerDepth
        return copy
    }

    func applyDeclarator(_ base: DType, _ declarator: Declarator) throws(Diagnostic) -> DType {
        var type = base
        for _ in 0..<declarator.pointerDepth { type = .pointer(type) }
        if declarator.functionPointerDepth > 0 {
            type = .voidPointer
            for _ in 1..<declarator.functionPointerDepth { type = .pointer(type) }
        }
        for suffix in declarator.suffixes.reversed() {
            if case .size(let size) = suffix {
                guard let size else { throw error(.declarationArrayNull, "array declaration requires array dimension or tuple signature: \(declarator.name)", line: declarator.line) }
                type = .array(type, try arraySize(size, line: declarator.line))
            }
        }
        return type
    }

    func declare(_ declaration: Declaration, topLevel: Bool) throws(Diagnostic) {
        let base = try resolveType(declaration.type, line: declaration.line)
        for declarator in declaration.declarators {
            let name = declarator.name
            let line = declarator.line
            if name.contains("`") {
                throw error(.declarationScope, "D scoping operator may not be used in a declaration name (\(name))", line: line)
            }
            // A function, or an object defined elsewhere (`extern`): declared, not stored.
            if declarator.isFunction && declaration.storage != .typedef { continue }
            if declaration.storage == .extern {
                _ = try applyDeclarator(base, Self.trimmed(declarator) { if case .size(_?) = $0 { return true }; return false })
                continue
            }
            if declaration.storage == .this, declarator.suffixes.contains(where: { if case .keys = $0 { return true }; return false }) {
                throw error(.declarationLocalAssociative, "associative arrays may not be declared as local variables: \(name)", line: line)
            }
            if declaration.storage == .typedef {
                if typedefs[name] != nil && !loadingLibrary { throw error(.declarationRedefined, "typedef redeclared: \(name)", line: line) }
                typedefs[name] = .alias(name, try applyDeclarator(base, declarator))
                continue
            }
            if declaration.storage == .inline {
                guard let initializer = declaration.initializer else {
                    throw error(.syntax, "inline \(name) requires a value", line: line)
                }
                if !loadingLibrary, let previous = previousDefinitionKind(name) {
                    throw error(.declarationRedefined, "identifier redefined: \(name)\n\t current: inline definition\n\tprevious: \(previous)", line: line)
                }
                if let keys = declarator.suffixes.compactMap({ suffix -> [TypeSyntax]? in if case .keys(let keys) = suffix { return keys }; return nil }).first {
                    // An inline with parameters, used as an associative array.
                    guard declarator.keyNames.count == keys.count, declarator.keyNames.allSatisfy({ $0 != nil }) else {
                        throw error(.syntax, "inline \(name) parameters require names", line: line)
                    }
                    var parameters: [(name: String, type: DType)] = []
                    for (key, parameter) in zip(keys, declarator.keyNames) { parameters.append((parameter!, try resolveType(key, line: line))) }
                    let type = try applyDeclarator(base, Self.trimmed(declarator) { if case .size = $0 { return true }; return false })
                    inlineArrays[name] = (type, initializer, parameters)
                    continue
                }
                let type = try applyDeclarator(base, declarator)
                if !loadingLibrary { try checkInlineDefinition(name, type, initializer, line: line) }
                inlines[name] = (type, initializer)
                continue
            }
            let keys: [TypeSyntax]? = declarator.suffixes.compactMap { suffix -> [TypeSyntax]? in
                if case .keys(let keys) = suffix { return keys }
                return nil
            }.first
            var type = try applyDeclarator(base, Self.trimmed(declarator) { if case .size = $0 { return true }; return false })
            if type.isVoid { throw error(.declarationVoidObject, "cannot have void object: \(name)", line: line) }
            if case .composite(let composite) = type.resolved, !composite.isComplete {
                throw error(.structIncomplete, "incomplete struct/union/enum \(type): \(name)", line: line)
            }
            switch declaration.storage {
            case .self:
                if threadLocals[name] != nil { throw error(.declarationRedefined, "identifier redeclared: self->\(name)", line: line) }
                _ = defineThreadLocal(name, type, declared: true)
            case .this:
                if clauseLocals[name] != nil { throw error(.declarationRedefined, "identifier redeclared: this->\(name)", line: line) }
                _ = defineClauseLocal(name, type, declared: true)
            default:
                // The language's own names (of the version asked for) are taken.
                let languageName = BuiltinVariables.type(of: name) != nil || options.subroutines[name] != nil
                    || options.aggregatingFunctions[name] != nil || Actions.isAction(name)
                if globals[name] != nil || (languageName && languageVersion.has(name)) {
                    throw error(.declarationRedefined, "identifier redeclared: \(name)", line: line)
                }
                if let keys {
                    var keyTypes: [DType] = []
                    for (position, key) in keys.enumerated() {
                        let keyType = try resolveType(key, line: line)
                        if keyType.isVoid {
                            throw error(.prototypeType, "array prototype may not use parameter of type \(keyType): (anonymous), parameter #\(position + 1)", line: line)
                        }
                        keyTypes.append(keyType)
                    }
                    _ = defineAssociative(name, type, keys: keyTypes, declared: true)
                } else {
                    if type.isString { type = .string }
                    if case .array = type.resolved { declaredArrays.insert(name) }
                    _ = defineGlobal(name, type, declared: true)
                }
            }
        }
    }

    func storageSize(_ type: DType) -> Int {
        if type.isString { return stringStorage }
        return max(type.size, 1)
    }

    /// The define functions make a variable a declaration names (`declared`) or its first
    /// assignment (or ++) makes, with its storage here and its place in `-S`'s tables.
    func defineGlobal(_ name: String, _ type: DType, declared: Bool) -> Variable {
        let alignment = max(type.alignment, type.isString ? 8 : 1)
        let offset = (program.globalSize + alignment - 1) / alignment * alignment
        program.globalSize = offset + storageSize(type)
        let variable = Variable(name: name, type: type, storage: .global(offset: offset),
                                listed: listedVariable(name, kind: .scalar, scope: .global, type: type, declared: declared))
        globals[name] = variable
        return variable
    }

    func defineClauseLocal(_ name: String, _ type: DType, declared: Bool) -> Variable {
        let alignment = max(type.alignment, 8)
        let offset = (clauseLocalBytes + alignment - 1) / alignment * alignment
        clauseLocalBytes = offset + storageSize(type)
        let variable = Variable(name: name, type: type, storage: .clauseLocal(offset: offset),
                                listed: listedVariable(name, kind: .scalar, scope: .clauseLocal, type: type, declared: declared))
        clauseLocals[name] = variable
        return variable
    }

    func defineThreadLocal(_ name: String, _ type: DType, declared: Bool) -> Variable {
        let map = program.maps.count
        program.maps.append(MapDescriptor(id: map, name: "self->" + name, kind: .threadLocal, keySize: 8, valueSize: storageSize(type)))
        let variable = Variable(name: name, type: type, storage: .threadLocal(map: map),
                                listed: listedVariable(name, kind: .scalar, scope: .threadLocal, type: type, declared: declared))
        threadLocals[name] = variable
        return variable
    }

    /// `threadLocal`: the `self->` name of a thread-local associative array (kept in
    /// `globals` as `name`, "self.NAME", its keys led by the thread's id).
    func defineAssociative(_ name: String, _ type: DType, keys: [DType], declared: Bool, threadLocal: String? = nil) -> Variable {
        let map = program.maps.count
        let keySize = keys.reduce(0) { $0 + keySlotSize($1) }
        program.maps.append(MapDescriptor(id: map, name: name, kind: .associativeArray, keySize: max(keySize, 8), valueSize: storageSize(type)))
        let listed = listedVariable(threadLocal ?? name, kind: .associativeArray, scope: threadLocal == nil ? .global : .threadLocal, type: type, declared: declared)
        let variable = Variable(name: name, type: type, storage: .associative(map: map, keys: keys), listed: listed)
        globals[name] = variable
        return variable
    }

    /// Each key of a tuple occupies a slot: 8 bytes for scalars, string storage for strings.
    func keySlotSize(_ type: DType) -> Int {
        if type.isString { return stringStorage }
        if type.isScalar { return 8 }
        return (max(type.size, 1) + 7) & ~7
    }
}

extension Compiler {
    /// An inline's value is typed where it is defined, as DTrace cooks it there: a name it
    /// uses must already be known (itself included), and a string is not a number's value.
    /// Other problems are named where the inline is used.
    func checkInlineDefinition(_ name: String, _ type: DType, _ initializer: Expression, line: Int) throws(Diagnostic) {
        let saved = emitter
        defer { emitter = saved }
        let value: Value
        do { value = try rvalue(initializer) } catch {
            if error.tag == DiagnosticTag.undefinedIdentifier.rawValue { throw error }
            return
        }
        let wantsString = type.isString || (type.isArray && type.pointee?.size == 1) || (type.isPointer && type.pointee?.size == 1)
        if value.type.isString && !wantsString || type.isString && !value.type.isString {
            throw error(.operandsIncompatible, "inline \(name) definition uses incompatible types: \"\(type)\" = \"\(value.type)\"", line: line)
        }
    }
}
