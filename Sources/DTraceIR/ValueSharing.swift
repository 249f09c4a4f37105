// DTraceIR/ValueSharing: a clause's repeated computations done once. A translated member
// tests the kernel pointers it reads before it reads through them (`R->bio &&
// R->bio->bi_bdev ? R->bio->bi_bdev : ...`), a clause naming two members of one
// translator reads the same pointers again, and every use of a this-> variable loads it
// from scratch again; in BPF each read of traced memory is a helper call. Here a pure
// computation — a constant, an address, arithmetic, a comparison, a firing's argument, a
// read of traced memory, a load of scratch or globals no write may have changed since —
// whose value is available on every path to it (the same register holds it, computed or
// stored on each way: an available-values pass over the forward-only control flow)
// becomes a move of that register, a fault check already made on every path is dropped,
// copies are read as their originals, and arithmetic nothing reads any more goes.
// Registers written more than once (the results of && and ?:) are never shared; values
// derived from map lookups are left alone (the verifier tracks those pointers); loads of
// traced memory are not shared in a program that writes traced memory (copyout).

extension IRFunction {
    /// The function with repeated pure computations replaced by moves of their first
    /// result and repeated fault checks dropped (see the file's comment).
    public func sharingRepeatedValues(tracedMemoryMayChange: Bool) -> IRFunction {
        var sharing = ValueSharing(function: self, shareLoads: !tracedMemoryMayChange)
        return sharing.run()
    }
}

/// What a pure instruction computes, in terms of its operands' value numbers; what a
/// load reads; a fault check made.
private enum ValueKey: Hashable {
    case constant(Int64)
    case address(MemorySpace, Int)
    case arithmetic(ArithmeticOperator, Int, Int)
    case compare(ComparisonOperator, Int, Int)
    case unary(UnaryOperator, Int)
    case extend(Int, bits: Int, signed: Bool)
    case builtin(BuiltinVariable)
    case argument(Int)
    case tracedLoad(Int, offset: Int, width: Int)
    /// A load of scratch, globals or constants at a place known at compile time.
    case placedLoad(MemorySpace, offset: Int, width: Int)
    /// A load of scratch, globals or constants through an address computed at run time.
    case pointedLoad(MemorySpace, Int, offset: Int, width: Int)
    case boundsCheck(Int, limit: Int64, kind: FaultKind)
    case nonZeroCheck(Int, kind: FaultKind)

    /// Whether a write to memory may change what the key says (traced memory is written
    /// by no store: only copyout writes it, and then no traced load is shared).
    var readsWritableMemory: Bool {
        switch self {
        case .placedLoad, .pointedLoad: return true
        default: return false
        }
    }
}

/// The values available at a point: which register holds each, on every path there.
private typealias Availability = [ValueKey: Register]

private struct ValueSharing {
    var instructions: [Instruction]
    var actions: [Int]
    var positions: [Int]
    let registerCount: Int
    let shareLoads: Bool
    /// How many instructions write each register.
    var definitions: [Int: Int] = [:]
    var valueOfRegister: [Int: Int] = [:]
    var valueOfKey: [ValueKey: Int] = [:]
    /// Value numbers computed from a map lookup's pointer.
    var mapPointerValues: Set<Int> = []
    /// Value numbers that are a known place: an address in a space's static area.
    var placeOfValue: [Int: (space: MemorySpace, offset: Int)] = [:]
    var constantOfValue: [Int: Int64] = [:]
    var nextValue = 0

    /// Built-in variables that hold one value for the whole firing.
    static let firingConstants: Set<BuiltinVariable> = [
        .arg0, .arg1, .arg2, .arg3, .arg4, .arg5, .arg6, .arg7, .arg8, .arg9,
        .argumentRecord, .curthread, .pid, .tid, .cpu, .id, .epid,
    ]

    init(function: IRFunction, shareLoads: Bool) {
        instructions = function.instructions
        actions = function.actionOfInstruction
        positions = function.compiledPositions ?? Array(function.instructions.indices)
        registerCount = function.registerCount
        self.shareLoads = shareLoads
        for instruction in instructions {
            if let written = instruction.writtenRegister { definitions[written.index, default: 0] += 1 }
        }
    }

