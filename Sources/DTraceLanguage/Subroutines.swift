// DTraceLanguage/Subroutines: how the compiler meets a subroutine of the D library it
// does not know itself. A `SubroutineDefinition` (one per subroutine or small family, in
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
    public init(register: Register, type: DType) { self.register = register; self.type = type }
}

/// One call of a library subroutine, as its definition sees it.
public struct SubroutineArguments {
    let compiler: Compiler
    public let name: String
    let expressions: [Expression]
    let line: Int

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

    /// Whether argument `index` is the constant 0 or NULL (strtok's "go on").
    public func isNull(_ index: Int) -> Bool {
        switch expressions[index].kind {
        case .integer(0, _), .identifier("NULL"): return true
        default: return false
        }
    }

    public func constant(_ value: Int64) -> Register { compiler.emitter.constant(value) }
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

/// An aggregating function of the D library (count, sum, quantize...): checks the call
/// `@a[...] = name(...)` against its prototype and says what the aggregation keeps.
public protocol AggregatingFunctionDefinition: Sendable {
    var names: [String] { get }
    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall
}

/// What an aggregation's update passes: the function with its parameters, the value and
/// the increment (1 unless the call gives one).
public struct AggregationCall {
    public var function: AggregatingFunction
    public var value: Register
    public var increment: Register
    public init(function: AggregatingFunction, value: Register, increment: Register) {
        self.function = function; self.value = value; self.increment = increment
    }
}

/// One call of an aggregating function, as its definition sees it.
public struct AggregationArguments {
    let arguments: SubroutineArguments

    public var name: String { arguments.name }
    public var count: Int { arguments.count }
    public func expect(_ range: ClosedRange<Int>) throws(Diagnostic) { try arguments.expect(range) }
    public func integer(_ index: Int, prototype: String = "int") throws(Diagnostic) -> Register { try arguments.integer(index, prototype: prototype) }
    public func constant(_ value: Int64) -> Register { arguments.constant(value) }

    /// Argument `index` as an integer constant (D_<NAME>_ARG otherwise).
    public func constantParameter(_ index: Int) throws(Diagnostic) -> Int64 {
        let compiler = arguments.compiler
        let saved = compiler.emitter
        defer { compiler.emitter = saved }
        let parameter = try compiler.rvalue(arguments.expressions[index])
        guard let constant = parameter.constant, parameter.type.isInteger else {
            throw compiler.error(.prototypeArgument, "\(name)( ) argument #\(index + 1) must be an integer constant", line: arguments.line)
                .tagged("D_" + name.uppercased() + "_ARG")
        }
        return constant
    }

    /// A prototype error with DTrace's tag (D_LQUANT_STEP...).
    public func error(_ message: String, tag: String) -> Diagnostic {
        arguments.compiler.error(.prototypeArgument, message, line: arguments.line).tagged(tag)
    }
}

/// An action of the D library (trace, printf, printa, exit, clear...): checks the call and
/// emits it — the record fields it stores and the `ActionOutput` the consumer runs on them,
/// and any helper call it makes when the probe fires.
public protocol ActionDefinition: Sendable {
    var names: [String] { get }
    func compile(_ call: ActionArguments) throws(Diagnostic)
}

/// A value an action's argument evaluated to.
public struct ActionValue {
    public var register: Register
    public var type: DType
    /// Its value when the compiler knows it.
    public var constant: Int64?
    let value: Value
}

/// One call of an action, as its definition sees it: the arguments checked and typed as
/// every call is, and the clause's record to add fields and an output to.
public struct ActionArguments {
    let compiler: Compiler
    public let name: String
    let expressions: [Expression]
    let line: Int

    public var count: Int { expressions.count }
    public func expect(_ range: ClosedRange<Int>) throws(Diagnostic) { try compiler.checkCount(name, expressions, range, line: line) }

