// DTraceLanguage/Expressions: type checking and lowering of D expressions — literals,
// variables of every scope, operators with C's conversions, strings (NULL ones kept and
// compared as DTrace does), pointers, members, subscripts and assignments (which define
// variables on first use).

import DTraceIR

indirect enum LValue {
    case memory(address: Register, type: DType, space: MemorySpace)
    /// A global or clause-local string variable's storage, where a NULL string is kept as
    /// DTrace keeps it: the bytes 0x7f 0 (DT_NULL_STRING), read back as a NULL pointer.
    case stringVariable(address: Register, type: DType, space: MemorySpace)
    case mapEntry(map: Int, key: Register, type: DType)
    /// A bitfield: `bits` bits starting `shift` bits into the byte at `address` (read only).
    case bitField(address: Register, type: DType, space: MemorySpace, shift: Int, bits: Int)
    /// A value computed rather than stored (a translated member): read only.
    case computed(Value)

    var type: DType {
        switch self {
        case .memory(_, let type, _), .stringVariable(_, let type, _), .mapEntry(_, _, let type), .bitField(_, let type, _, _, _): return type
        case .computed(let value): return value.type
        }
    }
}

enum BuiltinVariables {
    static let table: [String: (BuiltinVariable, DType)] = [
        "timestamp": (.timestamp, .uint64), "walltimestamp": (.walltimestamp, .int64), "vtimestamp": (.vtimestamp, .uint64),
        "pid": (.pid, BuiltinTypes.table["pid_t"]!), "ppid": (.ppid, BuiltinTypes.table["pid_t"]!),
        "tid": (.tid, BuiltinTypes.table["id_t"]!), "uid": (.uid, BuiltinTypes.table["uid_t"]!),
        "gid": (.gid, BuiltinTypes.table["gid_t"]!), "cpu": (.cpu, BuiltinTypes.table["processorid_t"]!),
        "id": (.id, .uint), "epid": (.epid, .uint), "errno": (.errno, .int),
        "arg0": (.arg0, .int64), "arg1": (.arg1, .int64), "arg2": (.arg2, .int64), "arg3": (.arg3, .int64),
        "arg4": (.arg4, .int64), "arg5": (.arg5, .int64), "arg6": (.arg6, .int64), "arg7": (.arg7, .int64),
        "arg8": (.arg8, .int64), "arg9": (.arg9, .int64),
        "stackdepth": (.stackdepth, .uint), "ustackdepth": (.ustackdepth, .uint),
        "caller": (.caller, BuiltinTypes.table["uintptr_t"]!), "ucaller": (.ucaller, BuiltinTypes.table["uint64_t"]!),
        "ipl": (.ipl, .uint), "curthread": (.curthread, .voidPointer),
        "execname": (.execname, .string), "probeprov": (.probeprov, .string), "probemod": (.probemod, .string),
        "probefunc": (.probefunc, .string), "probename": (.probename, .string), "zonename": (.zonename, .string),
        "cwd": (.cwd, .string), "root": (.root, .string),
    ]

    static func type(of name: String) -> DType? { table[name]?.1 }
}

extension Expression {
    var isAggregationReference: Bool {
        switch kind {
        case .aggregation: return true
        case .index(let base, _): return base.isAggregationReference   // @a[k] (and @a[k][j], refused later)
        default: return false
        }
    }
}

extension Compiler {
    // MARK: values

    func rvalue(_ expression: Expression) throws(Diagnostic) -> Value {
        let line = expression.line
        switch expression.kind {
        case .integer(let value, let typeName):
            let type = BuiltinTypes.fromKeywords(signedness: typeName.hasPrefix("unsigned") ? false : nil,
                                                  shorts: 0, longs: typeName.split(separator: " ").filter { $0 == "long" }.count,
                                                  char: false, int: true) ?? .long
            let constant = Int64(bitPattern: value)
            return Value(register: emitter.constant(constant), type: type, constant: constant)
        case .character(let value):
            // A character constant is an integer token in D (as in C): int when it fits.
            let type: DType = value >= Int64(Int32.min) && value <= Int64(Int32.max) ? .int : .long
            return Value(register: emitter.constant(value), type: type, constant: value)
        case .string(let bytes):
            return stringConstant(bytes)
        case .identifier(let name):
            return try identifierValue(name, line: line)
        case .macroArgument(let index, let asString):
            return try macroArgument(index, asString: asString, line: line)
        case .macroVariable(let name, let asString):
            guard let value = macroVariableValue(name) else {
                throw error(.undefinedIdentifier, "macro variable $\(name) is not defined", line: line)
            }
            if asString { return stringConstant(Array(String(value).utf8)) }
            return Value(register: emitter.constant(value), type: .int, constant: value)
        case .aggregation(let name):
            throw error(.aggregationScalar, "aggregation @\(name) may not be used as a scalar value", line: line)
        case .threadLocal, .clauseLocal, .index, .member:
            if case .index(let base, let indices) = expression.kind, case .identifier("uregs") = base.kind, globals["uregs"] == nil {
                guard indices.count == 1 else { throw error(.syntax, "uregs[ ] requires one subscript", line: line) }
                // As in Oracle's DTrace: an integer constant naming one of the registers.
                let index = try rvalue(indices[0])
                guard index.type.isInteger, let constant = index.constant else {
                    throw error(.prototypeArgument, "uregs[ ] argument #1 is incompatible with prototype:\n\tprototype: integer constant\n\t argument: \(try describeType(indices[0]))", line: line)
                }
                guard constant >= 0 && constant <= UserRegisters.highestIndex else {
                    throw error(.unknown, "uregs[]: index out of bounds (\(constant))", line: line)
                }
                noteBuiltinUse("uregs")
                return Value(register: emitter.call(.readUserRegister, [index.register]), type: .uint64)
            }
            if case .index(let base, let indices) = expression.kind, case .identifier("args") = base.kind, globals["args"] == nil {
                guard indices.count == 1 else { throw error(.syntax, "args[ ] requires one subscript", line: line) }
                try noteAttributes(argumentAttributes, of: "associative array args", line: line)
                noteBuiltinUse("args")
                if let argument = providerArgument(indices[0]) { return try asProviderArgument { () throws(Diagnostic) in try rvalue(argument) } }
                if !argumentExpressions.isEmpty, case .integer(let value, _) = indices[0].kind {
                    // A probe whose provider types its arguments has that many (DTrace's D_ARGS_IDX).
                    throw error(.argumentIndex, "index \(value) is out of range for \(argumentExpressionsProbe) args[ ]", line: line)
                }
                if argumentExpressions.isEmpty, let count = clauseArgumentCount(), let value = try integerConstant(indices[0]), value < 0 || value >= count {
                    throw error(.argumentIndex, "index \(value) is out of range for \(clauseDescriptions[0].description) args[ ]", line: line)
                }
                let index = try rvalue(indices[0])
                guard index.type.isInteger else {
                    throw error(.prototypeArgument, "args[ ] argument #1 is incompatible with prototype:\n\tprototype: integer constant\n\t argument: \(try describeType(indices[0]))", line: line)
                }
                return Value(register: emitter.call(.readArgument, [index.register]), type: .int64)
            }
            if case .index(let base, _) = expression.kind, case .aggregation(let name) = base.kind {
                throw error(.aggregationScalar, "aggregation @\(name) may not be used as a scalar value", line: line)
            }
            let place = try lvalue(expression, creating: false)
            noteVariableUse(expression, read: true)
            var value = try load(place)
            if let name = Self.variableName(expression) { value.pointsIntoAlloca = allocaPointerVariables.contains(name) }
            return value
        case .unary(let op, let operand):
            return try unary(op, operand, line: line)
        case .postfix(let op, let operand):
            let target = try lvalue(operand, creating: true, valueType: Self.typeDeclaredByIncrement(operand), operator: op)
            noteVariableUse(operand, read: true, written: true)
            let old = try load(target)
            guard old.type.isScalar else { throw error(.operandNotScalar, "operator \(op) requires operand of scalar type", line: line) }
            let one = emitter.constant(old.type.isPointer ? Int64(max(1, old.type.pointee?.size ?? 1)) : 1)
            let new = emitter.register()
            emitter.emit(.arithmetic(op == "++" ? .add : .subtract, new, old.register, one))
            try store(Value(register: new, type: old.type), to: target, line: line)
            return Value(register: old.register, type: old.type)
        case .binary(let op, let left, let right):
            return try binary(op, left, right, line: line)
        case .assign(let op, let target, let value):
            if target.isAggregationReference {
                throw error(.aggregationScalar, "aggregations may only be assigned at the statement level", line: line)
            }
            return try assign(op, target, value, line: line)
        case .conditional(let condition, let then, let otherwise):
            let test = try rvalue(condition)
            if !test.type.isScalar { throw error(.operandNotScalar, "operator ?: expression must be of scalar type", line: line) }
            if isActionCall(then) || isActionCall(otherwise) {
                // DTrace cooks both arms first: an action's own prototype error (or an
                // arm's) comes before this one.
                for arm in [then, otherwise] {
                    if case .call(let name, let arguments) = arm.kind, isActionCall(arm) {
                        try compileAction(name, arguments, line: arm.line)
                    } else {
                        _ = try rvalue(arm)
                    }
                }
                throw error(.operandAction, "action cannot be used in a conditional context", line: line)
            }
            let truth = try truthValue(test, line: line)
            if let constant = test.constant { return try rvalue(constant != 0 ? then : otherwise) }
            let result = emitter.register()
            let elseLabel = emitter.label(), endLabel = emitter.label()
            emitter.emit(.branchIfZero(truth, elseLabel))
            let a = try rvalue(then)
            emitter.emit(.move(result, a.register))
            emitter.emit(.jump(endLabel))
            emitter.emit(.label(elseLabel))
            let b = try rvalue(otherwise)
            emitter.emit(.move(result, b.register))
            emitter.emit(.label(endLabel))
            if a.type.isString != b.type.isString || (!a.type.isString && !(a.type.isScalar && b.type.isScalar)) {
                throw error(.operandsIncompatible, "operands have incompatible types: \"\(a.type)\" : \"\(b.type)\"", line: line)
            }
            let type = a.type.isString ? DType.string : (a.type.isPointer ? a.type : DType.arithmeticResult(a.type, b.type))
            var value = Value(register: result, type: type)
            if type.isString, let first = a.stringBound, let second = b.stringBound { value.stringBound = max(first, second) }
            value.pointsIntoAlloca = a.pointsIntoAlloca
            value.mixesAlloca = a.pointsIntoAlloca != b.pointsIntoAlloca || a.mixesAlloca || b.mixesAlloca
            return value
        case .call(let name, let arguments):
            return try callSubroutine(name, arguments, line: line)
        case .cast(let typeSyntax, let operand):
            let type = try resolveType(typeSyntax, line: line)
            if case .translate(let translated, _) = operand.kind, case .pointer = translated, !type.resolved.isPointer {
                throw error(.castInvalid, "invalid cast expression: \"pointer to translated data\" to \"\(type)\"", line: line)
            }
            let value = try rvalue(operand)
            return try cast(value, to: type, line: line)
        case .sizeofType(let typeSyntax):
            let type = try resolveType(typeSyntax, line: line)
            let size = Int64(type.isString ? options.stringSize : type.size)
            if type.isVoid { throw error(.sizeofType, "cannot apply sizeof to an operand of unknown size", line: line) }
            return Value(register: emitter.constant(size), type: BuiltinTypes.table["size_t"]!, constant: size)
        case .sizeofExpression(let operand):
            let saved = emitter
            if case .member = operand.kind, case .bitField = try lvalue(operand, creating: false) {
                throw error(.sizeofBitField, "cannot apply sizeof to a bit-field", line: line)
            }
            // An inline's size is its value's, before the declared type converts it, as
            // Oracle's DTrace substitutes the expression (NULL, `inline long NULL = 0`
            // there: an int, 4).
            var sized = operand
            if case .identifier(let name) = operand.kind {
                if name == "NULL" && inlines[name] == nil { sized = Expression(.integer(0, typeName: "int"), line: line) }
                else if let (_, expression) = inlines[name] { sized = expression }
            }
            let value = try rvalue(sized)
            emitter = saved
            var size = Int64(value.type.isString ? options.stringSize : value.type.size)
            // A string constant is as long as its text and NUL ("hi": 3), as in DTrace.
            if case .string(let bytes) = operand.kind { size = Int64(bytes.count + 1) }
            return Value(register: emitter.constant(size), type: BuiltinTypes.table["size_t"]!, constant: size)
        case .offsetof(let typeSyntax, let member):
            let type = try resolveType(typeSyntax, line: line)
            guard case .composite(let composite) = type.resolved, composite.isComplete else {
                throw error(.offsetofMember, "offsetof operand must be a struct or union type", line: line)
            }
            guard let field = composite.member(member) else {
                throw error(.unknown, "failed to determine offset of \(member): Member name not found", line: line)
            }
            if composite.bitFields[member] != nil {
                throw error(.offsetofBitField, "cannot take offset of a bit-field: \(member)", line: line)
            }
            return Value(register: emitter.constant(Int64(field.offset)), type: BuiltinTypes.table["size_t"]!, constant: Int64(field.offset))
        case .stringof(let operand):
            let value = try rvalue(operand)
            if let string = asString(value, pointers: true, charactersOnly: false) { return string }
            if value.type.isInteger {
                let buffer = emitter.temporary(stringStorage)
                return Value(register: emitter.call(.integerToString(hasBase: false), [buffer, value.register]), type: .string)
            }
            throw error(.stringofType, "cannot apply stringof to a value of type \(value.type)", line: line)
        case .comma(let first, let second):
            _ = try rvalue(first)
            return try rvalue(second)
        case .translate(let typeSyntax, let operand):
            let type = try resolveType(typeSyntax, line: line)
            let isPointer = type.isPointer
            guard case .composite(let output)? = (isPointer ? type.pointee : type)?.resolved else {
                throw error(.translatorOutput, "translator output type must be a struct or union", line: line)
            }
            let input = try rvalue(operand)
            let built = try materialize(Translation(translator: try translator(to: output, from: input, line: line), input: input), line: line)
            if isPointer {
                var pointer = Value(register: built.register, type: .pointer(built.type))
                pointer.isTranslatedPointer = true
                return pointer
            }
            return built
        }
    }

