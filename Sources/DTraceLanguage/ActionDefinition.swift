// DTraceLanguage/ActionDefinition: how the compiler meets an action of the D library: the
// definition checks the call through `ActionArguments` (values, string literals, formats,
// aggregations) and builds the clause's record — presence flag, fields, the output the
// consumer runs — or emits the helper call it makes when the probe fires.

import DTraceText
import DTraceIR

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
    /// Whether it points into alloca() memory (DTrace's DT_NF_ALLOCA).
    public var pointsIntoAlloca: Bool { value.pointsIntoAlloca }
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
            let type = (try? compiler.rvalue(expressions[index]).type) ?? .void
            throw compiler.argumentMismatch(name, index + 1, prototype: type.isString ? "string constant" : "char *", argument: type, line: line)
        }
        return RawText.string(bytes)
    }
    /// Whether argument `index` is a string literal.
    public func isStringLiteral(_ index: Int) -> Bool { if case .string = expressions[index].kind { return true }; return false }
    /// Argument `index` as a printf format (checked, and kept in the program): its index and parsed form.
    public func format(_ index: Int) throws(Diagnostic) -> (index: Int, format: PrintfFormat) { try compiler.formatIndex(expressions[index], name: name, line: line) }
    /// Argument `index` as an aggregation (@name), counted from 1 as `position` in messages: its id.
    public func aggregation(_ index: Int, position: Int) throws(Diagnostic) -> Int {
        try compiler.aggregationArgument(name, expressions[index], index: position, line: line).id
    }
    /// Argument `index`, an aggregation: its name and its keys' types (a stack key as
    /// `stack`).
    public func aggregationSignature(_ index: Int) throws(Diagnostic) -> (name: String, keys: [DType]) {
        let info = try compiler.aggregationArgument(name, expressions[index], index: index + 1, line: line)
        let fields = compiler.program.aggregations[info.id].keyFields
        let keys = info.keyTypes.enumerated().map { position, type -> DType in
            if case .stack = fields[position].type { return .stack }
            return type
        }
        return (compiler.program.aggregations[info.id].name, keys)
    }
    /// Argument `index` evaluated for a format's conversion: an aggregation stands as
    /// DTrace's dynamic type, which the format's check names.
    public func formatValue(_ index: Int) throws(Diagnostic) -> ActionValue {
        if expressions[index].isAggregationReference {
            return ActionValue(register: compiler.emitter.constant(0), type: .aggregation, constant: nil, value: Value(register: compiler.emitter.constant(0), type: .aggregation))
        }
        return try value(index)
    }
    /// stack(n) / ustack(n): the frames to show.
    public func stackFrames() throws(Diagnostic) -> Int { try compiler.stackFrames(name, expressions, line: line) }

    /// Starts a record action: its presence flag (set when the action runs).
    public func beginAction() -> Int { compiler.beginAction() }
    /// Stores a value into the record; the field describing it.
    public func recordField(_ value: ActionValue) -> RecordField { compiler.recordField(value.value, line: line) }
    /// As recordField, but a char array in kernel or process memory is recorded as its
    /// bytes, not as a string (trace() shows it so).
    public func recordData(_ value: ActionValue) -> RecordField {
        compiler.recordField(value.value, line: line, charactersAsString: false)
    }
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
    /// Copies the `size` bytes `pointer` points to into the record: D's own memory as
    /// bcopy() copies it, the kernel's (a kernel structure's bytes, wherever its pointer
    /// was kept) through probe reads. A bad address faults.
    public func recordPointee(_ pointer: ActionValue, size: Int) -> RecordField {
        let (offset, destination) = reserve(size)
        let count = compiler.emitter.constant(Int64(size))
        if Compiler.space(reachedThrough: pointer.value) == .tracee {
            compiler.emitter.emit(.call(.copyInKernel, result: nil, arguments: [destination, pointer.register, count]))
        } else {
            compiler.emitter.emit(.call(.copyBytes, result: nil, arguments: [pointer.register, destination, count]))
        }
        return RecordField(offset: offset, type: .bytes(size: size))
    }

    /// Reserves `size` bytes of the record: their offset and an address register.
    public func reserve(_ size: Int) -> (offset: Int, address: Register) {
        let offset = compiler.record.reserve(size)
        return (offset, compiler.emitter.scratchAddress(.record, offset))
    }
    /// Adds the action to the clause's record. `storesData`: it records data (speculate()
    /// must come before any that does).
    public func addAction(_ output: any ActionOutput, fields: [RecordField], presence: Int, storesData: Bool = true) {
        compiler.record.actions.append(RecordAction(output: output, fields: fields, presenceOffset: presence))
        if storesData {
            compiler.record.storesData = true
            compiler.checkSpeculationRoom()
        }
    }
    /// The clause speculates from here on (its data is checked against specsize).
    public func markSpeculates() { compiler.record.speculates = true }
    /// Whether an earlier action of the clause recorded data.
    public var clauseStoresData: Bool { compiler.record.storesData }
    /// The action is destructive: dtrace refuses it without -w.
    public func markDestructive() { compiler.record.destructive = true }
    /// The program records stacks (the kernel engine creates its stack map).
    public func markUsesStacks() { compiler.program.usesStacks = true }

    public func constant(_ value: Int64) -> Register { compiler.emitter.constant(value) }
    public func emit(_ instruction: Instruction) { compiler.emitter.emit(instruction) }
    /// A fresh label for a forward branch of the action's code.
    public func label() -> Label { compiler.emitter.label() }
    public func call(_ helper: Helper, _ registers: [Register]) -> Register { compiler.emitter.call(helper, registers) }

    /// D_PROTO_ARG: argument `position` (from 1) does not fit the prototype's type.
    public func argumentMismatch(_ position: Int, prototype: String, argument: DType) -> Diagnostic {
        compiler.argumentMismatch(name, position, prototype: prototype, argument: argument, line: line)
    }

    /// An error at this call, with a tag when DTrace gives one (D_ACT_SPEC...).
    public func error(_ kind: DiagnosticTag, _ message: String, tag: String? = nil) -> Diagnostic {
        let diagnostic = compiler.error(kind, message, line: line)
        return tag.map { diagnostic.tagged($0) } ?? diagnostic
    }

    /// printf()'s check of the arguments against the format's conversions.
    public func checkFormatArguments(_ format: PrintfFormat, _ values: [ActionValue]) throws(Diagnostic) {
        try compiler.checkFormatArguments(name, format, values.map(\.type), line: line)
    }
    /// printa()'s check of an aggregation's keys against the format's conversions.
    public func checkFormatKeys(_ format: PrintfFormat, _ keys: [DType]) throws(Diagnostic) {
        try compiler.checkFormatArguments(name, format, keys, forAggregation: true, line: line)
    }

    func wrap(_ value: Value) -> ActionValue { ActionValue(register: value.register, type: value.type, constant: value.constant, value: value) }
}
