// DTraceIR/IRFunction: one clause's instructions, with their validation (branches only go
// forward, so every clause terminates).

/// A straight-line, forward-branching IR function: one clause (predicate and actions).
public struct IRFunction: Sendable {
    public var instructions: [Instruction] { didSet { labelPositions = Self.positions(of: instructions) } }
    /// Where each label stands in `instructions` (kept with them: a firing looks its
    /// branches up here rather than finding them again).
    public private(set) var labelPositions: [Label: Int]
    /// For each instruction, the action it belongs to (0: the predicate, N: action #N).
    public var actionOfInstruction: [Int]
    public var registerCount: Int
    /// For each instruction, where it stood in the function as compiled — what a fault
    /// names as its "BPF pc" — when a transformation has moved instructions (nil: each
    /// stands where it was compiled).
    public var compiledPositions: [Int]?

    public init(instructions: [Instruction], actionOfInstruction: [Int], registerCount: Int) {
        self.instructions = instructions
        self.actionOfInstruction = actionOfInstruction
        self.registerCount = registerCount
        self.labelPositions = Self.positions(of: instructions)
    }

    static func positions(of instructions: [Instruction]) -> [Label: Int] {
        var positions: [Label: Int] = [:]
        for (index, instruction) in instructions.enumerated() {
            if case .label(let label) = instruction { positions[label] = index }
        }
        return positions
    }
}