    mutating func run() -> IRFunction {
        threadBranches()
        let blocks = BasicBlocks(instructions)
        var dropped = Set<Int>()
        var leaving: [Availability?] = Array(repeating: nil, count: blocks.ranges.count)
        for (block, range) in blocks.ranges.enumerated() {
            // Every branch goes forward: each predecessor is done before its successors.
            let incoming = blocks.predecessors[block].compactMap { $0 < block ? leaving[$0] : nil }
            var table: Availability
            if block == 0 {
                table = [:]
            } else if let first = incoming.first {
                table = first.filter { key, register in incoming.dropFirst().allSatisfy { $0[key] == register } }
            } else {
                continue  // unreachable
            }
            for index in range {
                if share(at: index, in: &table) { dropped.insert(index) }
            }
            leaving[block] = table
        }
        propagateCopies(skipping: dropped)
        dropDeadArithmetic(into: &dropped)
        var kept: [Instruction] = [], keptActions: [Int] = [], keptPositions: [Int] = []
        for index in instructions.indices where !dropped.contains(index) {
            kept.append(instructions[index])
            if index < actions.count { keptActions.append(actions[index]) }
            keptPositions.append(positions[index])
        }
        var shared = IRFunction(instructions: kept, actionOfInstruction: keptActions, registerCount: registerCount)
        shared.compiledPositions = keptPositions
        return shared
    }

    /// A branch to a label whose first instruction tests the same register again (`a &&
    /// b` and `a || b` test their result where the two ways of making it meet, and a ?:
    /// or an if tests it again) is taken on to where that second test goes — its target
    /// for the same test, the instruction after it for the opposite one (a label put
    /// there): the way that skipped b then no longer meets the way that computed it, so
    /// what b read is available to the code the second test guards.
    mutating func threadBranches() {
        var nextLabel = 1 + instructions.reduce(0) { highest, instruction in
            if case .label(let label) = instruction { return max(highest, label.id) }
            return highest
        }
        var labelAt: [Label: Int] = [:]
        func locate() {
            labelAt = [:]
            for (index, instruction) in instructions.enumerated() {
                if case .label(let label) = instruction { labelAt[label] = index }
            }
        }
        /// Where a branch to `label` first does something: the index of that instruction.
        func test(at label: Label) -> Int? {
            guard var index = labelAt[label] else { return nil }
            while index < instructions.count, case .label = instructions[index] { index += 1 }
            return index < instructions.count ? index : nil
        }
        /// A label standing just after instruction `index` (inserted when there is none).
        func label(after index: Int) -> Label {
            if index + 1 < instructions.count, case .label(let existing) = instructions[index + 1] { return existing }
            let fresh = Label(nextLabel)
            nextLabel += 1
            instructions.insert(.label(fresh), at: index + 1)
            positions.insert(index + 1 < positions.count ? positions[index + 1] : positions[index], at: index + 1)
            actions.insert(index + 1 < actions.count ? actions[index + 1] : (actions.last ?? 0), at: min(index + 1, actions.count))
            locate()
            return fresh
        }
        locate()
        var index = 0
        while index < instructions.count {
            // Each step goes to a later instruction, so the walk ends.
            switch instructions[index] {
            case .branchIfZero(let tested, var target), .branchIfNotZero(let tested, var target):
                let onZero: Bool
                if case .branchIfZero = instructions[index] { onZero = true } else { onZero = false }
                while let second = test(at: target) {
                    switch instructions[second] {
                    case .branchIfZero(tested, let next) where onZero, .branchIfNotZero(tested, let next) where !onZero:
                        target = next
                        continue
                    case .branchIfZero(tested, _) where !onZero, .branchIfNotZero(tested, _) where onZero:
                        target = label(after: second)
                        continue
                    default: break
                    }
                    break
                }
                instructions[index] = onZero ? .branchIfZero(tested, target) : .branchIfNotZero(tested, target)
            case .jump(var target):
                while let second = test(at: target), case .jump(let next) = instructions[second] { target = next }
                instructions[index] = .jump(target)
            default: break
            }
            index += 1
        }
    }

    mutating func freshValue() -> Int {
        nextValue += 1
        return nextValue
    }

    /// The value number a register holds wherever it is read, if it is written once.
    func value(_ register: Register) -> Int? {
        definitions[register.index] == 1 ? valueOfRegister[register.index] : nil
    }