    /// A value as a D string: strings as they are; arrays (and, with `pointers`, pointers),
    /// of characters only when `charactersOnly`, viewed as one; anything in kernel memory
    /// (a probe's argument record) copied out first. Nil for anything else.
    func asString(_ value: Value, pointers: Bool, charactersOnly: Bool) -> Value? {
        let ofCharacters = !charactersOnly || value.type.pointee?.size == 1
        let viewable = value.type.isString || (value.type.isArray && ofCharacters) || (pointers && value.type.isPointer && ofCharacters)
        guard viewable else { return nil }
        // A char array's string has at most its characters and a NUL (a flexible array,
        // `char name[]`, has no count to go by).
        var bound: Int?
        if case .array(let element, let count) = value.type.resolved, element.size == 1, count > 0 { bound = count + 1 }
        if value.space == .tracee {
            var string = kernelString(value)
            string.stringBound = bound
            return string
        }
        if value.type.isString { return value }
        var string = Value(register: value.register, type: .string, space: value.space)
        string.stringBound = bound
        return string
    }

    /// A string read out of kernel memory (a probe's argument record) into scratch.
    func kernelString(_ value: Value) -> Value {
        let buffer = emitter.temporary(stringStorage)
        return Value(register: emitter.call(.copyInKernelString, [buffer, value.register]), type: .string)
    }

    /// A kernel or user symbol named with its module's backquote (`max_pfn): dtrace does
    /// not resolve data symbols (kallsyms lists them only with CONFIG_KALLSYMS_ALL, and BTF
    /// types only per-CPU variables), so it is unknown, in DTrace's words.
    func unresolvedSymbol(_ name: String, line: Int) -> Diagnostic {
        error(.undefinedIdentifier, "failed to resolve \(name): Unknown symbol name", line: line)
    }

    func identifierValue(_ name: String, line: Int) throws(Diagnostic) -> Value {
        if name.contains("`") { throw unresolvedSymbol(name, line: line) }
        if let input = translatorInputs[name] { return input }
        if let (type, expression) = inlines[name] {
            inlineDepth += 1
            defer { inlineDepth -= 1 }
            if inlineDepth > 64 { throw error(.syntax, "inline \(name) is defined recursively", line: line) }
            let value = try rvalue(expression)
            var typed = try cast(value, to: type, line: line)
            typed.isTranslatedPointer = value.isTranslatedPointer && type.isPointer
            return typed
        }
        if let (value, type) = enumerators[name] {
            return Value(register: emitter.constant(value), type: type, constant: value)
        }
        if let variable = globals[name] {
            if case .associative = variable.storage {
                throw error(.badIdentifier, "associative array '\(name)' may not be referenced as scalar", line: line)
            }
            let variable = Expression(.identifier(name), line: line)
            let place = try lvalue(variable, creating: false)
            noteVariableUse(variable, read: true)
            var value = try load(place)
            value.pointsIntoAlloca = allocaPointerVariables.contains(name)
            return value
        }
        if name == "NULL" {
            return Value(register: emitter.constant(0), type: .voidPointer, constant: 0)
        }
        if name == "args" {
            guard let type = argumentRecordType else {
                // As DTrace refuses it: args is an array (some providers here give it a record).
                throw error(.badIdentifier, "array 'args' may not be referenced as scalar", line: line)
            }
            noteBuiltinUse("args")
            return Value(register: emitter.call(.readBuiltin(.argumentRecord), []), type: type, space: .tracee)
        }
        if name == "curthread" && globals[name] == nil {
            // The running thread's struct task_struct, typed from the kernel's BTF.
            try noteAttributes(.ofBuiltin(name), of: "scalar \(name)", line: line)
            let task = try resolveType(.structure(name: "task_struct", isUnion: false, members: nil), line: line)
            noteBuiltinUse(name)
            return Value(register: emitter.call(.readBuiltin(.curthread), []), type: .pointer(task))
        }
        if let native = try nativeArgument(name) { return native }
        if let (builtin, type) = BuiltinVariables.table[name] {
            try noteAttributes(.ofBuiltin(name), of: "scalar \(name)", line: line)
            noteBuiltinUse(name)
            if builtin.isString {
                let buffer = emitter.temporary(stringStorage)
                var value = Value(register: emitter.call(.readBuiltin(builtin), [buffer]), type: .string)
                if builtin == .execname { value.stringBound = 16 }
                return value
            }
            let raw = emitter.call(.readBuiltin(builtin), [])
            return Value(register: raw, type: type)
        }
        if let register = UserRegisters.names[name] {
            return Value(register: emitter.constant(register), type: .int, constant: register)
        }
        // A name of the D library a script's text did not show it needed: load the rest.
        if try loadRestOfLibrary() { return try identifierValue(name, line: line) }
        throw error(.undefinedIdentifier, "failed to resolve \(name): Unknown variable name", line: line)
    }

