// DTraceLanguage/Emitter: builds one clause's IR function — fresh registers, forward
// labels, and symbolic scratch addresses (clause-local variables, temporaries and the
// record buffer) that the compiler places once every clause is known — and notes the
// variables the code uses.

import DTraceIR

/// The three scratch areas; offsets are made final after all clauses are compiled.
enum ScratchArea: Int { case clauseLocals = 0, temporaries = 1, record = 2 }

struct Emitter {
    var instructions: [Instruction] = []
    var actionOfInstruction: [Int] = []
    var registerCount = 0
    var labelCount = 0
    var currentAction = 0
    var temporaryBytes = 0
    /// The variables the code emitted so far reads or writes (for `-S`'s variable table):
    /// kept with the code, so code emitted and then discarded (sizeof's operand, constant
    /// expressions) leaves none.
    var variableUses: [VariableReference: VariableUse] = [:]
    static let areaShift = 40

    mutating func register() -> Register { defer { registerCount += 1 }; return Register(registerCount) }
    mutating func label() -> Label { defer { labelCount += 1 }; return Label(labelCount) }

    mutating func emit(_ instruction: Instruction) {
        instructions.append(instruction)
        actionOfInstruction.append(currentAction)
    }

    mutating func constant(_ value: Int64) -> Register {
        let r = register()
        emit(.constant(r, value))
        return r
    }

    /// Reserves `size` bytes of temporary scratch (8-byte aligned) and returns its address.
    mutating func temporary(_ size: Int) -> Register {
        let offset = temporaryBytes
        temporaryBytes += (max(size, 1) + 7) & ~7
        return scratchAddress(.temporaries, offset)
    }

    mutating func scratchAddress(_ area: ScratchArea, _ offset: Int) -> Register {
        let r = register()
        emit(.address(r, .scratch, offset: area.rawValue << Emitter.areaShift | offset))
        return r
    }

    mutating func call(_ helper: Helper, _ arguments: [Register], result: Bool = true) -> Register {
        let r = register()
        emit(.call(helper, result: result ? r : nil, arguments: arguments))
        return r
    }

    /// Rewrites symbolic scratch addresses into final offsets.
    mutating func placeScratch(clauseLocals: Int, temporaries: Int) {
        for index in instructions.indices {
            guard case .address(let r, .scratch, let encoded) = instructions[index] else { continue }
            let area = ScratchArea(rawValue: encoded >> Emitter.areaShift) ?? .temporaries
            let offset = encoded & ((1 << Emitter.areaShift) - 1)
            let base: Int
            switch area {
            case .clauseLocals: base = 0
            case .temporaries: base = clauseLocals
            case .record: base = clauseLocals + temporaries
            }
            instructions[index] = .address(r, .scratch, offset: base + offset)
        }
    }

    func function() -> IRFunction {
        IRFunction(instructions: instructions, actionOfInstruction: actionOfInstruction, registerCount: registerCount)
    }
}
