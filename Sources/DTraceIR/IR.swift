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
    case kernelPrivilege, userPrivilege, tupleOverflow, badStack, badSize, badIndex

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
        case .badSize: return "invalid size"
        case .badIndex: return "index out of bounds"
        }
    }
}

/// One IR instruction.
extension Helper {
    /// The numbers raise() accepts (Linux's signals); any other is an illegal operation.
    public static let raiseSignals: ClosedRange<Int64> = 1...64
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

    /// The register an instruction writes, if any.
    public var writtenRegister: Register? {
        switch self {
        case .constant(let r, _), .move(let r, _), .arithmetic(_, let r, _, _), .compare(_, let r, _, _),
             .unary(_, let r, _), .extend(let r, _, _, _), .address(let r, _, _), .load(let r, _, _, _, _):
            return r
        case .call(_, let result, _): return result
        default: return nil
        }
    }

    /// The registers the instruction reads (every one it names but the one it writes).
    public var readRegisters: [Register] {
        var read = registers
        if let written = writtenRegister, let at = read.firstIndex(of: written) { read.remove(at: at) }
        return read
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
        case .checkBounds(let a, _, let b, _): return [a, b]
        case .jump, .label, .returnFromClause: return []
        }
    }
}
