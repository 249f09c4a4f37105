// DTraceIR/Instruction: one IR instruction: constants, moves, arithmetic, comparisons,
// loads and stores in an explicit memory space, forward branches, helper calls, fault
// checks.

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
    /// Faults when `index` is not below `limit` (unsigned): an invalid address (at
    /// `address`), or with `.badIndex` an index out of bounds (naming the index).
    case checkBounds(Register, limit: Int64, address: Register, kind: FaultKind)
    case returnFromClause
}