    /// The value number of a key, the same for every computation of it.
    mutating func number(of key: ValueKey) -> Int {
        if let known = valueOfKey[key] { return known }
        let fresh = freshValue()
        valueOfKey[key] = fresh
        return fresh
    }

    /// Shares or records instruction `index`'s value and forgets what its writes may
    /// change; true when the instruction is a check already made, to be dropped.
    mutating func share(at index: Int, in table: inout Availability) -> Bool {
        let instruction = instructions[index]
        switch instruction {
        case .checkBounds(let checked, let limit, _, let kind):
            guard let operand = value(checked) else { return false }
            return record(.boundsCheck(operand, limit: limit, kind: kind), register: checked, in: &table)
        case .checkNonZero(let checked, let kind):
            guard let operand = value(checked) else { return false }
            return record(.nonZeroCheck(operand, kind: kind), register: checked, in: &table)
        case .store(let base, let offset, let stored, let width, let space):
            forgetWrites(to: base, offset: offset, width: width, space: space, in: &table)
            // What was stored is what a load of the same place reads (a full word only:
            // narrower loads extend).
            if width == 8, space != .tracee, let key = loadKey(base: base, offset: offset, width: width, space: space),
               definitions[stored.index] == 1, value(stored) != nil {
                table[key] = stored
            }
            return false
        case .call(let helper, _, _) where Self.mayWriteMemory(helper):
            table = table.filter { !$0.key.readsWritableMemory }
        default: break
        }
        guard let written = instruction.writtenRegister else { return false }
        // A register written more than once, or read by its own definition, is opaque.
        guard definitions[written.index] == 1, instruction.registers.filter({ $0 == written }).count == 1 else { return false }
        if case .move(_, let source) = instruction {
            valueOfRegister[written.index] = value(source) ?? freshValue()
            return false
        }
        // x + 0 and its like are x.
        if case .arithmetic(let op, _, let lhs, let rhs) = instruction, let identity = identityOperand(op, lhs, rhs) {
            instructions[index] = .move(written, identity)
            valueOfRegister[written.index] = value(identity) ?? freshValue()
            return false
        }
        guard let key = key(of: instruction) else {
            let fresh = freshValue()
            valueOfRegister[written.index] = fresh
            switch instruction {
            case .call(.mapLookup, _, _), .call(.mapLookupOrCreate, _, _): mapPointerValues.insert(fresh)
            default: break
            }
            return false
        }
        // Constants and addresses stay as they are (the generator folds them into
        // immediates); only their value numbers are shared.
        let replaceable: Bool
        switch instruction {
        case .constant, .address: replaceable = false
        default: replaceable = true
        }
        if replaceable, let earlier = table[key], earlier != written, let shared = valueOfRegister[earlier.index] {
            instructions[index] = .move(written, earlier)
            valueOfRegister[written.index] = shared
            return false
        }
        // A load of writable memory found nowhere on the way reads what the last write
        // left: a value of its own, not the one an earlier load of the place had.
        let numbered = key.readsWritableMemory ? freshValue() : number(of: key)
        valueOfRegister[written.index] = numbered
        switch key {
        case .constant(let constant): constantOfValue[numbered] = constant
        case .address(let space, let offset): placeOfValue[numbered] = (space, offset)
        case .arithmetic(.add, let a, let b):
            if let place = placeOfValue[a], let c = constantOfValue[b] { placeOfValue[numbered] = (place.space, place.offset + Int(truncatingIfNeeded: c)) }
            if let place = placeOfValue[b], let c = constantOfValue[a] { placeOfValue[numbered] = (place.space, place.offset + Int(truncatingIfNeeded: c)) }
        default: break
        }
        if table[key] == nil { table[key] = written }
        return false
    }

    /// Records a check; true when an earlier one on every path made it already.
    mutating func record(_ key: ValueKey, register: Register, in table: inout Availability) -> Bool {
        if table[key] != nil { return true }
        table[key] = register
        return false
    }

    /// Helpers that may write scratch, globals or map values (string results, copies,
    /// map updates, subroutines); reading a number the firing holds writes nothing.
    static func mayWriteMemory(_ helper: Helper) -> Bool {
        switch helper {
        case .readBuiltin(let variable): return variable.isString
        case .readArgument, .readUserRegister, .random, .stackID, .stringLength, .stringCompare: return false
        default: return true
        }
    }