    func undefinedMacroArgument(_ index: Int, asString: Bool, line: Int) -> Diagnostic {
        error(.macroUndefined, "macro argument $\(asString ? "$" : "")\(index) is not defined", line: line)
    }

    func macroArgument(_ index: Int, asString: Bool, line: Int) throws(Diagnostic) -> Value {
        referencedMacroArguments.insert(index)
        guard index < options.macroArguments.count else {
            if options.defaultArguments {
                if asString { return stringConstant([]) }
                return Value(register: emitter.constant(0), type: .int, constant: 0)
            }
            throw undefinedMacroArgument(index, asString: asString, line: line)
        }
        let text = options.macroArguments[index]
        if asString { return stringConstant(Array(text.utf8)) }
        if let number = Compiler.parseInteger(text) {
            return Value(register: emitter.constant(number), type: number > Int64(Int32.max) || number < Int64(Int32.min) ? .long : .int, constant: number)
        }
        if let digits = Compiler.integerShapedDigits(text) {
            // A number too big for 64 bits, as DTrace's lexer refuses it.
            throw Diagnostic("D_MACRO_OFLOW", "macro argument $\(index) constant \(digits) results in integer overflow", line: line)
        }
        // A non-numeric argument is substituted as an identifier; anything else (a path,
        // $0's script name) is a string, its enclosing quotes dropped, as Oracle's DTrace.
        let isIdentifier = !text.isEmpty && text.utf8.allSatisfy { Lexer.isIdentifierPart($0) } && !(text.first!.isNumber)
        if isIdentifier { return try identifierValue(text, line: line) }
        var bytes = Array(text.utf8)
        if bytes.count > 1, bytes.first == 0x22, bytes.last == 0x22 { bytes = Array(bytes.dropFirst().dropLast()) }
        return stringConstant(bytes)
    }

