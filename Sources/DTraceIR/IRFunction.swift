// DTraceIR/IRFunction: one clause's instructions, with their validation (branches only go
// forward, so every clause terminates).

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