    /// Forgets the loads a store may change: those of the bytes it writes when both
    /// places are known, else every load of writable memory.
    mutating func forgetWrites(to base: Register, offset: Int, width: Int, space: MemorySpace, in table: inout Availability) {
        guard let target = value(base).flatMap({ placeOfValue[$0] }) else {
            table = table.filter { !$0.key.readsWritableMemory }
            return
        }
        let start = target.offset + offset, end = start + width
        table = table.filter { key, _ in
            switch key {
            case .placedLoad(let space, let loadOffset, let loadWidth):
                return space != target.space || loadOffset + loadWidth <= start || loadOffset >= end
            case .pointedLoad: return false
            default: return true
            }
        }
    }

    /// What a load of `space` at `base + offset` reads, when loads of it may be shared.
    func loadKey(base: Register, offset: Int, width: Int, space: MemorySpace) -> ValueKey? {
        guard let address = value(base), !mapPointerValues.contains(address) else { return nil }
        switch space {
        case .tracee: return shareLoads ? .tracedLoad(address, offset: offset, width: width) : nil
        case .mapValue: return nil
        case .scratch, .global, .constant:
            if let place = placeOfValue[address] {
                guard place.space == space else { return nil }
                return .placedLoad(space, offset: place.offset + offset, width: width)
            }
            return .pointedLoad(space, address, offset: offset, width: width)
        }
    }

    /// The operand an operation with a zero leaves as it is (x + 0, 0 | x, x << 0...).
    func identityOperand(_ op: ArithmeticOperator, _ lhs: Register, _ rhs: Register) -> Register? {
        func isZero(_ register: Register) -> Bool { value(register).flatMap { constantOfValue[$0] } == 0 }
        switch op {
        case .add, .or, .xor:
            if isZero(rhs) { return lhs }
            if isZero(lhs) { return rhs }
        case .subtract, .shiftLeft, .logicalShiftRight, .arithmeticShiftRight:
            if isZero(rhs) { return lhs }
        default: break
        }
        return nil
    }

    /// The value an instruction computes, when it is pure and its operands are known.
    mutating func key(of instruction: Instruction) -> ValueKey? {
        func operand(_ register: Register) -> Int? {
            guard let number = value(register), !mapPointerValues.contains(number) else { return nil }
            return number
        }
        switch instruction {
        case .constant(_, let value): return .constant(value)
        case .address(_, let space, let offset): return .address(space, offset)
        case .arithmetic(let op, _, let lhs, let rhs):
            guard let a = operand(lhs), let b = operand(rhs) else { return nil }
            return .arithmetic(op, a, b)
        case .compare(let op, _, let lhs, let rhs):
            guard let a = operand(lhs), let b = operand(rhs) else { return nil }
            return .compare(op, a, b)
        case .unary(let op, _, let source):
            guard let a = operand(source) else { return nil }
            return .unary(op, a)
        case .extend(_, let source, let bits, let signed):
            guard let a = operand(source) else { return nil }
            return .extend(a, bits: bits, signed: signed)
        case .call(.readBuiltin(let variable), _, let arguments) where arguments.isEmpty && Self.firingConstants.contains(variable):
            return .builtin(variable)
        case .call(.readArgument, _, let arguments) where arguments.count == 1:
            guard let index = operand(arguments[0]) else { return nil }
            return .argument(index)
        case .load(_, let base, let offset, let width, let space):
            return loadKey(base: base, offset: offset, width: width, space: space)
        default: return nil
        }
    }

    /// A register written once, by a move of a register written once, is read as that
    /// register (whose definition comes first on every path to the move, so to every
    /// read of the copy).
    mutating func propagateCopies(skipping dropped: Set<Int>) {
        var source: [Int: Register] = [:]
        for (index, instruction) in instructions.enumerated() where !dropped.contains(index) {
            guard case .move(let copy, let original) = instruction, copy != original,
                  definitions[copy.index] == 1, definitions[original.index] == 1 else { continue }
            source[copy.index] = source[original.index] ?? original
        }
        guard !source.isEmpty else { return }
        for index in instructions.indices where !dropped.contains(index) {
            instructions[index] = instructions[index].renamingReads { source[$0.index] ?? $0 }
        }
    }

