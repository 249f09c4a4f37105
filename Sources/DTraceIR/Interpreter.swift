// DTraceIR/Interpreter: the reference semantics of the IR. Runs one clause at a time
// against a Machine (the memory spaces and maps) and an environment (the probe firing
// and the consumer side: records, aggregations, speculations, exit).
//
// Rules it keeps: every memory access is bounds-checked against its region and faults
// instead of trapping; every string operation is bounded by strsize; control flow only
// moves forward, so a clause always terminates.

/// A runtime fault: the clause is abandoned and the ERROR probe fires.
public struct Fault: Error, Equatable, Sendable {
    public var kind: FaultKind
    public var address: Int64
    public var instruction: Int
    public var action: Int
    public init(kind: FaultKind, address: Int64 = 0, instruction: Int = 0, action: Int = 0) {
        self.kind = kind; self.address = address; self.instruction = instruction; self.action = action
    }
}

/// What a clause can ask of the world outside the IR.
public protocol InterpreterEnvironment: AnyObject {
    func builtinValue(_ variable: BuiltinVariable) -> Int64
    func builtinString(_ variable: BuiltinVariable) -> [UInt8]
    func argument(_ index: Int64) -> Int64
    /// uregs[index] of the current thread (0 where there is none, as in BEGIN).
    func userRegister(_ index: Int64) -> Int64
    func aggregate(_ aggregation: Int, key: [UInt8], value: Int64, increment: Int64)
    func submitRecord(epid: Int, bytes: [UInt8])
    /// A free speculation's id, or 0 (counted as a failed speculation).
    func newSpeculation() -> Int64
    /// Whether speculation `id` (already cut to 32 bits) is active: this firing's record then goes to it.
    func speculate(_ id: Int64) -> Bool
    /// Counts a speculative drop (a speculating clause whose data passed specsize).
    func countSpeculativeDrop()
    /// Commits (discards) speculation `id` (already cut to 32 bits), if active; an id above
    /// nspec faults with an illegal operation.
    func commit(_ id: Int64) throws(Fault)
    func discard(_ id: Int64) throws(Fault)
    func exit(status: Int64)
    func raise(signal: Int64)
    func randomValue() -> Int64
    /// Reads traced memory; nil when the address is not readable.
    func readTracee(address: Int64, size: Int) -> [UInt8]?
    /// Writes traced memory where the program itself could; false when it cannot.
    func writeTracee(address: Int64, bytes: [UInt8]) -> Bool
    /// The id of the current kernel (`user` false) or user stack, negative when there is none.
    func stackID(user: Bool) -> Int64
    /// A clause is about to record user addresses of the current process: its mappings
    /// should be read while it runs.
    func noteUserAddresses()
}

extension InterpreterEnvironment {
    /// The interpreter sees no stack unless its environment captures one.
    public func stackID(user: Bool) -> Int64 { -1 }
    public func noteUserAddresses() {}
    /// Without a traced process there is nothing to write.
    public func writeTracee(address: Int64, bytes: [UInt8]) -> Bool { false }
}

/// Region numbers in the interpreter's address space: address = region << 48 | offset.
public enum MemoryRegion {
    public static let scratch: Int64 = 1
    public static let global: Int64 = 2
    public static let constant: Int64 = 3
    public static let zero: Int64 = 4
    public static let firstMap: Int64 = 16
    public static let offsetMask: Int64 = (1 << 48) - 1

    public static func base(_ region: Int64) -> Int64 { region << 48 }
}

