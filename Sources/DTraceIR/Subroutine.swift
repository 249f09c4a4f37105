// DTraceIR/Subroutine: how the IR calls a subroutine of the D library (strjoin, substr,
// cleanpath, inet_ntop...) without knowing it. The call names the subroutine and the
// form used (e.g. substr with or without a length); the interpreter runs it through the
// `InterpretedSubroutine` the library registers under that name. The code generator
// does the same with its `KernelSubroutine` (DTraceCodegen).

/// A call of a library subroutine: `.call(.subroutine(call), result, arguments)`, a
/// string result's destination buffer first among the arguments.
public struct SubroutineCall: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// Which form of the subroutine (its own numbering: e.g. 1 with an optional argument).
    public var form: Int
    public init(_ name: String, form: Int = 0) { self.name = name; self.form = form }
    public var description: String { form == 0 ? name : "\(name)/\(form)" }
}

/// A subroutine's semantics in the interpreter (the reference for both engines).
public protocol InterpretedSubroutine: Sendable {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64
}

/// What an interpreted subroutine reads and writes: its arguments, the machine's memory
/// (bounds-checked, faulting instead of trapping) and the probe's environment.
public struct SubroutineContext {
    public let arguments: [Int64]
    public let machine: Machine
    public let environment: InterpreterEnvironment

    /// The string argument `index` points to (at most strsize bytes).
    public func string(_ index: Int) throws(Fault) -> [UInt8] { try machine.readString(at: arguments[index]) }

    /// Writes a string result into the destination (argument 0) and returns its address.
    public func result(_ bytes: [UInt8]) throws(Fault) -> Int64 {
        try machine.writeString(bytes, at: arguments[0])
        return arguments[0]
    }

    public var stringSize: Int { machine.stringSize }
}