    /// Argument `index` evaluated, whatever its type.
    public func value(_ index: Int) throws(Diagnostic) -> ActionValue { wrap(try compiler.rvalue(expressions[index])) }
    /// Argument `index` as an integer (or pointer) of the prototype's type.
    public func integer(_ index: Int, prototype: String = "int") throws(Diagnostic) -> ActionValue {
        wrap(try compiler.integerArgument(name, expressions, index, line: line, prototype: prototype))
    }
    /// Argument `index` when it is a string literal (setopt's), else D_PROTO_ARG.
    public func stringLiteral(_ index: Int) throws(Diagnostic) -> String {
        guard case .string(let bytes) = expressions[index].kind else {
            throw compiler.argumentMismatch(name, index + 1, prototype: "string constant", argument: (try? compiler.rvalue(expressions[index]).type) ?? .void, line: line)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    /// Whether argument `index` is a string literal.
    public func isStringLiteral(_ index: Int) -> Bool { if case .string = expressions[index].kind { return true }; return false }
    /// Argument `index` as a printf format (checked, and kept in the program): its index and parsed form.
    public func format(_ index: Int) throws(Diagnostic) -> (index: Int, format: PrintfFormat) { try compiler.formatIndex(expressions[index], name: name, line: line) }
    /// Argument `index` as an aggregation (@name), counted from 1 as `position` in messages: its id.
    public func aggregation(_ index: Int, position: Int) throws(Diagnostic) -> Int {
        try compiler.aggregationArgument(name, expressions[index], index: position, line: line).id
    }
    /// stack(n) / ustack(n): the frames to show.
    public func stackFrames() throws(Diagnostic) -> Int { try compiler.stackFrames(name, expressions, line: line) }

    /// Starts a record action: its presence flag (set when the action runs).
    public func beginAction() -> Int { compiler.beginAction() }
    /// Stores a value into the record; the field describing it.
    public func recordField(_ value: ActionValue) -> RecordField { compiler.recordField(value.value, line: line) }
    /// A value narrowed to int, as exit() records its status.
    public func recordInt(_ value: ActionValue) -> RecordField {
        compiler.recordField(Value(register: compiler.fit(value.register, .int), type: .int), line: line)
    }
    /// A 64-bit value stored into the record as uint64_t.
    public func recordUnsigned(_ register: Register) -> RecordField { compiler.recordField(Value(register: register, type: .uint64), line: line) }
    /// A 64-bit value stored into the record as int64_t.
    public func recordInt64(_ register: Register) -> RecordField { compiler.recordField(Value(register: register, type: .int64), line: line) }
    /// A user stack's id or a user address, stored with the current process id.
    public func recordWithProcess(_ register: Register, as type: ValueType) -> RecordField { compiler.recordWithProcess(register, as: type) }
    /// Reserves `size` bytes of the record: their offset and an address register.
    public func reserve(_ size: Int) -> (offset: Int, address: Register) {
        let offset = compiler.record.reserve(size)
        return (offset, compiler.emitter.scratchAddress(.record, offset))
    }
    /// Adds the action to the clause's record. `storesData`: it records data (speculate()
    /// must come before any that does).
    public func addAction(_ output: any ActionOutput, fields: [RecordField], presence: Int, storesData: Bool = true) {
        compiler.record.actions.append(RecordAction(output: output, fields: fields, presenceOffset: presence))
        if storesData { compiler.record.storesData = true }
    }
    /// Whether an earlier action of the clause recorded data.
    public var clauseStoresData: Bool { compiler.record.storesData }
    /// The action is destructive: dtrace refuses it without -w.
    public func markDestructive() { compiler.record.destructive = true }
    /// The program records stacks (the kernel engine creates its stack map).
    public func markUsesStacks() { compiler.program.usesStacks = true }

    public func constant(_ value: Int64) -> Register { compiler.emitter.constant(value) }
    public func emit(_ instruction: Instruction) { compiler.emitter.emit(instruction) }
    public func call(_ helper: Helper, _ registers: [Register]) -> Register { compiler.emitter.call(helper, registers) }
    public func printType(of type: DType) -> PrintType { Compiler.printType(type) }

    /// An error at this call, with a tag when DTrace gives one (D_ACT_SPEC...).
    public func error(_ kind: DiagnosticTag, _ message: String, tag: String? = nil) -> Diagnostic {
        let diagnostic = compiler.error(kind, message, line: line)
        return tag.map { diagnostic.tagged($0) } ?? diagnostic
    }

    /// printf()'s check of the arguments against the format's conversions.
    public func checkFormatArguments(_ format: PrintfFormat, _ values: [ActionValue]) throws(Diagnostic) {
        try compiler.checkFormatArguments(name, format, values.map(\.value), line: line)
    }

    func wrap(_ value: Value) -> ActionValue { ActionValue(register: value.register, type: value.type, constant: value.constant, value: value) }
}