    /// The digits of a text written as an integer (a sign, then decimal, octal or 0x hex
    /// digits) whatever its size; nil for any other text.
    static func integerShapedDigits(_ text: String) -> Substring? {
        var body = Substring(text)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        guard let first = body.first, first.isASCII, first.isNumber else { return nil }
        let hex = body.hasPrefix("0x") || body.hasPrefix("0X")
        let digits = hex ? body.dropFirst(2) : body
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && (hex ? $0.isHexDigit : $0.isNumber) }) else { return nil }
        return body
    }

    static func parseInteger(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if body.first == "-" { negative = true; body = body.dropFirst() } else if body.first == "+" { body = body.dropFirst() }
        guard !body.isEmpty else { return nil }
        var value: UInt64?
        if body.hasPrefix("0x") || body.hasPrefix("0X") { value = UInt64(body.dropFirst(2), radix: 16) }
        else if body.count > 1 && body.hasPrefix("0") { value = UInt64(body.dropFirst(), radix: 8) }
        else { value = UInt64(body) }
        guard let value else { return nil }
        let signed = Int64(bitPattern: value)
        return negative ? 0 &- signed : signed
    }

    // MARK: truth, casts

    func truthValue(_ value: Value, line: Int) throws(Diagnostic) -> Register {
        if value.type.isString {
            // A string is true when it is not empty; a NULL string is false.
            guard mayBeNull(value) else { return emitter.call(.stringLength, [value.register]) }
            let truth = emitter.constant(0)
            let done = emitter.label()
            emitter.emit(.branchIfZero(value.register, done))
            emitter.emit(.call(.stringLength, result: truth, arguments: [value.register]))
            emitter.emit(.label(done))
            return truth
        }
        guard value.type.isScalar else { throw error(.operandNotScalar, "operand must be of scalar type", line: line) }
        return value.register
    }

    func cast(_ value: Value, to type: DType, line: Int) throws(Diagnostic) -> Value {
        let target = type.resolved
        if target.isVoid { return Value(register: value.register, type: type) }
        if target.isString {
            guard let string = asString(value, pointers: true, charactersOnly: false) else {
                throw error(.castInvalid, "invalid cast expression: \"\(value.type)\" to \"\(type)\"", line: line)
            }
            return string
        }
        if case .composite(let to) = target, case .composite(let from) = value.type.resolved, to === from {
            return Value(register: value.register, type: type, space: value.space)
        }
        if target.isInteger || target.isPointer {
            guard value.type.isScalar || value.type.isArray || (value.type.isString && target.isPointer) else {
                throw error(.castInvalid, "invalid cast expression: \"\(value.type)\" to \"\(type)\"", line: line)
            }
            if target.isInteger && target.size < 8 {
                let r = emitter.register()
                emitter.emit(.extend(r, value.register, bits: target.size * 8, signed: target.isSigned))
                let constant = value.constant.map { Interpreter.extend($0, bits: target.size * 8, signed: target.isSigned) }
                return Value(register: r, type: type, constant: constant)
            }
            var cast = Value(register: value.register, type: type, constant: value.constant, space: value.space)
            cast.pointsIntoAlloca = value.pointsIntoAlloca && target.isPointer
            return cast
        }
        throw error(.castInvalid, "invalid cast expression: \"\(value.type)\" to \"\(type)\"", line: line)
    }

    /// Normalises a 64-bit result to the width and signedness of its C type.
    func fit(_ register: Register, _ type: DType) -> Register {
        guard type.isInteger, type.size < 8 else { return register }
        let r = emitter.register()
        emitter.emit(.extend(r, register, bits: type.size * 8, signed: type.isSigned))
        return r
    }

    // MARK: operators

    func unary(_ op: String, _ operand: Expression, line: Int) throws(Diagnostic) -> Value {
        switch op {
        case "++", "--":
            // As in DTrace, ++ and -- on a variable not yet assigned declare it an int64_t.
            let target = try lvalue(operand, creating: true, valueType: Self.typeDeclaredByIncrement(operand), operator: op)
            noteVariableUse(operand, read: true, written: true)
            let old = try load(target)
            guard old.type.isScalar else { throw error(.operandNotScalar, "operator \(op) requires operand of scalar type", line: line) }
            let one = emitter.constant(old.type.isPointer ? Int64(max(1, old.type.pointee?.size ?? 1)) : 1)
            let new = emitter.register()
            emitter.emit(.arithmetic(op == "++" ? .add : .subtract, new, old.register, one))
            let result = Value(register: fit(new, old.type), type: old.type)
            try store(result, to: target, line: line)
            return result
        case "&":
            switch operand.kind {
            case .identifier(let name) where name.contains("`"):
                throw unresolvedSymbol(name, line: line)
            case .identifier, .threadLocal, .clauseLocal, .aggregation:
                // D variables live in the engine's maps and buffers: no address to take.
                throw error(.addressOfVariable, "cannot take address of dynamic variable", line: line)
            default: break
            }
            let target: LValue
            do { target = try lvalue(operand, creating: false) } catch {
                // Not an lvalue at all (a constant, a call's result): DTrace's K&R check.
                if error.tag == DiagnosticTag.operandNotLvalue.rawValue { throw self.error(.addressOfLvalue, "unacceptable operand for unary & operator", line: line) }
                throw error
            }
            noteVariableUse(operand, read: true)
            if case .bitField = target { throw error(.addressOfBitField, "cannot take address of bit-field", line: line) }
            guard case .memory(let address, let type, let space) = target else {
                throw error(.addressOfLvalue, "unacceptable operand for unary & operator", line: line)
            }
            var pointer = Value(register: address, type: .pointer(type), space: space)
            // &p[i], &p->m of an alloca() pointer point into alloca() memory too.
            pointer.pointsIntoAlloca = space == .scratch && Self.reachesAlloca(operand, allocaVariables: allocaPointerVariables)
            return pointer
        case "*":
            let value = try rvalue(operand)
            guard let pointee = value.type.pointee else {
                throw error(.dereferenceNonPointer, "cannot dereference non-pointer type", line: line)
            }
            guard !pointee.isVoid else { throw error(.dereferenceVoid, "cannot dereference pointer to void", line: line) }
            checkAllocaAccess(through: value, address: value.register, size: pointee.size)
            return try load(.memory(address: value.register, type: pointee, space: Self.space(reachedThrough: value)))
        default: break
        }
        if isActionCall(operand), op == "-" || op == "+" || op == "~" {
            // An action has no value (void): no arithmetic on it.
            throw error(.operandNotArithmetic, "operator \(op) requires an operand of arithmetic type", line: line)
        }
        let value = try rvalue(operand)
        switch op {
        case "!":
            let truth = try truthValue(value, line: line)
            let r = emitter.register()
            emitter.emit(.unary(.logicalNot, r, truth))
            return Value(register: r, type: .int, constant: value.constant.map { $0 == 0 ? 1 : 0 })
        case "-", "+", "~":
            guard value.type.isInteger else {
                throw error(.operandNotArithmetic, "operator \(op) requires an operand of arithmetic type", line: line)
            }
            // The operand's type, the value computed in 64 bits (DTrace cuts it where stored).
            let type = value.type.rankedOperand
            if op == "+" { return Value(register: value.register, type: type, constant: value.constant) }
            // A negated unsigned constant keeps only its type's bits, as DTrace's parser
            // folds it (-1u is 0xffffffff).
            if op == "-", let constant = value.constant, !type.isSigned, type.size < 8 {
                let folded = (0 &- constant) & Int64(bitPattern: ~UInt64(0) >> UInt64(64 - 8 * max(1, type.size)))
                return Value(register: emitter.constant(folded), type: type, constant: folded)
            }
            let r = emitter.register()
            emitter.emit(.unary(op == "-" ? .negate : .bitwiseNot, r, value.register))
            let constant = value.constant.map { op == "-" ? 0 &- $0 : ~$0 }
            return Value(register: r, type: type, constant: constant)
        default:
            throw error(.syntax, "syntax error near \"\(op)\"", line: line)
        }
    }

    /// The type ++ or -- gives a variable it declares.
    static func typeDeclaredByIncrement(_ operand: Expression) -> DType { .int64 }

    /// Whether an expression calls an action (trace(), printf()...), which has no value.
    func isActionCall(_ expression: Expression) -> Bool {
        guard case .call(let name, _) = expression.kind, options.subroutines[name] == nil else { return false }
        return Actions.isAction(name) || options.actions[name] != nil
    }

    func binary(_ op: String, _ left: Expression, _ right: Expression, line: Int) throws(Diagnostic) -> Value {
        if left.isAggregationReference || right.isAggregationReference {
            throw error(.operandsIncompatible, "operands have incompatible types: \"\(try describeType(left))\" \(op) \"\(try describeType(right))\"", line: line)
        }
        if op == "&&" || op == "||" {
            let a = try rvalue(left)
            if !a.type.isScalar {
                throw error(.operandNotScalar, "operator \(op) requires operands of scalar type", line: line)
            }
            let result = emitter.register()
            let truthA = try truthValue(a, line: line)
            let normalizedA = emitter.register()
            emitter.emit(.compare(.notEqual, normalizedA, truthA, emitter.constant(0)))
            emitter.emit(.move(result, normalizedA))
            let end = emitter.label()
            emitter.emit(op == "&&" ? .branchIfZero(result, end) : .branchIfNotZero(result, end))
            let b = try rvalue(right)
            if !b.type.isScalar {
                throw error(.operandNotScalar, "operator \(op) requires operands of scalar type", line: line)
            }
            let truthB = try truthValue(b, line: line)
            emitter.emit(.compare(.notEqual, result, truthB, emitter.constant(0)))
            emitter.emit(.label(end))
            var constant: Int64?
            if let x = a.constant, let y = b.constant { constant = op == "&&" ? ((x != 0 && y != 0) ? 1 : 0) : ((x != 0 || y != 0) ? 1 : 0) }
            return Value(register: result, type: .int, constant: constant)
        }
        let a = try rvalue(left)
        let b = try rvalue(right)
        return try binaryValues(op, a, b, line: line)
    }

    /// `displayedOperator`: the operator as written when it differs (`+=` computing `+`).
    static func isVoidPointer(_ type: DType) -> Bool {
        if case .pointer(let pointee) = type.resolved { return pointee.isVoid }
        return false
    }

    /// `s + n` (or `n + s`): as in DTrace, a string is a pointer to its first byte, so this is
    /// the string from its byte n on — empty once n passes its end. DTrace would read before
    /// the string for a negative n; here the step stops at its start.
    func stringStep(_ string: Value, by step: Value) -> Value {
        let isNegative = emitter.register(), backOff = emitter.register(), clamped = emitter.register()
        emitter.emit(.compare(.signedLess, isNegative, step.register, emitter.constant(0)))
        emitter.emit(.arithmetic(.multiply, backOff, step.register, isNegative))
        emitter.emit(.arithmetic(.subtract, clamped, step.register, backOff))
        let buffer = emitter.temporary(stringStorage)
        let suffix = emitter.call(.subroutine(SubroutineCall("substr")), [buffer, string.register, clamped])
        return Value(register: suffix, type: .string)
    }

    func binaryValues(_ op: String, _ a: Value, _ b: Value, line: Int, displayedOperator: String? = nil) throws(Diagnostic) -> Value {
        let r = emitter.register()
        if op == "^^" {
            guard a.type.isScalar && b.type.isScalar else {
                throw error(.operandNotScalar, "operator ^^ requires operands of scalar type", line: line)
            }
            let x = try truthValue(a, line: line), y = try truthValue(b, line: line)
            let nx = emitter.register(), ny = emitter.register()
            let zero = emitter.constant(0)
            emitter.emit(.compare(.notEqual, nx, x, zero))
            emitter.emit(.compare(.notEqual, ny, y, zero))
            emitter.emit(.arithmetic(.xor, r, nx, ny))
            return Value(register: r, type: .int)
        }
        if ["==", "!=", "<", "<=", ">", ">="].contains(op) {
            if (a.type.isString && b.constant == 0) || (b.type.isString && a.constant == 0), op == "==" || op == "!=" {
                // A string against NULL: whether it is a null pointer (strtok(), strchr()...
                // return one when they find nothing).
                let string = a.type.isString ? a : b
                emitter.emit(.compare(op == "==" ? .equal : .notEqual, r, string.register, emitter.constant(0)))
                return Value(register: r, type: .int)
            }
            if a.type.isString || b.type.isString {
                // D compares a string with anything string-compatible: char arrays and
                // char pointers (dt_node_is_strcompat).
                if let x = asString(a, pointers: true, charactersOnly: true), let y = asString(b, pointers: true, charactersOnly: true) {
                    return compareStrings(op, x, y)
                }
                guard a.type.isString && b.type.isString else {
                    throw error(.operandsIncompatible, "operands have incompatible types: \"\(a.type)\" \(op) \"\(b.type)\"", line: line)
                }
                return compareStrings(op, a, b)
            }
            guard a.type.isScalar && b.type.isScalar else {
                throw error(.operandsIncompatible, "operands have incompatible types: \"\(a.type)\" \(op) \"\(b.type)\"", line: line)
            }
            let common = (a.type.isInteger && b.type.isInteger) ? DType.arithmeticResult(a.type, b.type) : DType.uint64
            emitter.emit(.compare(Compiler.comparison(op, signed: common.isSigned), r, a.register, b.register))
            var constant: Int64?
            if let x = a.constant, let y = b.constant { constant = Interpreter.compare(Compiler.comparison(op, signed: common.isSigned), x, y) ? 1 : 0 }
            return Value(register: r, type: .int, constant: constant)
        }
        // A void pointer has no size to step by: not a pointer to add to (dt_node_is_vfptr).
        if op == "+" || op == "-", Self.isVoidPointer(a.type) || Self.isVoidPointer(b.type), !(a.type.isString || b.type.isString) {
            throw error(.operandsIncompatible, "operands have incompatible types: \"\(a.type)\" \(displayedOperator ?? op) \"\(b.type)\"", line: line)
        }
        // (Not `+=`: a string does not step a variable, nor a variable a string.)
        if op == "+", displayedOperator == nil, a.type.isString && b.type.isInteger || b.type.isString && a.type.isInteger {
            return stringStep(a.type.isString ? a : b, by: a.type.isString ? b : a)
        }
        // Pointer arithmetic: pointer ± integer scales by the pointee size.
        if (op == "+" || op == "-"), a.type.isPointer || a.type.isArray, b.type.isInteger {
            let scale = Int64(max(1, a.type.pointee?.size ?? 1))
            let scaled = emitter.register()
            emitter.emit(.arithmetic(.multiply, scaled, b.register, emitter.constant(scale)))
            emitter.emit(.arithmetic(op == "+" ? .add : .subtract, r, a.register, scaled))
            let type: DType = a.type.isArray ? .pointer(a.type.pointee!) : a.type
            var result = Value(register: r, type: type, space: a.space)
            result.pointsIntoAlloca = a.pointsIntoAlloca
            return result
        }
        if op == "+", b.type.isPointer, a.type.isInteger { return try binaryValues(op, b, a, line: line) }
        if op == "-", a.type.isPointer, b.type.isPointer {
            emitter.emit(.arithmetic(.subtract, r, a.register, b.register))
            let q = emitter.register()
            emitter.emit(.arithmetic(.signedDivide, q, r, emitter.constant(Int64(max(1, a.type.pointee?.size ?? 1)))))
            return Value(register: q, type: .long)
        }
        guard a.type.isInteger && b.type.isInteger else {
            let shown = displayedOperator ?? op
            if ["&", "|", "^", "<<", ">>", "%"].contains(op) {
                throw error(.operandNotInteger, "operator \(shown) requires operands of integral type", line: line)
            }
            if op == "*" || op == "/" {
                throw error(.operandNotArithmetic, "operator \(shown) requires operands of arithmetic type", line: line)
            }
            throw error(.operandsIncompatible, "operands have incompatible types: \"\(a.type)\" \(shown) \"\(b.type)\"", line: line)
        }
        let type = (op == "<<" || op == ">>") ? a.type.rankedOperand : DType.arithmeticResult(a.type, b.type)
        let signed = type.isSigned
        let arithmetic: ArithmeticOperator
        switch op {
        case "+": arithmetic = .add
        case "-": arithmetic = .subtract
        case "*": arithmetic = .multiply
        case "/": arithmetic = signed ? .signedDivide : .unsignedDivide
        case "%": arithmetic = signed ? .signedRemainder : .unsignedRemainder
        case "&": arithmetic = .and
        case "|": arithmetic = .or
        case "^": arithmetic = .xor
        case "<<": arithmetic = .shiftLeft
        case ">>": arithmetic = signed ? .arithmeticShiftRight : .logicalShiftRight
        default: throw error(.syntax, "syntax error near \"\(op)\"", line: line)
        }
        if (op == "/" || op == "%"), b.constant == 0 {
            throw error(.divideByZero, "expression contains division by zero", line: line)
        }
        // As DTrace: 64-bit registers, operands as loaded (sign- or zero-extended by their
        // types), no cut after the operation — a narrower result is cut where it is stored
        // (a variable, a record, a key).
        let lhs = a.register, rhs = b.register
        if op == "/" || op == "%" { emitter.emit(.checkNonZero(rhs, .divideByZero)) }
        emitter.emit(.arithmetic(arithmetic, r, lhs, rhs))
        var constant: Int64?
        if let x = a.constant, let y = b.constant, let folded = try? Interpreter.arithmetic(arithmetic, x, y) { constant = folded }
        return Value(register: r, type: type, constant: constant)
    }

    /// Two strings compared as DTrace compares them: byte by byte, unless either is a NULL
    /// pointer — then the pointers are (NULL equals NULL only, and is less than any string).
    func compareStrings(_ op: String, _ x: Value, _ y: Value) -> Value {
        let r = emitter.register()
        let pointers = emitter.label(), done = emitter.label()
        let checked = [x, y].filter(mayBeNull)
        for value in checked { emitter.emit(.branchIfZero(value.register, pointers)) }
        let order = emitter.call(.stringCompare, [x.register, y.register])
        emitter.emit(.compare(Compiler.comparison(op, signed: true), r, order, emitter.constant(0)))
        if !checked.isEmpty {
            emitter.emit(.jump(done))
            emitter.emit(.label(pointers))
            emitter.emit(.compare(Compiler.comparison(op, signed: false), r, x.register, y.register))
            emitter.emit(.label(done))
        }
        return Value(register: r, type: .int)
    }

    static func comparison(_ op: String, signed: Bool) -> ComparisonOperator {
        switch op {
        case "==": return .equal
        case "!=": return .notEqual
        case "<": return signed ? .signedLess : .unsignedLess
        case "<=": return signed ? .signedLessOrEqual : .unsignedLessOrEqual
        case ">": return signed ? .signedGreater : .unsignedGreater
        default: return signed ? .signedGreaterOrEqual : .unsignedGreaterOrEqual
        }
    }

    func assign(_ op: String, _ target: Expression, _ valueExpression: Expression, line: Int) throws(Diagnostic) -> Value {
        if op != "=" {
            // A compound assignment reads its variable first: it must have been declared or
            // assigned before (DTrace's D_VAR_UNDEF).
            let undefined: String?
            switch target.kind {
            case .identifier(let name) where globals[name] == nil && inlines[name] == nil && BuiltinVariables.type(of: name) == nil: undefined = name
            case .threadLocal(let name) where threadLocals[name] == nil: undefined = "self->" + name
            case .clauseLocal(let name) where clauseLocals[name] == nil: undefined = "this->" + name
            default: undefined = nil
            }
            if let undefined { throw error(.variableUndefined, "\(undefined) has not yet been declared or assigned", line: line) }
            // As DTrace: the left operand's value is read before the right is evaluated
            // (i += i++ adds the old i).
            let place = try lvalue(target, creating: true, valueType: .int, operator: op)
            noteVariableUse(target, read: true, written: true)
            let old = try load(place)
            let operand = try rvalue(valueExpression)
            // += and -= step a pointer only by an integer, and a void pointer not at all.
            if op == "+=" || op == "-=", !(old.type.isInteger && operand.type.isInteger), !old.type.isString, !operand.type.isString,
               !old.type.isPointer || Self.isVoidPointer(old.type) {
                throw error(.operandVoidPointer, "operator \(op) requires left-hand scalar operand of known size", line: line)
            }
            let value = try binaryValues(String(op.dropLast()), old, operand, line: line, displayedOperator: op)
            try store(value, to: place, line: line)
            return value
        }
        var value = try rvalue(valueExpression)
        // An array (a declared one, a member) is not assigned whole, as in C; a variable
        // created by this assignment takes a char array's value as a string.
        var declaredArray: DType?
        if case .identifier(let name) = target.kind, declaredArrays.contains(name), let type = globals[name]?.type { declaredArray = type }
        let place = try lvalue(target, creating: true, valueType: value.type, operator: op)
        if case .member = target.kind, case .array = place.type.resolved { declaredArray = place.type }
        if let declaredArray {
            throw error(.operandArrayOrFunction, "operator \(op) may not be applied to operand of type \"\(declaredArray)\"", line: line)
        }
        noteVariableUse(target, written: true)
        if let name = Self.variableName(target) { try noteAllocaUse(of: name, value, literal: valueExpression, line: line) }
        try store(value, to: place, line: line)
        return Value(register: value.register, type: place.type, space: value.space)
    }

    // MARK: places

    /// `op`: the operator writing it (=, +=, ++), as the diagnostics name it.
    func lvalue(_ expression: Expression, creating: Bool, valueType: DType? = nil, operator op: String = "=") throws(Diagnostic) -> LValue {
        let line = expression.line
        func inferred() throws(Diagnostic) -> DType {
            guard let valueType else { throw error(.undefinedIdentifier, "failed to resolve \(Compiler.describe(expression)): Unknown variable name", line: line) }
            if valueType.isVoid { throw error(.declarationVoidObject, "cannot have void object: \(Compiler.describe(expression))", line: line) }
            if valueType.isString { return .string }
            if case .array = valueType.resolved { return valueType }
            return valueType
        }
        switch expression.kind {
        case .identifier(let name):
            if name.contains("`") { throw unresolvedSymbol(name, line: line) }
            if BuiltinVariables.table[name] != nil && globals[name] == nil {
                throw error(.operandNotWritable, "operator \(op) can only be applied to a writable variable", line: line)
            }
            if inlines[name] != nil || enumerators[name] != nil {
                throw error(.operandNotLvalue, "operator \(op) requires modifiable lvalue as an operand", line: line)
            }
            var variable = globals[name]
            if variable == nil {
                guard creating else { throw error(.undefinedIdentifier, "failed to resolve \(name): Unknown variable name", line: line) }
                variable = defineGlobal(name, try inferred(), declared: false)
            }
            guard case .global(let offset) = variable!.storage else {
                throw error(.badIdentifier, "associative array '\(name)' may not be referenced as scalar", line: line)
            }
            let address = emitter.register()
            emitter.emit(.address(address, .global, offset: offset))
            if variable!.type.resolved.isString { return .stringVariable(address: address, type: variable!.type, space: .global) }
            return .memory(address: address, type: variable!.type, space: .global)
        case .clauseLocal(let name):
            var variable = clauseLocals[name]
            if variable == nil {
                guard creating else { throw error(.undefinedIdentifier, "failed to resolve this->\(name): Unknown variable name", line: line) }
                variable = defineClauseLocal(name, try inferred(), declared: false)
            }
            guard case .clauseLocal(let offset) = variable!.storage else { throw error(.badIdentifier, "bad this->\(name)", line: line) }
            let address = emitter.scratchAddress(.clauseLocals, offset)
            if variable!.type.resolved.isString { return .stringVariable(address: address, type: variable!.type, space: .scratch) }
            return .memory(address: address, type: variable!.type, space: .scratch)
        case .threadLocal(let name):
            var variable = threadLocals[name]
            if variable == nil, !creating, let forward = forwardThreadLocalTypes[name] {
                // Read before the clause that assigns it: typed from that assignment.
                variable = defineThreadLocal(name, forward, declared: false)
            }
            if variable == nil {
                guard creating else { throw error(.undefinedIdentifier, "failed to resolve self->\(name): Unknown variable name", line: line) }
                variable = defineThreadLocal(name, try inferred(), declared: false)
            }
            guard case .threadLocal(let map) = variable!.storage else { throw error(.badIdentifier, "bad self->\(name)", line: line) }
            let key = emitter.temporary(8)
            let tid = emitter.call(.readBuiltin(.tid), [])
            emitter.emit(.store(base: key, offset: 0, value: tid, width: 8, space: .scratch))
            return .mapEntry(map: map, key: key, type: variable!.type)
        case .index(let base, _) where { if case .clauseLocal(let name) = base.kind { return clauseLocals[name] == nil }; return false }():
            // this->name[key] with no this->name declared: DTrace keeps no clause-local arrays.
            guard case .clauseLocal(let name) = base.kind else { fatalError("unreachable") }
            throw error(.localArray, "local variables may not be used as associative arrays: \(name)", line: line)
        case .index(let base, let indices) where { if case .threadLocal(let name) = base.kind { return threadLocals[name] == nil }; return false }():
            // self->name[key...]: a thread-local associative array, one map keyed by the
            // thread's id and the keys (a self-> variable of array or pointer type is
            // indexed as any array is, below).
            guard case .threadLocal(let name) = base.kind else { fatalError("unreachable") }
            let storageName = "self." + name
            try checkTupleRegisters(indices.count)
            var keyValues: [Value] = [Value(register: emitter.call(.readBuiltin(.tid), []), type: BuiltinTypes.table["int64_t"]!)]
            for index in indices { keyValues.append(try rvalue(index)) }
            try refuseTranslatedKeys(keyValues, from: 1, line: line)
            var variable = globals[storageName]
            if variable == nil, !creating, let forward = forwardThreadLocalArrays[name], forward.keys.count == indices.count {
                // Read before the clause that assigns it: typed from that assignment.
                variable = defineAssociative(storageName, forward.value, keys: [keyValues[0].type] + forward.keys, declared: false, threadLocal: name)
            }
            if variable == nil {
                guard creating, let valueType else { throw error(.undefinedIdentifier, "failed to resolve self->\(name): Unknown variable name", line: line) }
                if threadLocals[name] != nil { throw error(.badIdentifier, "self->\(name) is not an associative array", line: line) }
                for key in keyValues where !Self.isKeyType(key.type) {
                    throw error(.operandNotScalar, "associative array keys must be scalars or strings", line: line)
                }
                variable = defineAssociative(storageName, valueType.isString ? .string : valueType, keys: keyValues.map { $0.type.isString ? .string : $0.type },
                                              declared: false, threadLocal: name)
            }
            guard case .associative(let map, let keyTypes) = variable!.storage else { throw error(.badIdentifier, "bad self->\(name)", line: line) }
            guard keyTypes.count == keyValues.count else {
                throw error(.aggregationDimensions, "self->\(name)[ ] requires \(keyTypes.count - 1) subscript\(keyTypes.count == 2 ? "" : "s")", line: line)
            }
            let key = try buildKey(keyValues, keyTypes: keyTypes, line: line)
            return .mapEntry(map: map, key: key, type: variable!.type)
        case .index(let base, let indices) where { if case .identifier(let name) = base.kind { return globals[name] == nil && inlineArrays[name] != nil }; return false }():
            // An inline with parameters: its value with the parameters bound to the keys.
            guard case .identifier(let name) = base.kind, let inline = inlineArrays[name] else { fatalError("unreachable") }
            if creating { throw error(.operandNotWritable, "operator = requires a writable left-hand operand", line: line) }
            guard indices.count == inline.parameters.count else {
                throw error(.prototypeLength, "\(name)[ ] prototype mismatch: \(indices.count) key\(indices.count == 1 ? "" : "s") passed, \(inline.parameters.count) expected", line: line)
            }
            var bound: [(String, Value)] = []
            for (parameter, index) in zip(inline.parameters, indices) { bound.append((parameter.name, try cast(try rvalue(index), to: parameter.type, line: line))) }
            let saved = translatorInputs
            defer { translatorInputs = saved }
            for (parameter, value) in bound { translatorInputs[parameter] = value }
            inlineDepth += 1
            defer { inlineDepth -= 1 }
            if inlineDepth > 64 { throw error(.syntax, "inline \(name) is defined recursively", line: line) }
            return .computed(try cast(try rvalue(inline.value), to: inline.type, line: line))
        case .index(let base, let indices):
            // A built-in string (execname[0]) is indexed as a string is, not as an array.
            let builtin: Bool = { if case .identifier(let name) = base.kind { return globals[name] == nil && name != "args" && BuiltinVariables.table[name] != nil }; return false }()
            if !builtin, case .identifier(let name) = base.kind, globals[name] == nil || { if case .associative = globals[name]!.storage { return true }; return false }() {
                if name == "args" && globals[name] == nil {
                    throw error(.operandNotWritable, "args[ ] is read-only", line: line)
                }
                try checkTupleRegisters(indices.count)
                var keyValues: [Value] = []
                for index in indices { keyValues.append(try rvalue(index)) }
                try refuseTranslatedKeys(keyValues, line: line)
                var variable = globals[name]
                if variable == nil {
                    guard creating, let valueType else { throw error(.undefinedIdentifier, "failed to resolve \(name): Unknown variable name", line: line) }
                    for key in keyValues where !Self.isKeyType(key.type) {
                        throw error(.operandNotScalar, "associative array keys must be scalars or strings", line: line)
                    }
                    variable = defineAssociative(name, valueType.isString ? .string : valueType, keys: keyValues.map { $0.type.isString ? .string : $0.type },
                                                  declared: false)
                }
                guard case .associative(let map, let keyTypes) = variable!.storage else { throw error(.badIdentifier, "bad \(name)", line: line) }
                guard keyTypes.count == keyValues.count else {
                    throw error(.prototypeLength, "\(name)[ ] prototype mismatch: \(keyValues.count) key\(keyValues.count == 1 ? "" : "s") passed, \(keyTypes.count) expected", line: line)
                }
                let key = try buildKey(keyValues, keyTypes: keyTypes, array: name, line: line)
                return .mapEntry(map: map, key: key, type: variable!.type)
            }
            let array = try rvalue(base)
            guard indices.count == 1 else {
                let name = Self.variableName(base).map { "scalar " + $0 } ?? Compiler.describe(base)
                throw error(.arrayBadReference, "cannot access \(name) as an associative array", line: line)
            }
            let index = try rvalue(indices[0])
            guard index.type.isInteger else { throw error(.operandNotInteger, "array subscript must be an integer", line: line) }
            if array.type.isString {
                // s[i]: the string's i-th character (read-only), within its storage.
                if creating { throw error(.operandNotWritable, "operator = requires a writable left-hand operand", line: line) }
                let address = emitter.register()
                emitter.emit(.arithmetic(.add, address, array.register, index.register))
                emitter.emit(.checkBounds(index.register, limit: Int64(stringStorage), address: address, kind: .badAddress))
                return .memory(address: address, type: .char, space: array.space)
            }
            guard let element = array.type.pointee else {
                throw error(.operandNotPointer, "operator [ ] may not be applied to operand of type \"\(array.type)\"", line: line)
            }
            let scaled = emitter.register()
            emitter.emit(.arithmetic(.multiply, scaled, index.register, emitter.constant(Int64(max(1, element.size)))))
            let address = emitter.register()
            emitter.emit(.arithmetic(.add, address, array.register, scaled))
            if case .array(_, let count) = array.type.resolved, count > 0 {   // [0]: a flexible array member
                // DTrace checks a constant index (unsigned) where the array has 2 or more elements.
                if let constant = index.constant, count > 1, UInt64(bitPattern: constant) >= UInt64(count) {
                    throw error(.arrayBounds, "index outside array bounds: \(UInt64(bitPattern: constant)), max is \(count)", line: line)
                }
                emitter.emit(.checkBounds(index.register, limit: Int64(count), address: address, kind: .badIndex))
            }
            if array.type.isPointer { checkAllocaAccess(through: array, address: address, size: element.size) }
            return .memory(address: address, type: element, space: array.type.isPointer ? Self.space(reachedThrough: array) : array.space)
        case .member(let base, let name, let arrow):
            if let translation = try translatedBase(base, arrow: arrow) {
                return .computed(try translatedMember(translation, name, line: line))
            }
            let value = try rvalue(base)
            var compositeType = value.type
            if arrow {
                guard let pointee = value.type.pointee else {
                    throw error(.operandNotPointer, "operator -> must be applied to a pointer", line: line)
                }
                compositeType = pointee
            }
            guard case .composite(let composite) = compositeType.resolved else {
                if arrow {
                    throw error(.operandNotStructOrUnion, "operator -> cannot be applied to pointer to type \"\(compositeType)\"; must be applied to a struct or union pointer", line: line)
                }
                throw error(.operandNotStructOrUnion, "operator . cannot be applied to type \"\(value.type)\"; must be applied to a struct or union", line: line)
            }
            guard composite.isComplete else {
                throw error(.operandIncomplete, "operator \(arrow ? "->" : ".") cannot be applied to a forward declaration: no \(compositeType.resolved) definition is available", line: line)
            }
            guard let member = composite.member(name) else {
                throw error(.typeMember, "\(name) is not a member of \(compositeType)", line: line)
            }
            let space = arrow ? Self.space(reachedThrough: value) : value.space
            if arrow && space == .tracee && member.offset != 0 {
                // A member of a NULL pointer faults on the pointer (0), as in DTrace.
                let isNull = emitter.register()
                emitter.emit(.compare(.equal, isNull, value.register, emitter.constant(0)))
                emitter.emit(.checkBounds(isNull, limit: 1, address: value.register, kind: .badAddress))
            }
            let address = emitter.register()
            emitter.emit(.arithmetic(.add, address, value.register, emitter.constant(Int64(member.offset))))
            if arrow { checkAllocaAccess(through: value, address: address, size: max(1, member.type.size)) }
            if let field = composite.bitFields[name] {
                return .bitField(address: address, type: member.type, space: space, shift: field.bitOffset % 8, bits: field.bits)
            }
            if let relative = composite.dataLocationMembers[name] {
                // The bytes a __data_loc word locates, as a char array in the record.
                let word = emitter.register(), position = emitter.register(), located = emitter.register()
                emitter.emit(.load(word, base: address, offset: 0, width: 4, space: value.space))
                emitter.emit(.arithmetic(.and, position, word, emitter.constant(0xffff)))
                emitter.emit(.arithmetic(.add, located, relative ? address : value.register, position))
                let start = relative ? emitter.register() : located
                if relative { emitter.emit(.arithmetic(.add, start, located, emitter.constant(4))) }
                return .memory(address: start, type: .array(.char, options.stringSize), space: space)
            }
            return .memory(address: address, type: member.type, space: space)
        case .unary("*", let operand):
            let value = try rvalue(operand)
            guard let pointee = value.type.pointee else {
                throw error(.dereferenceNonPointer, "cannot dereference non-pointer type", line: line)
            }
            guard !pointee.isVoid else { throw error(.dereferenceVoid, "cannot dereference pointer to void", line: line) }
            checkAllocaAccess(through: value, address: value.register, size: pointee.size)
            return .memory(address: value.register, type: pointee, space: Self.space(reachedThrough: value))
        default:
            throw error(.operandNotLvalue, "operator \(op) requires modifiable lvalue as an operand", line: line)
        }
    }

    /// The bytes read and written to reach a bitfield `bits` wide, `shift` bits into its byte.
    static func bitFieldWidth(shift: Int, bits: Int) -> Int { min(CompositeType.bitFieldStorage(bits: shift + bits), 8) }

    /// An access of `size` bytes at `address` through `pointer`, when it points into
    /// alloca() memory: checked at run time against what the clause has allocated.
    func checkAllocaAccess(through pointer: Value, address: Register, size: Int) {
        guard pointer.pointsIntoAlloca else { return }
        emitter.emit(.call(.checkAlloca, result: nil, arguments: [address, emitter.constant(Int64(max(1, size)))]))
    }

    /// Where the bytes a pointer points to lie: kernel memory for a kernel structure
    /// (whatever variable held the pointer), else where the pointer came from.
    static func space(reachedThrough pointer: Value) -> MemorySpace {
        if pointer.pointsIntoAlloca { return .scratch }
        if case .composite(let composite)? = pointer.type.pointee?.resolved, composite.isKernel { return .tracee }
        return pointer.space
    }

    /// A variable assigned `value` (written as `literal`): alloca() pointers and other values
    /// may not share it, nor may a ?: that mixes them be stored, as DTrace checks; a
    /// literal 0 (or NULL) goes with either, and strings are copied, not pointed to.
    func noteAllocaUse(of name: String, _ value: Value, literal: Expression, line: Int) throws(Diagnostic) {
        if value.mixesAlloca {
            throw error(.allocaIncompatible, "ternary conditional with alloca and non-alloca branches cannot be assigned to a variable", line: line)
        }
        if value.type.isString { return }
        let clash = error(.allocaIncompatible, "\(name): cannot reuse the same identifier for both alloca and non-alloca allocations", line: clauseLine)
        if value.pointsIntoAlloca {
            if nonAllocaVariables.contains(name) { throw clash }
            allocaPointerVariables.insert(name)
            return
        }
        switch literal.kind {
        case .integer(0, _), .identifier("NULL"): return
        default: break
        }
        if allocaPointerVariables.contains(name) { throw clash }
        nonAllocaVariables.insert(name)
    }

    /// Whether an lvalue expression (p[i], *p, p->m, s.m of those) is reached through a
    /// variable holding an alloca() pointer, or alloca() itself.
    static func reachesAlloca(_ expression: Expression, allocaVariables: Set<String>) -> Bool {
        switch expression.kind {
        case .index(let base, _): return reachesAlloca(base, allocaVariables: allocaVariables)
        case .unary("*", let operand): return reachesAlloca(operand, allocaVariables: allocaVariables)
        case .member(let base, _, arrow: _): return reachesAlloca(base, allocaVariables: allocaVariables)
        case .cast(_, let operand): return reachesAlloca(operand, allocaVariables: allocaVariables)
        case .call("alloca", _): return true
        default: return variableName(expression).map(allocaVariables.contains) ?? false
        }
    }

    /// A scalar variable's name as D writes it ("p", "self->p", "this->p"); nil otherwise.
    static func variableName(_ expression: Expression) -> String? {
        switch expression.kind {
        case .identifier, .threadLocal, .clauseLocal: return describe(expression)
        default: return nil
        }
    }

    static func describe(_ expression: Expression) -> String {
        switch expression.kind {
        case .identifier(let name): return name
        case .threadLocal(let name): return "self->" + name
        case .clauseLocal(let name): return "this->" + name
        case .aggregation(let name): return "@" + name
        case .index(let base, _): return describe(base) + "[ ]"
        default: return "expression"
        }
    }

    /// Writes a tuple of values into a zeroed key buffer: 8-byte slots for scalars,
    /// string storage for strings.
    /// `companions`: a second 8-byte value stored after a key's first 8 bytes, where its slot
    /// is 16 bytes wide (the process id of a user stack or address).
    /// `array`: the associative array's name, for DTrace's message when a key's type
    /// differs from its first use.
    /// What an associative array (or thread-local array) is keyed by: scalars, strings,
    /// and structs and unions by value.
    static func isKeyType(_ type: DType) -> Bool {
        type.isScalar || type.isString || (type.isComposite && !type.isFloatingPoint)
    }

    /// DTrace assembles a tuple (an array's or aggregation's keys) with its eight tuple
    /// registers, a tenth element finding none: the program is refused, on no line.
    func checkTupleRegisters(_ count: Int) throws(Diagnostic) {
        guard count > Self.tupleRegisters + 1 else { return }
        throw Diagnostic(.unknown, "Insufficient tuple registers to generate code", line: 0)
    }
    static let tupleRegisters = 8

    /// A translated pointer (DTrace's dynamic expression) is no associative array key;
    /// the keys are counted from `first` (after a thread-local's hidden thread ID).
    func refuseTranslatedKeys(_ values: [Value], from first: Int = 0, line: Int) throws(Diagnostic) {
        guard let position = values.indices.dropFirst(first).first(where: { values[$0].isTranslatedPointer }) else { return }
        throw error(.keyType, "\(values[position].type) expression may not be used as associative array index: key #\(position - first + 1)", line: line)
    }

    /// `rawKeys`: positions whose value is the slot's bytes already (direct keys), copied whole.
    /// `room`: bytes left after the key in its buffer (`AggregationDescriptor.keyRoom`).
    func buildKey(_ values: [Value], keyTypes: [DType], widths: [Int]? = nil, companions: [Int: Register] = [:], rawKeys: Set<Int> = [],
                  room: Int = 0, array: String? = nil, line: Int) throws(Diagnostic) -> Register {
        func mismatch(_ position: Int, _ type: DType, _ value: Value) -> Diagnostic {
            guard let array else { return error(.operandsIncompatible, "key types are incompatible: \"\(type)\" and \"\(value.type)\"", line: line) }
            return error(.prototypeArgument, "\(array)[ ] key #\(position + 1) is incompatible with prototype:\n\tprototype: \(type)\n\t      key: \(value.type)", line: line)
        }
        let slotWidths = widths ?? keyTypes.map(keySlotSize)
        let size = max(8, slotWidths.reduce(0, +))
        // A key its expression wrote whole, alone in the key: its buffer is the key.
        if values.count == 1, rawKeys.contains(0), slotWidths[0] == size, keyTypes[0].isString, values[0].type.isString { return values[0].register }
        let key = emitter.temporary(size + room)
        emitter.emit(.call(.zeroBytes, result: nil, arguments: [key, emitter.constant(Int64(size))]))
        var offset = 0
        for (position, (value, type)) in zip(values, keyTypes).enumerated() {
            if type.isString {
                guard value.type.isString else { throw mismatch(position, type, value) }
                let slot = emitter.register()
                emitter.emit(.arithmetic(.add, slot, key, emitter.constant(Int64(offset))))
                let width = slotWidths[position]
                if rawKeys.contains(position) {
                    emitter.emit(.call(.copyBytes, result: nil, arguments: [value.register, slot, emitter.constant(Int64(width))]))
                } else {
                    emitter.emit(.call(width < stringStorage ? .stringCopyBounded(size: width) : .stringCopy, result: nil, arguments: [slot, value.register]))
                }
            } else if type.isComposite {
                // A struct or union: its bytes, as DTrace keys by value.
                guard value.type.isComposite, type.acceptsAssignment(from: value.type) else { throw mismatch(position, type, value) }
                let slot = emitter.register()
                emitter.emit(.arithmetic(.add, slot, key, emitter.constant(Int64(offset))))
                emitter.emit(.call(value.space == .tracee ? .copyInKernel : .copyBytes, result: nil,
                                   arguments: value.space == .tracee ? [slot, value.register, emitter.constant(Int64(type.size))]
                                                                     : [value.register, slot, emitter.constant(Int64(type.size))]))
            } else {
                guard value.type.isScalar else { throw mismatch(position, type, value) }
                let converted = type.isInteger && type.size < 8 ? fit(value.register, type) : value.register
                emitter.emit(.store(base: key, offset: offset, value: converted, width: 8, space: .scratch))
                if let companion = companions[position], slotWidths[position] >= 16 {
                    emitter.emit(.store(base: key, offset: offset + 8, value: companion, width: 8, space: .scratch))
                }
            }
            offset += slotWidths[position]
        }
        return key
    }

    // MARK: loads and stores

    func load(_ place: LValue) throws(Diagnostic) -> Value {
        switch place {
        case .memory(let address, let type, let space):
            return loadTyped(address, type: type, space: space)
        case .stringVariable(let address, let type, let space):
            // DT_NULL_STRING's bytes read as a NULL pointer, anything else as the storage.
            let mark = emitter.register()
            emitter.emit(.load(mark, base: address, offset: 0, width: 2, space: space))
            let isNull = emitter.register()
            emitter.emit(.compare(.equal, isNull, mark, emitter.constant(Self.nullStringMark)))
            let string = emitter.register()
            emitter.emit(.move(string, address))
            let done = emitter.label()
            emitter.emit(.branchIfZero(isNull, done))
            emitter.emit(.constant(string, 0))
            emitter.emit(.label(done))
            return Value(register: string, type: type, space: space)
        case .mapEntry(let map, let key, let type) where type.resolved.isString:
            // A string element that does not exist reads as a NULL pointer, as in DTrace
            // (tracing it faults; comparing it compares pointers).
            let found = emitter.call(.mapLookup(map: map), [key])
            return Value(register: found, type: type, space: .mapValue)
        case .mapEntry(let map, let key, let type):
            let found = emitter.call(.mapLookup(map: map), [key])
            let address = emitter.register()
            emitter.emit(.move(address, found))
            let present = emitter.label()
            emitter.emit(.branchIfNotZero(found, present))
            emitter.emit(.address(address, .mapValue, offset: 0)) // the all-zero default value
            emitter.emit(.label(present))
            return loadTyped(address, type: type, space: .mapValue)
        case .bitField(let address, let type, let space, let shift, let bits):
            // The bytes that hold the field, shifted down and masked (sign-extended when signed).
            let width = Self.bitFieldWidth(shift: shift, bits: bits)
            let word = emitter.register()
            emitter.emit(.load(word, base: address, offset: 0, width: width, space: space))
            var field = word
            if shift != 0 {
                field = emitter.register()
                emitter.emit(.arithmetic(.logicalShiftRight, field, word, emitter.constant(Int64(shift))))
            }
            let result = emitter.register()
            if bits < 64 {
                emitter.emit(.extend(result, field, bits: bits, signed: type.isSigned))
            } else {
                emitter.emit(.move(result, field))
            }
            return Value(register: result, type: type)
        case .computed(let value):
            return value
        }
    }

    func loadTyped(_ address: Register, type: DType, space: MemorySpace) -> Value {
        let resolved = type.resolved
        if resolved.isInteger || resolved.isPointer {
            let size = resolved.isPointer ? 8 : resolved.size
            let r = emitter.register()
            emitter.emit(.load(r, base: address, offset: 0, width: size, space: space))
            if resolved.isInteger && resolved.isSigned && size < 8 {
                let extended = emitter.register()
                emitter.emit(.extend(extended, r, bits: size * 8, signed: true))
                return Value(register: extended, type: type, space: space)
            }
            // A pointer read from kernel memory points into kernel memory.
            return Value(register: r, type: type, space: resolved.isPointer && space != .tracee ? .scratch : space)
        }
        return Value(register: address, type: type, space: space)
    }

    func store(_ value: Value, to place: LValue, line: Int) throws(Diagnostic) {
        let type = place.type
        // As DTrace: a pointer takes no integer but a constant 0, an integer no pointer
        // (a cast says what is meant).
        let pointerFromInteger = type.resolved.isPointer && value.type.resolved.isInteger && value.constant != 0
        let integerFromPointer = type.resolved.isInteger && value.type.resolved.isPointer
        // A string takes a NULL pointer too (NULL or 0, as DTrace's dt_node_is_ptrcompat).
        let nullString = type.resolved.isString && value.constant == 0 && (value.type.resolved.isPointer || value.type.resolved.isInteger)
        // A struct or union in a dynamic variable (an associative array's element, a
        // thread-local) takes 0, which deletes it, as in DTrace.
        var deletesComposite = false
        if case .mapEntry = place, type.isComposite, !type.isFloatingPoint, value.constant == 0, value.type.resolved.isInteger { deletesComposite = true }
        // A char * takes a string: its bytes' address, as DTrace's dt_node_is_ptrcompat().
        let charPointerFromString = value.type.resolved.isString && type.pointee.map { $0.resolved.isInteger && $0.resolved.size == 1 } == true
        guard nullString || deletesComposite || charPointerFromString || type.acceptsAssignment(from: value.type), !pointerFromInteger, !integerFromPointer else {
            throw error(.operandsIncompatible, "operands have incompatible types: \"\(type)\" = \"\(value.type)\"", line: line)
        }
        switch place {
        case .memory(let address, _, let space):
            guard space != .constant && space != .tracee else {
                throw error(.operandNotWritable, "operator = requires a writable left-hand operand", line: line)
            }
            storeTyped(value, at: address, type: type, space: space)
        case .bitField(let address, _, let space, let shift, let bits):
            guard space != .constant && space != .tracee else {
                throw error(.operandNotWritable, "operator = requires a writable left-hand operand", line: line)
            }
            // Read, clear the field's bits, or in the value's low bits, write back.
            let width = Self.bitFieldWidth(shift: shift, bits: bits)
            let word = emitter.register()
            emitter.emit(.load(word, base: address, offset: 0, width: width, space: space))
            let mask: UInt64 = bits >= 64 ? ~0 : (1 << UInt64(bits)) - 1
            let placedMask = emitter.constant(Int64(bitPattern: ~(mask << UInt64(shift))))
            let cleared = emitter.register()
            emitter.emit(.arithmetic(.and, cleared, word, placedMask))
            let field = emitter.register()
            emitter.emit(.arithmetic(.and, field, value.register, emitter.constant(Int64(bitPattern: mask))))
            let placed = emitter.register()
            emitter.emit(.arithmetic(.shiftLeft, placed, field, emitter.constant(Int64(shift))))
            let combined = emitter.register()
            emitter.emit(.arithmetic(.or, combined, cleared, placed))
            emitter.emit(.store(base: address, offset: 0, value: combined, width: width, space: space))
        case .stringVariable(let address, _, let space):
            guard mayBeNull(value) else {
                storeTyped(value, at: address, type: type, space: space)
                return
            }
            // A NULL string is kept as DTrace keeps it: DT_NULL_STRING's bytes.
            if nullString {
                emitter.emit(.store(base: address, offset: 0, value: emitter.constant(Self.nullStringMark), width: 2, space: space))
                return
            }
            let isNull = emitter.label(), done = emitter.label()
            emitter.emit(.branchIfZero(value.register, isNull))
            storeTyped(value, at: address, type: type, space: space)
            emitter.emit(.jump(done))
            emitter.emit(.label(isNull))
            emitter.emit(.store(base: address, offset: 0, value: emitter.constant(Self.nullStringMark), width: 2, space: space))
            emitter.emit(.label(done))
        case .computed:
            throw error(.operandNotWritable, "operator = requires a writable left-hand operand", line: line)
        case .mapEntry(let map, let key, _):
            let end = emitter.label()
            if nullString || deletesComposite {
                // Assigning NULL (0 to a struct) deletes the element, as in DTrace.
                emitter.emit(.call(.mapDelete(map: map), result: nil, arguments: [key]))
                return
            }
            if type.isScalar || (type.resolved.isString && mayBeNull(value)) {
                // Assigning zero (a NULL string) deletes the element, as in DTrace.
                let nonZero = emitter.label()
                emitter.emit(.branchIfNotZero(value.register, nonZero))
                emitter.emit(.call(.mapDelete(map: map), result: nil, arguments: [key]))
                emitter.emit(.jump(end))
                emitter.emit(.label(nonZero))
            }
            let slot = emitter.call(.mapLookupOrCreate(map: map), [key])
            // Map full: a dynamic-variable drop, which ends the clause as in DTrace.
            let created = emitter.label()
            emitter.emit(.branchIfNotZero(slot, created))
            emitter.emit(.returnFromClause)
            emitter.emit(.label(created))
            storeTyped(value, at: slot, type: type, space: .mapValue)
            emitter.emit(.label(end))
        }
    }

    /// The first two bytes of a string variable holding a NULL string (DTrace's
    /// DT_NULL_STRING: 0x7f, then 0), read as a little-endian 16-bit word.
    static let nullStringMark: Int64 = 0x007f

    /// Whether a string (or char pointer) may be a NULL pointer — strchr() finding
    /// nothing, a variable holding one, an element that does not exist — rather than a
    /// buffer's address: a literal, a variable's storage, a helper's destination.
    func mayBeNull(_ value: Value) -> Bool {
        if let constant = value.constant { return constant == 0 }
        var defined = false
        for instruction in emitter.instructions {
            switch instruction {
            case .address(let r, _, _) where r == value.register: defined = true
            case .call(let helper, let r?, _) where r == value.register && helper.returnsDestination: defined = true
            default:
                if instruction.writtenRegister == value.register { return true }
            }
        }
        return !defined
    }

    func storeTyped(_ value: Value, at address: Register, type: DType, space: MemorySpace) {
        let resolved = type.resolved
        if resolved.isString {
            emitter.emit(.call(.stringCopy, result: nil, arguments: [address, value.register]))
        } else if resolved.isInteger || resolved.isPointer {
            emitter.emit(.store(base: address, offset: 0, value: value.register, width: resolved.isPointer ? 8 : resolved.size, space: space))
        } else {
            emitter.emit(.call(.copyBytes, result: nil, arguments: [value.register, address, emitter.constant(Int64(resolved.size))]))
        }
    }
}

