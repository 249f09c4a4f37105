// DTraceIR/IR: the contract between the D front end and the engines.
//
// The IR is shaped for eBPF from the start:
// - 64-bit virtual registers; every value is an Int64 (strings and aggregates are
//   addresses of bytes in an explicit memory space);
// - explicit memory spaces (scratch, globals, constants, map values, tracee memory);
// - strings are bounded by `strsize`; every loop over bytes lives in a helper with a
//   compile-time bound;
// - control flow is forward only (the validator rejects a backward branch);
// - runtime helpers are an explicit, closed list (`Helper`);
// - every place a fault can happen carries an explicit check or faults in a helper.
// The interpreter (Interpreter.swift) is the reference semantics for the IR.

/// A virtual register. Registers are 64-bit; a function declares how many it uses.
public struct Register: Hashable, Sendable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public var description: String { "%r\(index)" }
}

/// A forward-branch target inside one function.
public struct Label: Hashable, Sendable, CustomStringConvertible {
    public let id: Int
    public init(_ id: Int) { self.id = id }
    public var description: String { "L\(id)" }
}

/// Where bytes live. Engines implement each space differently (in BPF: per-CPU array
/// maps for scratch, an array map for globals, hash-map values, probe-read helpers
/// for tracee memory); the interpreter keeps them as byte regions.
public enum MemorySpace: String, Sendable {
    case scratch      // per-firing scratch: temporaries, this-> variables, tuple keys, records
    case global       // global scalar variables
    case constant     // read-only string and data constants
    case mapValue     // values of associative arrays and thread-local variables
    case tracee       // memory of the traced process or kernel: read only through helpers
}

public enum ArithmeticOperator: String, Sendable {
    case add, subtract, multiply
    case signedDivide, unsignedDivide, signedRemainder, unsignedRemainder
    case and, or, xor, shiftLeft, logicalShiftRight, arithmeticShiftRight
}

public enum ComparisonOperator: String, Sendable {
    case equal, notEqual
    case signedLess, signedLessOrEqual, signedGreater, signedGreaterOrEqual
    case unsignedLess, unsignedLessOrEqual, unsignedGreater, unsignedGreaterOrEqual
}

public enum UnaryOperator: String, Sendable {
    case negate, bitwiseNot, logicalNot
    case byteSwap16, byteSwap32, byteSwap64
}

/// The kinds of runtime fault, with DTrace's names for them.
public enum FaultKind: Int, Sendable {
    case badAddress = 1, badAlignment, illegalOperation, divideByZero, outOfScratch
    case kernelPrivilege, userPrivilege, tupleOverflow, badStack

    public var message: String {
        switch self {
        case .badAddress: return "invalid address"
        case .badAlignment: return "invalid alignment"
        case .illegalOperation: return "illegal operation"
        case .divideByZero: return "divide-by-zero"
        case .outOfScratch: return "out of scratch space"
        case .kernelPrivilege: return "invalid kernel access"
        case .userPrivilege: return "invalid user access"
        case .tupleOverflow: return "tuple stack overflow"
        case .badStack: return "bad stack"
        }
    }
}

/// Values a probe firing provides (D's built-in variables).
public enum BuiltinVariable: String, Sendable, CaseIterable {
    case timestamp, walltimestamp, vtimestamp
    case pid, ppid, tid, uid, gid, cpu, id, epid, errno
    case arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9
    case stackdepth, ustackdepth, caller, ucaller, ipl
    /// The address of the probe's argument record in kernel memory (a tracepoint's
    /// record, for typed `args->field`); 0 where the probe has none.
    case argumentRecord
    // string-valued: the helper writes the string into a destination buffer
    case execname, probeprov, probemod, probefunc, probename, zonename, cwd, root

    public var isString: Bool {
        switch self {
        case .execname, .probeprov, .probemod, .probefunc, .probename, .zonename, .cwd, .root: return true
        default: return false
        }
    }
}

/// The closed list of runtime helpers. Argument conventions are documented per case;
/// a string result is written to a destination buffer given as the first argument.
public enum Helper: Sendable, Equatable {
    /// dst = value of a built-in variable; string-valued ones take (destination).
    case readBuiltin(BuiltinVariable)
    /// dst = args[index] as a 64-bit value.
    case readArgument
    // Strings: every string is bounded by strsize.
    case stringLength               // (s) -> length
    case stringCompare              // (a, b) -> <0, 0, >0
    case stringCopy                 // (dst, src) -> dst
    case stringCopyBounded(size: Int) // (dst, src) -> dst: at most size - 1 bytes, then a NUL
    case integerToString(hasBase: Bool) // (dst, value[, base]) -> dst
    case random                     // () -> pseudo-random value
    /// A subroutine of the D library, run through what the library registers for it.
    case subroutine(SubroutineCall)
    case stackID(user: Bool)        // () -> id of the current kernel (user) stack, or negative
    case noteProcess                // (): the current process's user addresses are kept; tell the consumer the first time it is seen
    case allocate                   // (size) -> address in scratch
    case copyBytes                  // (src, dst, size)
    case copyIn                     // (dst, tracee address, size) -> dst
    case copyInString               // (dst, tracee address[, max]) -> dst
    case copyInKernelString         // (dst, kernel address) -> dst: e.g. a char array of a tracepoint record
    case zeroBytes                  // (dst, size)
    // State: associative arrays and thread-local variables live in maps.
    case mapLookup(map: Int)        // (key) -> value address or 0
    case mapLookupOrCreate(map: Int) // (key) -> value address, or 0 when the map is full (a drop)
    case mapDelete(map: Int)        // (key)
    // Aggregations, records and engine control.
    case aggregate(aggregation: Int) // (key, value, increment)
    case submitRecord(epid: Int)    // (buffer, size): hand the clause's record to the consumer
    case speculation                // () -> speculation id or 0
    case speculate                  // (id): this firing's record goes to speculation id
    case commit                     // (id)
    case discard                    // (id)
    case exit                       // (status): stop tracing after this firing
    case raise                      // (signal) destructive
}

