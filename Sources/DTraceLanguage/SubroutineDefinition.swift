// DTraceLanguage/SubroutineDefinition: how the compiler meets a subroutine of the D library
// it does not know itself. A `SubroutineDefinition` (one per subroutine or small family, in
// DTraceLibrary) checks the call against its prototype and emits its IR through
// `SubroutineArguments`, which gives it the call's arguments already checked and typed
// as the compiler checks every call (D_PROTO_LEN, D_PROTO_ARG) and nothing more.

import DTraceIR

public protocol SubroutineDefinition: Sendable {
    /// The D names it answers to (strchr and strrchr are one family).
    var names: [String] { get }
    /// Checks the call `arguments.name(...)` and emits it; the value and its D type.
    func compile(_ arguments: SubroutineArguments) throws(Diagnostic) -> SubroutineResult
}

/// A subroutine call's value.
public struct SubroutineResult {
    public var register: Register
    public var type: DType
    /// The value points into alloca() space (alloca's own).
    public var pointsIntoAlloca = false
    /// A string result's most bytes with its NUL, when the subroutine knows it.
    public var stringBound: Int?
    public init(register: Register, type: DType) { self.register = register; self.type = type }
}

/// One call of a library subroutine, as its definition sees it.
public struct SubroutineArguments {
    let compiler: Compiler
    public let name: String
    let expressions: [Expression]
    public let line: Int

    /// How many arguments the call has.
    public var count: Int { expressions.count }

    /// Refuses a call whose argument count is outside `range` (D_PROTO_LEN).
    public func expect(_ range: ClosedRange<Int>) throws(Diagnostic) {
        try compiler.checkCount(name, expressions, range, line: line)
    }

    /// Argument `index` as a string (D_PROTO_ARG otherwise): the register addressing it.
    public func string(_ index: Int) throws(Diagnostic) -> Register {
        try compiler.stringArgument(name, expressions, index, line: line).register
    }

    /// Argument `index` as an integer (or pointer) of the prototype's type.
    public func integer(_ index: Int, prototype: String = "int") throws(Diagnostic) -> Register {
        try compiler.integerArgument(name, expressions, index, line: line, prototype: prototype).register
    }

    /// Argument `index` as an address of D's memory for a `void *` parameter: a string or
    /// array stands for its bytes, a scalar for itself (D_PROTO_ARG otherwise).
    public func address(_ index: Int, prototype: String = "void *") throws(Diagnostic) -> Register {
        let value = try compiler.rvalue(expressions[index])
        if value.type.isScalar { return value.register }
        if value.type.isString || value.type.isArray, let bytes = compiler.asString(value, pointers: false, charactersOnly: false) {
            return bytes.register
        }
        throw compiler.argumentMismatch(name, index + 1, prototype: prototype, argument: value.type, line: line)
    }

    /// Argument `index` as a pointer to `count` bytes (a multiple of 4) the subroutine reads
    /// itself: bytes in kernel memory (`&((struct iphdr *)p)->saddr`) are copied into
    /// scratch first, with probe reads, and the copy is passed.
    /// With `pointee`, the argument must point to the composite type of that name (or be
    /// a void pointer or the constant 0), as the prototype says. An array passes its
    /// address, as in C.
    public func pointer(_ index: Int, prototype: String, bytes count: Int, pointee: String? = nil) throws(Diagnostic) -> Register {
        let value: Value
        if expressions[index].isAggregationReference {
            value = try compiler.integerArgument(name, expressions, index, line: line, prototype: prototype)
        } else {
            value = try compiler.rvalue(expressions[index])
            guard value.type.isScalar || value.type.isArray else {
                throw compiler.argumentMismatch(name, index + 1, prototype: prototype, argument: value.type, line: line)
            }
        }
        if let pointee, !Self.pointsTo(value, pointee) {
            throw compiler.argumentMismatch(name, index + 1, prototype: prototype, argument: value.type, line: line)
        }
        guard value.space == .tracee else { return value.register }
        let copy = compiler.emitter.temporary((count + 7) & ~7)
        var offset = 0
        while offset < count {
            let width = count - offset >= 8 ? 8 : 4
            let word = compiler.emitter.register()
            compiler.emitter.emit(.load(word, base: value.register, offset: offset, width: width, space: .tracee))
            compiler.emitter.emit(.store(base: copy, offset: offset, value: word, width: width, space: .scratch))
            offset += width
        }
        return copy
    }