    /// Drops arithmetic whose result nothing reads (again and again: a dropped move may
    /// leave its source unread). Loads and calls stay: they may fault.
    mutating func dropDeadArithmetic(into dropped: inout Set<Int>) {
        while true {
            var reads: [Int: Int] = [:]
            for (index, instruction) in instructions.enumerated() where !dropped.contains(index) {
                let written = Self.isPure(instruction) ? instruction.writtenRegister : nil
                var skippedWrite = false
                for register in instruction.registers {
                    if register == written && !skippedWrite { skippedWrite = true; continue }
                    reads[register.index, default: 0] += 1
                }
            }
            var changed = false
            for (index, instruction) in instructions.enumerated() where !dropped.contains(index) && Self.isPure(instruction) {
                guard let written = instruction.writtenRegister, reads[written.index, default: 0] == 0 else { continue }
                dropped.insert(index)
                changed = true
            }
            if !changed { return }
        }
    }

    /// Instructions that only write their register (no memory, no fault, no call).
    static func isPure(_ instruction: Instruction) -> Bool {
        switch instruction {
        case .constant, .move, .arithmetic, .compare, .unary, .extend, .address: return true
        default: return false
        }
    }
}

/// A function's basic blocks in instruction order and each one's predecessors.
private struct BasicBlocks {
    var ranges: [Range<Int>] = []
    var predecessors: [[Int]] = []

    init(_ instructions: [Instruction]) {
        var starts: Set<Int> = [0]
        for (index, instruction) in instructions.enumerated() {
            switch instruction {
            case .label: starts.insert(index)
            case .jump, .branchIfZero, .branchIfNotZero, .returnFromClause: starts.insert(index + 1)
            default: break
            }
        }
        let ordered = starts.filter { $0 < max(instructions.count, 1) }.sorted()
        ranges = ordered.enumerated().map { position, start in start..<(position + 1 < ordered.count ? ordered[position + 1] : instructions.count) }
        var blockOfLabel: [Label: Int] = [:]
        for (block, range) in ranges.enumerated() {
            if let first = range.first, case .label(let label) = instructions[first] { blockOfLabel[label] = block }
        }
        predecessors = Array(repeating: [], count: ranges.count)
        for (block, range) in ranges.enumerated() {
            let next = block + 1 < ranges.count ? block + 1 : nil
            guard let last = range.last else {
                if let next { predecessors[next].append(block) }
                continue
            }
            switch instructions[last] {
            case .jump(let label):
                if let target = blockOfLabel[label] { predecessors[target].append(block) }
            case .branchIfZero(_, let label), .branchIfNotZero(_, let label):
                if let target = blockOfLabel[label] { predecessors[target].append(block) }
                if let next { predecessors[next].append(block) }
            case .returnFromClause: break
            default: if let next { predecessors[next].append(block) }
            }
        }
    }
}

extension Instruction {
    /// The instruction with each register it reads renamed (the one it writes kept).
    func renamingReads(_ rename: (Register) -> Register) -> Instruction {
        switch self {
        case .constant, .address, .jump, .label, .returnFromClause: return self
        case .move(let dst, let src): return .move(dst, rename(src))
        case .arithmetic(let op, let dst, let lhs, let rhs): return .arithmetic(op, dst, rename(lhs), rename(rhs))
        case .compare(let op, let dst, let lhs, let rhs): return .compare(op, dst, rename(lhs), rename(rhs))
        case .unary(let op, let dst, let src): return .unary(op, dst, rename(src))
        case .extend(let dst, let src, let bits, let signed): return .extend(dst, rename(src), bits: bits, signed: signed)
        case .load(let dst, let base, let offset, let width, let space): return .load(dst, base: rename(base), offset: offset, width: width, space: space)
        case .store(let base, let offset, let value, let width, let space):
            return .store(base: rename(base), offset: offset, value: rename(value), width: width, space: space)
        case .branchIfZero(let tested, let label): return .branchIfZero(rename(tested), label)
        case .branchIfNotZero(let tested, let label): return .branchIfNotZero(rename(tested), label)
        case .call(let helper, let result, let arguments): return .call(helper, result: result, arguments: arguments.map(rename))
        case .checkNonZero(let checked, let kind): return .checkNonZero(rename(checked), kind)
        case .checkBounds(let index, let limit, let address, let kind): return .checkBounds(rename(index), limit: limit, address: rename(address), kind: kind)
        }
    }
}