/// One IR instruction.
extension Helper {
    /// The numbers raise() accepts (Linux's signals); any other is an illegal operation.
    public static let raiseSignals: ClosedRange<Int64> = 1...64
}

public enum Instruction: Sendable, Equatable {
    case constant(Register, Int64)
    case move(Register, Register)
    case arithmetic(ArithmeticOperator, Register, Register, Register)
    case compare(ComparisonOperator, Register, Register, Register)
    case unary(UnaryOperator, Register, Register)
    /// Truncates to `bits` and extends back to 64 bits (sign or zero).
    case extend(Register, Register, bits: Int, signed: Bool)
    /// dst = base address of a space's static area + offset.
    case address(Register, MemorySpace, offset: Int)
    case load(Register, base: Register, offset: Int, width: Int, space: MemorySpace)
    case store(base: Register, offset: Int, value: Register, width: Int, space: MemorySpace)
    case jump(Label)
    case branchIfZero(Register, Label)
    case branchIfNotZero(Register, Label)
    case label(Label)
    case call(Helper, result: Register?, arguments: [Register])
    /// Faults with divide-by-zero when the register is zero.
    case checkNonZero(Register, FaultKind)
    /// Faults with an invalid address when `index` is not below `limit` (unsigned).
    case checkBounds(Register, limit: Int64, address: Register)
    case returnFromClause
}

/// A straight-line, forward-branching IR function: one clause (predicate and actions).
public struct IRFunction: Sendable {
    public var instructions: [Instruction]
    /// For each instruction, the action it belongs to (0: the predicate, N: action #N).
    public var actionOfInstruction: [Int]
    public var registerCount: Int

    public init(instructions: [Instruction], actionOfInstruction: [Int], registerCount: Int) {
        self.instructions = instructions
        self.actionOfInstruction = actionOfInstruction
        self.registerCount = registerCount
    }
}

public enum IRValidationError: Error, Equatable, CustomStringConvertible {
    case backwardBranch(instruction: Int, label: Label)
    case undefinedLabel(Label)
    case duplicateLabel(Label)
    case registerOutOfRange(instruction: Int)

    public var description: String {
        switch self {
        case .backwardBranch(let index, let label): return "instruction \(index) branches backward to \(label)"
        case .undefinedLabel(let label): return "label \(label) is not defined"
        case .duplicateLabel(let label): return "label \(label) is defined twice"
        case .registerOutOfRange(let index): return "instruction \(index) uses a register beyond the declared count"
        }
    }
}

extension IRFunction {
    /// Checks the IR invariants the engines rely on: labels defined once, every branch
    /// forward, registers within range.
    public func validate() throws(IRValidationError) {
        var labelPositions: [Label: Int] = [:]
        for (index, instruction) in instructions.enumerated() {
            if case .label(let label) = instruction {
                if labelPositions[label] != nil { throw .duplicateLabel(label) }
                labelPositions[label] = index
            }
        }
        for (index, instruction) in instructions.enumerated() {
            for register in instruction.registers where register.index >= registerCount || register.index < 0 {
                _ = register
                throw .registerOutOfRange(instruction: index)
            }
            guard let target = instruction.branchTarget else { continue }
            guard let position = labelPositions[target] else { throw .undefinedLabel(target) }
            if position <= index { throw .backwardBranch(instruction: index, label: target) }
        }
    }
}

extension Instruction {
    public var branchTarget: Label? {
        switch self {
        case .jump(let label), .branchIfZero(_, let label), .branchIfNotZero(_, let label): return label
        default: return nil
        }
    }

    public var isLoad: Bool {
        if case .load = self { return true }
        return false
    }

    /// Every register the instruction reads or writes.
    public var registers: [Register] {
        switch self {
        case .constant(let r, _), .address(let r, _, _), .checkNonZero(let r, _): return [r]
        case .move(let a, let b), .unary(_, let a, let b), .extend(let a, let b, _, _): return [a, b]
        case .arithmetic(_, let a, let b, let c), .compare(_, let a, let b, let c): return [a, b, c]
        case .load(let a, let b, _, _, _): return [a, b]
        case .store(let a, _, let b, _, _): return [a, b]
        case .branchIfZero(let r, _), .branchIfNotZero(let r, _): return [r]
        case .call(_, let result, let arguments): return (result.map { [$0] } ?? []) + arguments
        case .checkBounds(let a, _, let b): return [a, b]
        case .jump, .label, .returnFromClause: return []
        }
    }
}