    /// Argument `index` as a pointer to the composite type `pointee` names ("mutex" for
    /// struct mutex), a void pointer or the constant 0 (D_PROTO_ARG otherwise, naming
    /// `prototype`): the register holding the address.
    public func compositePointer(_ index: Int, pointee: String, prototype: String) throws(Diagnostic) -> Register {
        let value = try compiler.rvalue(expressions[index])
        guard Self.pointsTo(value, pointee) else { throw compiler.argumentMismatch(name, index + 1, prototype: prototype, argument: value.type, line: line) }
        return value.register
    }

    /// A pointer to the composite type named `pointee`, a void pointer, or the constant 0.
    static func pointsTo(_ value: Value, _ pointee: String) -> Bool {
        if value.constant == 0 && value.type.isScalar { return true }
        guard case .pointer(let target) = value.type.resolved else { return false }
        switch target.resolved {
        case .void: return true
        case .composite(let composite): return composite.name == pointee
        default: return false
        }
    }

    /// Argument `index` as an integer constant (D_PROTO_ARG otherwise, naming the
    /// prototype "integer constant").
    public func integerConstant(_ index: Int) throws(Diagnostic) -> Int64 {
        let value = try compiler.rvalue(expressions[index])
        guard let constant = value.constant, value.type.isInteger else {
            throw compiler.argumentMismatch(name, index + 1, prototype: "integer constant", argument: value.type, line: line)
        }
        return constant
    }

    /// The kernel's type by its C name ("struct mutex"), from its BTF; nil without one.
    public func kernelType(named typeName: String) -> DType? { compiler.options.kernelTypes?.kernelType(named: typeName) }

    /// Argument `index`'s value when it is an integer constant (an inline such as AF_INET).
    public func constantValue(_ index: Int) -> Int64? {
        let saved = compiler.emitter
        defer { compiler.emitter = saved }
        return (try? compiler.rvalue(expressions[index]))?.constant
    }

    /// Whether argument `index` is the constant 0 or NULL (strtok's "go on").
    public func isNull(_ index: Int) -> Bool {
        switch expressions[index].kind {
        case .integer(0, _), .identifier("NULL"): return true
        default: return false
        }
    }

    /// The subroutine is destructive (copyout): dtrace refuses it without -w.
    public func markDestructive() { compiler.record.destructive = true }

    public func constant(_ value: Int64) -> Register { compiler.emitter.constant(value) }

    /// An allocation of a constant size (argument `index`) must fit the scratch space the
    /// scratchsize option gives (DTrace's D_ALLOCA_SIZE; the size read unsigned).
    public func checkScratchSize(_ index: Int) throws(Diagnostic) {
        guard let size = constantValue(index).map({ UInt64(bitPattern: $0) }), case let limit = compiler.allocaLimit, size > UInt64(limit) else { return }
        throw compiler.error(.allocaSize, "alloca(\(size)) size larger than scratchsize \(limit)", line: line)
    }
    public func register() -> Register { compiler.emitter.register() }
    public func emit(_ instruction: Instruction) { compiler.emitter.emit(instruction) }

    /// Calls a helper; the value has type `type`.
    public func call(_ helper: Helper, _ registers: [Register], type: DType) -> SubroutineResult {
        SubroutineResult(register: compiler.emitter.call(helper, registers), type: type)
    }

    /// Calls a helper writing a string into a fresh strsize buffer (its first argument).
    public func stringResult(_ helper: Helper, _ registers: [Register]) -> SubroutineResult {
        let buffer = compiler.emitter.temporary(compiler.stringStorage)
        return SubroutineResult(register: compiler.emitter.call(helper, [buffer] + registers), type: .string)
    }

    /// Calls the library subroutine `call` (its runtime parts registered under its name).
    public func callSubroutine(_ call: SubroutineCall, _ registers: [Register], type: DType) -> SubroutineResult {
        self.call(.subroutine(call), registers, type: type)
    }

    public func stringSubroutine(_ call: SubroutineCall, _ registers: [Register]) -> SubroutineResult {
        stringResult(.subroutine(call), registers)
    }

    /// A named type of D's (size_t, uint16_t...).
    public static func type(_ name: String) -> DType { BuiltinTypes.table[name]! }
}
