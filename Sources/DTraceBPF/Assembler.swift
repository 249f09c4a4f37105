// DTraceBPF/Assembler: builds BPF programs instruction by instruction with symbolic
// labels (forward or backward), 64-bit immediates and map references, then resolves
// every jump offset. Errors (an undefined label, a jump too far) are reported, never
// trapped on.

public struct BPFLabel: Hashable, Sendable { public let id: Int }

public enum BPFAssemblyError: Error, Equatable, CustomStringConvertible {
    case undefinedLabel(Int)
    case jumpTooFar(instruction: Int)
    case tooManyInstructions(Int)

    public var description: String {
        switch self {
        case .undefinedLabel(let id): return "label \(id) is not defined"
        case .jumpTooFar(let index): return "jump at instruction \(index) is out of range"
        case .tooManyInstructions(let count): return "program has \(count) instructions (the limit is 1000000)"
        }
    }
}

public struct BPFAssembler {
    public private(set) var instructions: [BPFInstruction] = []
    private var labelPositions: [Int: Int] = [:]
    private var fixups: [(instruction: Int, label: Int)] = []
    private var functionFixups: [(instruction: Int, label: Int)] = []
    private var nextLabel = 0

    public init() {}

    public var count: Int { instructions.count }

    public mutating func newLabel() -> BPFLabel { nextLabel += 1; return BPFLabel(id: nextLabel) }
    public mutating func bind(_ label: BPFLabel) { labelPositions[label.id] = instructions.count }

    public mutating func append(_ instruction: BPFInstruction) { instructions.append(instruction) }

    // MARK: ALU

    public mutating func alu64(_ operation: BPFALUOperation, _ dst: BPFRegister, _ src: BPFRegister) {
        append(BPFInstruction(opcode: BPFClass.alu64.rawValue | operation.rawValue | BPFSource.register.rawValue, destination: dst.rawValue, source: src.rawValue))
    }
    public mutating func alu64(_ operation: BPFALUOperation, _ dst: BPFRegister, immediate: Int32) {
        append(BPFInstruction(opcode: BPFClass.alu64.rawValue | operation.rawValue, destination: dst.rawValue, immediate: immediate))
    }
    public mutating func alu32(_ operation: BPFALUOperation, _ dst: BPFRegister, _ src: BPFRegister) {
        append(BPFInstruction(opcode: BPFClass.alu.rawValue | operation.rawValue | BPFSource.register.rawValue, destination: dst.rawValue, source: src.rawValue))
    }
    public mutating func move(_ dst: BPFRegister, _ src: BPFRegister) { alu64(.mov, dst, src) }
    public mutating func negate(_ dst: BPFRegister) {
        append(BPFInstruction(opcode: BPFClass.alu64.rawValue | BPFALUOperation.neg.rawValue, destination: dst.rawValue))
    }
    /// Converts to big endian (a byte swap on x86-64), zero-extending from `bits`.
    public mutating func toBigEndian(_ dst: BPFRegister, bits: Int32) {
        append(BPFInstruction(opcode: BPFClass.alu.rawValue | BPFALUOperation.end.rawValue | BPFSource.register.rawValue, destination: dst.rawValue, immediate: bits))
    }

    /// dst = value, in one instruction when it fits 32 signed bits, else a 64-bit load.
    public mutating func load(_ dst: BPFRegister, constant value: Int64) {
        if let small = Int32(exactly: value) {
            alu64(.mov, dst, immediate: small)
        } else {
            let bits = UInt64(bitPattern: value)
            append(BPFInstruction(opcode: 0x18, destination: dst.rawValue, immediate: Int32(bitPattern: UInt32(truncatingIfNeeded: bits))))
            append(BPFInstruction(opcode: 0, immediate: Int32(bitPattern: UInt32(truncatingIfNeeded: bits >> 32))))
        }
    }

    /// dst = address of the map with this file descriptor (resolved by the kernel at load).
    public mutating func load(_ dst: BPFRegister, mapDescriptor: Int32) {
        append(BPFInstruction(opcode: 0x18, destination: dst.rawValue, source: BPFInstruction.pseudoMapDescriptor, immediate: mapDescriptor))
        append(BPFInstruction(opcode: 0))
    }

    /// dst = the address of byte `offset` of the first value of the array map with this file
    /// descriptor, with no lookup at run time (the kernel resolves it at load).
    public mutating func load(_ dst: BPFRegister, mapValue mapDescriptor: Int32, offset: Int32 = 0) {
        append(BPFInstruction(opcode: 0x18, destination: dst.rawValue, source: BPFInstruction.pseudoMapValue, immediate: mapDescriptor))
        append(BPFInstruction(opcode: 0, immediate: offset))
    }

    /// dst = the address of the subprogram at `label` (a callback for bpf_loop).
    public mutating func load(_ dst: BPFRegister, function label: BPFLabel) {
        functionFixups.append((instructions.count, label.id))
        append(BPFInstruction(opcode: 0x18, destination: dst.rawValue, source: BPFInstruction.pseudoFunction))
        append(BPFInstruction(opcode: 0))
    }

    // MARK: memory

