// DTraceLanguage/AggregatingFunctionDefinition: how the compiler meets an aggregating
// function of the D library: the definition checks `@a[...] = name(...)` (argument count,
// constant parameters with DTrace's D_* tags) through `AggregationArguments` and says what
// the aggregation keeps (the function, its value and increment).

import DTraceIR

/// An aggregating function of the D library (count, sum, quantize...): checks the call
/// `@a[...] = name(...)` against its prototype and says what the aggregation keeps.
public protocol AggregatingFunctionDefinition: Sendable {
    var names: [String] { get }
    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall
    /// What DTrace says when an aggregation is used again with other parameters (nil:
    /// the generic "aggregation redefined").
    func parameterMismatch(previous: [Int64], current: [Int64]) -> (tag: String, message: String)?
}

extension AggregatingFunctionDefinition {
    public func parameterMismatch(previous: [Int64], current: [Int64]) -> (tag: String, message: String)? { nil }
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

    /// The value aggregated (argument #1): a scalar (D_AGG_SCALAR otherwise).
    public func value() throws(Diagnostic) -> Register {
        let compiler = arguments.compiler
        let value = try compiler.rvalue(arguments.expressions[0])
        guard value.type.isScalar else {
            throw compiler.error(.aggregationScalar, "\(name)( ) argument #1 must be of scalar type", line: arguments.line)
        }
        return value.register
    }

    /// Argument `index` as an integer constant, or nil when it is not one.
    public func constantIfAny(_ index: Int) throws(Diagnostic) -> Int64? {
        try arguments.compiler.integerConstant(arguments.expressions[index])
    }
    /// Argument `index` when it is a positive integer constant as DTrace judges one
    /// (dt_node_is_posconst): not zero, and above zero when its type is signed — so an
    /// unsigned constant of 2^63 or more is positive (and comes back negative here).
    public func positiveConstantIfAny(_ index: Int) throws(Diagnostic) -> Int64? {
        guard let (value, signed) = try arguments.compiler.typedIntegerConstant(arguments.expressions[index]),
              value != 0, !signed || value > 0 else { return nil }
        return value
    }
    public func constant(_ value: Int64) -> Register { arguments.constant(value) }

    /// A prototype error with DTrace's tag (D_LQUANT_STEP...).
    public func error(_ message: String, tag: String) -> Diagnostic {
        arguments.compiler.error(.prototypeArgument, message, line: arguments.line).tagged(tag)
    }
}