    public mutating func load(_ dst: BPFRegister, from base: BPFRegister, offset: Int16, size: BPFSize) {
        append(BPFInstruction(opcode: BPFClass.ldx.rawValue | BPFMode.mem.rawValue | size.rawValue, destination: dst.rawValue, source: base.rawValue, offset: offset))
    }
    public mutating func store(_ src: BPFRegister, to base: BPFRegister, offset: Int16, size: BPFSize) {
        append(BPFInstruction(opcode: BPFClass.stx.rawValue | BPFMode.mem.rawValue | size.rawValue, destination: base.rawValue, source: src.rawValue, offset: offset))
    }
    public mutating func store(immediate: Int32, to base: BPFRegister, offset: Int16, size: BPFSize) {
        append(BPFInstruction(opcode: BPFClass.st.rawValue | BPFMode.mem.rawValue | size.rawValue, destination: base.rawValue, offset: offset, immediate: immediate))
    }

    /// r0 = atomic compare-and-exchange of the u64 at base + offset: it becomes `new`
    /// when it equals r0; r0 is left holding the old value (BPF_ATOMIC | BPF_CMPXCHG).
    public mutating func atomicCompareExchange(base: BPFRegister, offset: Int16, new: BPFRegister) {
        append(BPFInstruction(opcode: BPFClass.stx.rawValue | 0xc0 | BPFSize.double.rawValue, destination: base.rawValue, source: new.rawValue, offset: offset, immediate: 0xf1))
    }

    /// Atomically adds `value` to the u64 at base + offset; `value` is left holding the
    /// old one (BPF_ATOMIC | BPF_ADD | BPF_FETCH).
    /// `*(u64 *)(base + offset) += value`, atomically (BPF_ADD without BPF_FETCH: any kernel
    /// with BPF, where the fetching form needs Linux 5.12).
    public mutating func atomicAdd(base: BPFRegister, offset: Int16, value: BPFRegister) {
        append(BPFInstruction(opcode: BPFClass.stx.rawValue | 0xc0 | BPFSize.double.rawValue, destination: base.rawValue, source: value.rawValue, offset: offset, immediate: 0x00))
    }

    public mutating func atomicFetchAdd(base: BPFRegister, offset: Int16, value: BPFRegister) {
        append(BPFInstruction(opcode: BPFClass.stx.rawValue | 0xc0 | BPFSize.double.rawValue, destination: base.rawValue, source: value.rawValue, offset: offset, immediate: 0x01))
    }

    // MARK: control flow

    public mutating func jump(_ label: BPFLabel) {
        fixups.append((instructions.count, label.id))
        append(BPFInstruction(opcode: BPFClass.jmp.rawValue | BPFJumpOperation.ja.rawValue))
    }
    public mutating func jump(_ operation: BPFJumpOperation, _ dst: BPFRegister, immediate: Int32, _ label: BPFLabel) {
        fixups.append((instructions.count, label.id))
        append(BPFInstruction(opcode: BPFClass.jmp.rawValue | operation.rawValue, destination: dst.rawValue, immediate: immediate))
    }
    public mutating func jump(_ operation: BPFJumpOperation, _ dst: BPFRegister, _ src: BPFRegister, _ label: BPFLabel) {
        fixups.append((instructions.count, label.id))
        append(BPFInstruction(opcode: BPFClass.jmp.rawValue | operation.rawValue | BPFSource.register.rawValue, destination: dst.rawValue, source: src.rawValue))
    }
    /// A conditional jump over the next `skip` instructions.
    public mutating func skip(_ skip: Int16, if operation: BPFJumpOperation, _ dst: BPFRegister, immediate: Int32) {
        append(BPFInstruction(opcode: BPFClass.jmp.rawValue | operation.rawValue, destination: dst.rawValue, offset: skip, immediate: immediate))
    }
    public mutating func skip(_ skip: Int16, if operation: BPFJumpOperation, _ dst: BPFRegister, _ src: BPFRegister) {
        append(BPFInstruction(opcode: BPFClass.jmp.rawValue | operation.rawValue | BPFSource.register.rawValue, destination: dst.rawValue, source: src.rawValue, offset: skip))
    }
    public mutating func call(_ helper: BPFHelper) {
        append(BPFInstruction(opcode: BPFClass.jmp.rawValue | BPFJumpOperation.call.rawValue, immediate: helper.rawValue))
    }
    public mutating func exit() { append(BPFInstruction(opcode: BPFClass.jmp.rawValue | BPFJumpOperation.exit.rawValue)) }

    /// The finished program with every jump resolved.
    public func assemble() throws(BPFAssemblyError) -> [BPFInstruction] {
        if instructions.count > 1_000_000 { throw .tooManyInstructions(instructions.count) }
        var result = instructions
        for fixup in fixups {
            guard let target = labelPositions[fixup.label] else { throw .undefinedLabel(fixup.label) }
            let distance = target - fixup.instruction - 1
            guard let offset = Int16(exactly: distance) else { throw .jumpTooFar(instruction: fixup.instruction) }
            result[fixup.instruction].offset = offset
        }
        for fixup in functionFixups {
            guard let target = labelPositions[fixup.label] else { throw .undefinedLabel(fixup.label) }
            result[fixup.instruction].immediate = Int32(target - fixup.instruction - 1)
        }
        return result
    }
}
