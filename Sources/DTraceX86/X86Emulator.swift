// DTraceX86/X86Emulator: executing one decoded instruction in the tracer instead of the
// tracee — what a ptrace engine does with the instruction an int3 breakpoint displaced,
// so the breakpoint can stay in place while other threads run. It covers the instructions
// that sit at probe sites (prologue pushes and stack adjustments, moves, lea, the common
// integer arithmetic with its flags, nops and endbr64, relative and indirect jumps and
// calls, conditional branches, ret, leave) and does exactly what the CPU does for them;
// anything else, and any encoding it is not sure of, it declines (`.notEmulated`) and the
// engine steps that instruction out of line instead (OutOfLineCopy.swift). Memory goes
// through `X86Memory`, which the engine implements over the tracee and tests over a fake.
//
// An instruction either completes or changes nothing: every memory read comes before the
// single memory write an instruction may make, and the registers are written back only
// when everything succeeded.

/// The tracee's memory as the emulator sees it. The engine implements it with
/// process_vm_readv/process_vm_writev, which honour page protections as the CPU does
/// (writes through /proc/PID/mem would not: they succeed on read-only pages); tests with
/// an in-memory fake.
public protocol X86Memory {
    /// `count` bytes at `address`, or nil when any of them cannot be read.
    func read(address: UInt64, count: Int) -> [UInt8]?
    /// Writes `bytes` at `address`; false when they could not all be written. (An
    /// implementation should check the whole range before writing any of it, as the CPU
    /// does; an emulated instruction writes at most once, after all its reads.)
    func write(address: UInt64, bytes: [UInt8]) -> Bool
}

/// What `X86Emulator.emulate` did.
public enum EmulationResult: Sendable, Equatable, Hashable {
    /// Executed: registers and memory are as the CPU would have left them, rip advanced
    /// past the instruction or set to the branch target.
    case emulated
    /// Not emulated, nothing changed: the engine must execute the instruction itself
    /// (out of line, see `OutOfLineCopy`).
    case notEmulated
    /// The instruction faults, nothing changed: a memory access at `address` (the first
    /// byte of the access) could not be made, or a branch target at `address` is not a
    /// canonical address (the CPU raises #GP on the branch). The tracee would get SIGSEGV.
    case fault(address: UInt64)
}

/// The emulator for displaced probe-site instructions (64-bit mode, user code).
///
/// Emulated (with any REX prefix, the `66` operand-size prefix where it changes the
/// operand size, and the segment prefixes — CS/DS/ES/SS, which 64-bit mode ignores, and
/// FS/GS, whose bases from `X86Registers` are added to memory operands):
/// - `nop` (`90`, `66 90`, `f3 90` pause), multi-byte `0f 1f /0`, `endbr64`, and
///   `xchg` of a register with rAX (`91`–`97`, `41 90`);
/// - `push r`, `pop r`, `push imm8`/`imm32`, `push r/m` (`ff /6`), 16 or 64 bits;
/// - `mov` (`88`, `89`, `8a`, `8b`, `c6 /0`, `c7 /0`, `b0`–`bf`), `movzx`/`movsx`
///   (`0f b6`/`b7`/`be`/`bf`), `movsxd` with REX.W (`63`), `lea` (`8d`); 32-bit register
///   results zero-extend to 64 bits, 8- and 16-bit ones keep the rest;
/// - add, or, adc, sbb, and, sub, xor, cmp in every form (`00`–`3d`, groups `80`, `81`,
///   `83`), `test` (`84`, `85`, `a8`, `a9`, `f6 /0`, `f7 /0`), `inc`/`dec` (`fe`, `ff`
///   `/0 /1`), with CF, PF, AF, ZF, SF and OF as the CPU sets them (AF cleared where the
///   manuals leave it undefined: and, or, xor, test);
/// - `jmp` rel8/rel32, `call` rel32, `jcc` rel8/rel32 (all sixteen conditions),
///   `loop`/`loope`/`loopne`/`jrcxz`, `call`/`jmp` r/m64 (`ff /2`, `ff /4`), `ret`,
///   `ret imm16`, `leave`; the `f2` (bnd) and `f3` prefixes branches ignore are accepted.
///
/// Not emulated: `lock`, the `67` address-size prefix, branches with `66` (Intel and AMD
/// disagree), anything VEX/EVEX/XOP-encoded, and every other opcode or ModRM form.
/// Branch targets that are canonical only with 5-level paging (bits 47–56 not a sign
/// extension of bit 47, bits 57–63 of bit 56) are not emulated either; other non-canonical
/// targets fault.
///
/// Calls and returns are emulated on the ordinary stack only: a tracee running with CET
/// shadow stacks (x86_Thread_features: shstk) needs its shadow stack updated too, which
/// this does not do.
public enum X86Emulator {
    /// Emulates `instruction`, which sits at `address`, on `registers` and `memory`.
    /// `registers.rip` is not read (the instruction is at `address`); it is set on success.
    public static func emulate(_ instruction: X86Instruction, at address: UInt64,
                               registers: inout X86Registers, memory: some X86Memory) -> EmulationResult {
        // Only what the decoder produces: 1...15 bytes, `length` of them.
        guard (1...X86Decoder.maximumInstructionLength).contains(instruction.length),
              instruction.bytes.count == instruction.length,
              let prefixes = PrefixSummary(instruction) else { return .notEmulated }
        var machine = EmulatedInstruction(instruction: instruction, address: address, prefixes: prefixes,
                                          registers: registers, memory: memory)
        do {
            try machine.execute()
        } catch {
            switch error {
            case .notEmulated: return .notEmulated
            case .fault(let faultAddress): return .fault(address: faultAddress)
            }
        }
        registers = machine.registers
        return .emulated
    }

    /// Decodes the instruction at the start of `bytes` and emulates it (`.notEmulated`
    /// when the bytes do not decode).
    public static func emulate(bytes: [UInt8], at address: UInt64,
                               registers: inout X86Registers, memory: some X86Memory) -> EmulationResult {
        switch X86Decoder.decode(bytes) {
        case .success(let instruction):
            return emulate(instruction, at: address, registers: &registers, memory: memory)
        case .failure:
            return .notEmulated
        }
    }

    /// Whether a jump to `address` can complete: the address is canonical for 4-level
    /// paging (bits 63–47 all equal).
    static func isCanonical48(_ address: UInt64) -> Bool {
        let top = Int64(bitPattern: address) >> 47
        return top == 0 || top == -1
    }

    /// Whether `address` is canonical for 5-level paging (bits 63–56 all equal).
    static func isCanonical57(_ address: UInt64) -> Bool {
        let top = Int64(bitPattern: address) >> 56
        return top == 0 || top == -1
    }
}

/// Why emulation stopped early.
enum EmulationStop: Error {
    case notEmulated
    case fault(UInt64)
}

/// The legacy prefixes of an instruction, summarised; nil when one makes the instruction
/// something the emulator never takes (lock, 67, conflicting FS/GS overrides, VEX/EVEX/XOP).
struct PrefixSummary {
    /// `66` is present.
    var operandSizeOverride = false
    /// The last of `f2`/`f3`, if any.
    var repeatPrefix: UInt8?
    /// The FS or GS override, if any.
    var segment: Segment?

    enum Segment { case fs, gs }

    init?(_ instruction: X86Instruction) {
        guard instruction.vectorEncoding == nil else { return nil }
        var segmentPrefixes: Set<UInt8> = []
        for prefix in instruction.prefixes {
            switch prefix {
            case 0x66: operandSizeOverride = true
            case 0xF2, 0xF3: repeatPrefix = prefix
            case 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65: segmentPrefixes.insert(prefix)
            default: return nil // F0 lock, 67 address size
            }
        }
        if segmentPrefixes.contains(0x64) || segmentPrefixes.contains(0x65) {
            // Which of several overrides wins is not architectural; take only one.
            guard segmentPrefixes.count == 1 else { return nil }
            segment = segmentPrefixes.contains(0x64) ? .fs : .gs
        }
    }
}

/// Where an operand is.
enum OperandLocation {
    /// A general register by encoding number (its low 8, 16, 32 or all 64 bits).
    case register(Int)
    /// AH, CH, DH or BH: bits 8–15 of register 0–3 (byte operands without REX).
    case highByte(Int)
    /// Memory at this (linear) address.
    case memory(UInt64)
}

/// The arithmetic and logic operations of opcodes `00`–`3d` and groups `80`–`83`, in
/// encoding order (opcode bits 3–5, or ModRM.reg).
enum ArithmeticOperation: Int {
    case add = 0, or, adc, sbb, and, sub, xor, cmp
}

/// One instruction being emulated on a copy of the registers.
struct EmulatedInstruction<Memory: X86Memory> {
    let instruction: X86Instruction
    let address: UInt64
    let prefixes: PrefixSummary
    var registers: X86Registers
    let memory: Memory

    init(instruction: X86Instruction, address: UInt64, prefixes: PrefixSummary, registers: X86Registers, memory: Memory) {
        self.instruction = instruction
        self.address = address
        self.prefixes = prefixes
        self.registers = registers
        self.memory = memory
    }

    /// The address after the instruction.
    var nextAddress: UInt64 { address &+ UInt64(truncatingIfNeeded: instruction.length) }

    var rex: UInt8 { instruction.rex ?? 0 }
    var rexW: Bool { rex & 0x08 != 0 }
    var rexR: Int { rex & 0x04 != 0 ? 8 : 0 }
    var rexX: Int { rex & 0x02 != 0 ? 8 : 0 }
    var rexB: Int { rex & 0x01 != 0 ? 8 : 0 }

    /// The operand size of a "v" operand in bytes: 8 with REX.W, 2 with 66, else 4.
    var operandSize: Int { rexW ? 8 : prefixes.operandSizeOverride ? 2 : 4 }
    /// The operand size of push and pop: 8, or 2 with 66 (REX.W wins).
    var stackOperandSize: Int { !rexW && prefixes.operandSizeOverride ? 2 : 8 }

    // MARK: Dispatch

    mutating func execute() throws(EmulationStop) {
        switch instruction.opcodeMap {
        case .primary: try executePrimary()
        case .twoByte: try executeTwoByte()
        default: throw .notEmulated
        }
    }

    mutating func executePrimary() throws(EmulationStop) {
        let opcode = instruction.opcode
        switch opcode {
        case 0x00...0x3F where opcode & 7 < 6:
            try requireNoRepeatPrefix()
            try arithmeticForm(opcode)
        case 0x50...0x57:
            try requireNoRepeatPrefix()
            try pushRegister(Int(opcode & 7) | rexB)
        case 0x58...0x5F:
            try requireNoRepeatPrefix()
            try popRegister(Int(opcode & 7) | rexB)
        case 0x63:
            // movsxd r64, r/m32; without REX.W its behaviour differs between manuals.
            try requireNoRepeatPrefix()
            guard rexW else { throw .notEmulated }
            let source = try readOperand(try rmLocation(size: 4), size: 4)
            registers[regNumber] = signExtend(source, size: 4)
            registers.rip = nextAddress
        case 0x68, 0x6A:
            try requireNoRepeatPrefix()
            let size = stackOperandSize
            guard let immediate = instruction.immediate,
                  instruction.immediateSize == (opcode == 0x6A ? 1 : min(size, 4)) else { throw .notEmulated }
            try push(UInt64(bitPattern: immediate), size: size)
            registers.rip = nextAddress
        case 0x70...0x7F:
            try conditionalBranch()
        case 0x80, 0x81, 0x83:
            try requireNoRepeatPrefix()
            try arithmeticGroup(opcode)
        case 0x84, 0x85:
            try requireNoRepeatPrefix()
            let size = opcode == 0x84 ? 1 : operandSize
            let left = try readOperand(try rmLocation(size: size), size: size)
            let right = try readOperand(regLocation(size: size), size: size)
            setFlags(logicFlags(left & right, size: size))
            registers.rip = nextAddress
        case 0x88...0x8B:
            try requireNoRepeatPrefix()
            let size = opcode & 1 == 0 ? 1 : operandSize
            let rm = try rmLocation(size: size)
            let reg = regLocation(size: size)
            if opcode & 2 == 0 {
                try write(try readOperand(reg, size: size), to: rm, size: size)
            } else {
                try write(try readOperand(rm, size: size), to: reg, size: size)
            }
            registers.rip = nextAddress
        case 0x8D:
            try requireNoRepeatPrefix()
            guard let mod = instruction.modRMMod, mod != 3 else { throw .notEmulated }
            // lea computes the offset: segment bases are not added.
            let offset = try effectiveOffset()
            try write(offset, to: .register(regNumber), size: operandSize)
            registers.rip = nextAddress
        case 0x90...0x97:
            try exchangeWithAccumulator()
        case 0xA8, 0xA9:
            try requireNoRepeatPrefix()
            let size = opcode == 0xA8 ? 1 : operandSize
            let immediate = try immediateOperand(size: size)
            setFlags(logicFlags(registers.rax & immediate & mask(size), size: size))
            registers.rip = nextAddress
        case 0xB0...0xB7:
            try requireNoRepeatPrefix()
            let immediate = try immediateOperand(size: 1)
            try write(immediate, to: byteRegisterLocation(Int(opcode & 7) | rexB), size: 1)
            registers.rip = nextAddress
        case 0xB8...0xBF:
            try requireNoRepeatPrefix()
            let size = operandSize
            guard let immediate = instruction.immediate, instruction.immediateSize == size else { throw .notEmulated }
            try write(UInt64(bitPattern: immediate), to: .register(Int(opcode & 7) | rexB), size: size)
            registers.rip = nextAddress
        case 0xC2, 0xC3:
            try requireNoOperandSizeOverride()
            let release = opcode == 0xC2 ? UInt64(UInt16(truncatingIfNeeded: instruction.immediate ?? 0)) : 0
            let target = try readMemory(registers.rsp, size: 8)
            try checkBranchTarget(target)
            registers.rsp = registers.rsp &+ 8 &+ release
            registers.rip = target
        case 0xC6, 0xC7:
            try requireNoRepeatPrefix()
            guard instruction.modRMReg == 0 else { throw .notEmulated }
            let size = opcode == 0xC6 ? 1 : operandSize
            let immediate = try immediateOperand(size: size)
            try write(immediate, to: try rmLocation(size: size), size: size)
            registers.rip = nextAddress
        case 0xC9:
            try requireNoRepeatPrefix()
            try requireNoOperandSizeOverride()
            let savedFramePointer = try readMemory(registers.rbp, size: 8)
            registers.rsp = registers.rbp &+ 8
            registers.rbp = savedFramePointer
            registers.rip = nextAddress
        case 0xE0...0xE3:
            try loopBranch()
        case 0xE8:
            try requireNoOperandSizeOverride()
            guard let target = instruction.branchTarget(at: address) else { throw .notEmulated }
            try checkBranchTarget(target)
            try push(nextAddress, size: 8)
            registers.rip = target
        case 0xE9, 0xEB:
            try requireNoOperandSizeOverride()
            guard let target = instruction.branchTarget(at: address) else { throw .notEmulated }
            try checkBranchTarget(target)
            registers.rip = target
        case 0xF6, 0xF7:
            try requireNoRepeatPrefix()
            guard let reg = instruction.modRMReg, reg <= 1 else { throw .notEmulated }
            let size = opcode == 0xF6 ? 1 : operandSize
            let immediate = try immediateOperand(size: size)
            let value = try readOperand(try rmLocation(size: size), size: size)
            setFlags(logicFlags(value & immediate, size: size))
            registers.rip = nextAddress
        case 0xFE, 0xFF:
            try groupFive(opcode)
        default:
            throw .notEmulated
        }
    }

    mutating func executeTwoByte() throws(EmulationStop) {
        let opcode = instruction.opcode
        switch opcode {
        case 0x1E:
            guard instruction.isEndbr64 else { throw .notEmulated }
            registers.rip = nextAddress
        case 0x1F:
            try requireNoRepeatPrefix()
            guard instruction.modRMReg == 0 else { throw .notEmulated }
            registers.rip = nextAddress
        case 0x80...0x8F:
            try conditionalBranch()
        case 0xB6, 0xB7, 0xBE, 0xBF:
            try requireNoRepeatPrefix()
            let sourceSize = opcode & 1 == 0 ? 1 : 2
            let source = try readOperand(try rmLocation(size: sourceSize), size: sourceSize)
            let value = opcode < 0xB8 ? source : signExtend(source, size: sourceSize)
            try write(value, to: .register(regNumber), size: operandSize)
            registers.rip = nextAddress
        default:
            throw .notEmulated
        }
    }

    // MARK: Prefix checks

    func requireNoRepeatPrefix() throws(EmulationStop) {
        if prefixes.repeatPrefix != nil { throw .notEmulated }
    }

    func requireNoOperandSizeOverride() throws(EmulationStop) {
        if prefixes.operandSizeOverride { throw .notEmulated }
    }

    // MARK: Instruction families

    /// `00`–`3d`: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz.
    mutating func arithmeticForm(_ opcode: UInt8) throws(EmulationStop) {
        guard let operation = ArithmeticOperation(rawValue: Int(opcode >> 3)) else { throw .notEmulated }
        let form = opcode & 7
        let size = form & 1 == 0 ? 1 : operandSize
        let destination: OperandLocation
        let source: UInt64
        switch form {
        case 0, 1:
            destination = try rmLocation(size: size)
            source = try readOperand(regLocation(size: size), size: size)
        case 2, 3:
            destination = regLocation(size: size)
            source = try readOperand(try rmLocation(size: size), size: size)
        default:
            destination = .register(0)
            source = try immediateOperand(size: size)
        }
        try arithmetic(operation, destination: destination, source: source, size: size)
        registers.rip = nextAddress
    }

    /// `80` Eb,Ib; `81` Ev,Iz; `83` Ev,Ib sign-extended.
    mutating func arithmeticGroup(_ opcode: UInt8) throws(EmulationStop) {
        guard let reg = instruction.modRMReg, let operation = ArithmeticOperation(rawValue: Int(reg)) else {
            throw .notEmulated
        }
        let size = opcode == 0x80 ? 1 : operandSize
        let destination = try rmLocation(size: size)
        let source: UInt64
        if opcode == 0x83 {
            guard let immediate = instruction.immediate, instruction.immediateSize == 1 else { throw .notEmulated }
            source = UInt64(bitPattern: immediate) & mask(size)
        } else {
            source = try immediateOperand(size: size)
        }
        try arithmetic(operation, destination: destination, source: source, size: size)
        registers.rip = nextAddress
    }

    /// Reads the destination, computes, sets the flags and (except cmp) writes the result.
    mutating func arithmetic(_ operation: ArithmeticOperation, destination: OperandLocation,
                             source: UInt64, size: Int) throws(EmulationStop) {
        let left = try readOperand(destination, size: size)
        let carryIn: UInt64 = registers.isSet(.carry) ? 1 : 0
        let outcome: (result: UInt64, flags: UInt64)
        switch operation {
        case .add: outcome = addFlags(left, source, carry: 0, size: size)
        case .adc: outcome = addFlags(left, source, carry: carryIn, size: size)
        case .sub, .cmp: outcome = subtractFlags(left, source, borrow: 0, size: size)
        case .sbb: outcome = subtractFlags(left, source, borrow: carryIn, size: size)
        case .and: outcome = (left & source, logicFlags(left & source, size: size))
        case .or: outcome = (left | source, logicFlags(left | source, size: size))
        case .xor: outcome = (left ^ source, logicFlags(left ^ source, size: size))
        }
        if operation != .cmp {
            try write(outcome.result, to: destination, size: size)
        }
        setFlags(outcome.flags)
    }

    /// `fe` /0 /1 (inc, dec Eb); `ff` /0 /1 (inc, dec Ev), /2 call, /4 jmp, /6 push.
    mutating func groupFive(_ opcode: UInt8) throws(EmulationStop) {
        guard let reg = instruction.modRMReg else { throw .notEmulated }
        switch reg {
        case 0, 1:
            try requireNoRepeatPrefix()
            let size = opcode == 0xFE ? 1 : operandSize
            let destination = try rmLocation(size: size)
            let value = try readOperand(destination, size: size)
            let outcome = reg == 0 ? addFlags(value, 1, carry: 0, size: size) : subtractFlags(value, 1, borrow: 0, size: size)
            try write(outcome.result, to: destination, size: size)
            // inc and dec leave CF alone.
            let carry = registers.rflags & X86Registers.Flag.carry.rawValue
            setFlags((outcome.flags & ~X86Registers.Flag.carry.rawValue) | carry)
            registers.rip = nextAddress
        case 2 where opcode == 0xFF, 4 where opcode == 0xFF:
            try requireNoOperandSizeOverride()
            let target = try readOperand(try rmLocation(size: 8), size: 8)
            try checkBranchTarget(target)
            if reg == 2 {
                try push(nextAddress, size: 8)
            }
            registers.rip = target
        case 6 where opcode == 0xFF:
            try requireNoRepeatPrefix()
            let size = stackOperandSize
            // The operand's address uses rsp before the push.
            let value = try readOperand(try rmLocation(size: size), size: size)
            try push(value, size: size)
            registers.rip = nextAddress
        default:
            throw .notEmulated
        }
    }

    /// `50`+r.
    mutating func pushRegister(_ number: Int) throws(EmulationStop) {
        let size = stackOperandSize
        try push(registers[number] & mask(size), size: size)
        registers.rip = nextAddress
    }

    /// `58`+r. The stack pointer moves before the value is written, so `pop %rsp` loads
    /// the popped value and `pop %sp` puts it in the low 16 bits of the moved pointer.
    mutating func popRegister(_ number: Int) throws(EmulationStop) {
        let size = stackOperandSize
        let value = try readMemory(registers.rsp, size: size)
        registers.rsp = registers.rsp &+ UInt64(size)
        try write(value, to: .register(number), size: size)
        registers.rip = nextAddress
    }

    /// `90`–`97`: nop (`90`, `66 90`, `f3 90` pause, REX.W `90`), or xchg with rAX.
    mutating func exchangeWithAccumulator() throws(EmulationStop) {
        let number = Int(instruction.opcode & 7) | rexB
        if number == 0 {
            // 90 is nop whatever the operand size (xchg %eax,%eax would clear the upper
            // half; 90 does not), and f3 90 is pause.
            if let repeatPrefix = prefixes.repeatPrefix, repeatPrefix != 0xF3 { throw .notEmulated }
            registers.rip = nextAddress
            return
        }
        try requireNoRepeatPrefix()
        let size = operandSize
        let accumulator = registers.rax
        let other = registers[number]
        try write(other, to: .register(0), size: size)
        try write(accumulator, to: .register(number), size: size)
        registers.rip = nextAddress
    }

    /// `70`–`7f` rel8 and `0f 80`–`0f 8f` rel32.
    mutating func conditionalBranch() throws(EmulationStop) {
        try requireNoOperandSizeOverride()
        guard case .conditional(let condition, _)? = instruction.branch,
              let target = instruction.branchTarget(at: address) else { throw .notEmulated }
        if isTrue(condition) {
            try checkBranchTarget(target)
            registers.rip = target
        } else {
            registers.rip = nextAddress
        }
    }

    /// `e0`–`e3`: loopne, loope, loop (decrement rcx, branch if nonzero and the ZF
    /// condition holds), jrcxz (branch if rcx is zero). Flags are not changed.
    mutating func loopBranch() throws(EmulationStop) {
        try requireNoOperandSizeOverride()
        try requireNoRepeatPrefix()
        guard case .loop(let kind, _)? = instruction.branch,
              let target = instruction.branchTarget(at: address) else { throw .notEmulated }
        let zero = registers.isSet(.zero)
        let counter: UInt64
        let taken: Bool
        switch kind {
        case .jumpIfCounterZero:
            counter = registers.rcx
            taken = counter == 0
        case .loop:
            counter = registers.rcx &- 1
            taken = counter != 0
        case .loopWhileEqual:
            counter = registers.rcx &- 1
            taken = counter != 0 && zero
        case .loopWhileNotEqual:
            counter = registers.rcx &- 1
            taken = counter != 0 && !zero
        }
        if taken {
            try checkBranchTarget(target)
        }
        registers.rcx = counter
        registers.rip = taken ? target : nextAddress
    }

    /// Whether a condition code holds under the current flags.
    func isTrue(_ condition: ConditionCode) -> Bool {
        let carry = registers.isSet(.carry)
        let zero = registers.isSet(.zero)
        let sign = registers.isSet(.sign)
        let overflow = registers.isSet(.overflow)
        let parity = registers.isSet(.parity)
        let holds: Bool
        switch condition.rawValue >> 1 {
        case 0: holds = overflow
        case 1: holds = carry
        case 2: holds = zero
        case 3: holds = carry || zero
        case 4: holds = sign
        case 5: holds = parity
        case 6: holds = sign != overflow
        default: holds = zero || sign != overflow
        }
        return condition.rawValue & 1 == 0 ? holds : !holds
    }

    /// A branch to `target` completes only if it is canonical; a target canonical only
    /// under 5-level paging is left to the CPU.
    func checkBranchTarget(_ target: UInt64) throws(EmulationStop) {
        if X86Emulator.isCanonical48(target) { return }
        if X86Emulator.isCanonical57(target) { throw .notEmulated }
        throw .fault(target)
    }

    // MARK: Operands

    /// ModRM.reg with REX.R.
    var regNumber: Int { Int(instruction.modRMReg ?? 0) | rexR }

    /// The ModRM.reg operand of `size` bytes.
    func regLocation(size: Int) -> OperandLocation {
        size == 1 ? byteRegisterLocation(regNumber) : .register(regNumber)
    }

    /// A byte register by number: without REX, 4–7 are AH, CH, DH, BH; with any REX they
    /// are SPL, BPL, SIL, DIL.
    func byteRegisterLocation(_ number: Int) -> OperandLocation {
        if instruction.rex == nil && (4...7).contains(number) {
            return .highByte(number - 4)
        }
        return .register(number)
    }

    /// The ModRM.rm operand of `size` bytes: a register, or memory at the effective
    /// address plus the FS/GS base.
    func rmLocation(size: Int) throws(EmulationStop) -> OperandLocation {
        guard let modRM = instruction.modRM else { throw .notEmulated }
        if modRM >> 6 == 3 {
            let number = Int(modRM & 7) | rexB
            return size == 1 ? byteRegisterLocation(number) : .register(number)
        }
        var linear = try effectiveOffset()
        switch prefixes.segment {
        case .fs?: linear = linear &+ registers.fsBase
        case .gs?: linear = linear &+ registers.gsBase
        case nil: break
        }
        return .memory(linear)
    }

    /// The offset a ModRM memory operand names (base + index × scale + displacement, or
    /// RIP-relative), 64-bit addressing, without segment base.
    func effectiveOffset() throws(EmulationStop) -> UInt64 {
        guard let modRM = instruction.modRM, modRM >> 6 != 3 else { throw .notEmulated }
        if instruction.isRIPRelative {
            guard let target = instruction.ripRelativeTarget(at: address) else { throw .notEmulated }
            return target
        }
        let mod = modRM >> 6
        var offset = UInt64(bitPattern: instruction.displacement ?? 0)
        if modRM & 7 == 4 {
            guard let sib = instruction.sib else { throw .notEmulated }
            let index = Int((sib >> 3) & 7) | rexX
            if index != 4 {
                offset = offset &+ (registers[index] &<< UInt64(sib >> 6))
            }
            if !(sib & 7 == 5 && mod == 0) {
                offset = offset &+ registers[Int(sib & 7) | rexB]
            }
        } else {
            offset = offset &+ registers[Int(modRM & 7) | rexB]
        }
        return offset
    }

    /// The immediate as an operand of `size` bytes (iz: sign-extended imm32 for 8).
    func immediateOperand(size: Int) throws(EmulationStop) -> UInt64 {
        guard let immediate = instruction.immediate, instruction.immediateSize == min(size, 4) else {
            throw .notEmulated
        }
        return UInt64(bitPattern: immediate) & mask(size)
    }

    func readOperand(_ location: OperandLocation, size: Int) throws(EmulationStop) -> UInt64 {
        switch location {
        case .register(let number): return registers[number] & mask(size)
        case .highByte(let number): return (registers[number] >> 8) & 0xFF
        case .memory(let linear): return try readMemory(linear, size: size)
        }
    }

    /// Writes a result: 32-bit register results zero-extend, 8- and 16-bit ones merge.
    mutating func write(_ value: UInt64, to location: OperandLocation, size: Int) throws(EmulationStop) {
        switch location {
        case .register(let number):
            let old = registers[number]
            switch size {
            case 8: registers[number] = value
            case 4: registers[number] = value & 0xFFFF_FFFF
            default: registers[number] = (old & ~mask(size)) | (value & mask(size))
            }
        case .highByte(let number):
            registers[number] = (registers[number] & ~0xFF00) | ((value & 0xFF) << 8)
        case .memory(let linear):
            try writeMemory(linear, value: value, size: size)
        }
    }

    func readMemory(_ linear: UInt64, size: Int) throws(EmulationStop) -> UInt64 {
        guard let bytes = memory.read(address: linear, count: size), bytes.count == size else {
            throw .fault(linear)
        }
        var value: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            value |= UInt64(byte) << UInt64(8 * index)
        }
        return value
    }

    func writeMemory(_ linear: UInt64, value: UInt64, size: Int) throws(EmulationStop) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        for index in 0..<size {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * index)))
        }
        guard memory.write(address: linear, bytes: bytes) else { throw .fault(linear) }
    }

    /// Pushes `size` bytes (the last memory access of any instruction that pushes).
    mutating func push(_ value: UInt64, size: Int) throws(EmulationStop) {
        let top = registers.rsp &- UInt64(size)
        try writeMemory(top, value: value, size: size)
        registers.rsp = top
    }

    // MARK: Arithmetic and flags

    func mask(_ size: Int) -> UInt64 {
        size >= 8 ? ~0 : (1 << UInt64(8 * size)) &- 1
    }

    func signBit(_ size: Int) -> UInt64 {
        1 << UInt64(8 * size - 1)
    }

    func signExtend(_ value: UInt64, size: Int) -> UInt64 {
        let unused = UInt64(64 - 8 * size)
        return UInt64(bitPattern: Int64(bitPattern: value << unused) >> Int64(unused))
    }

    /// Replaces CF, PF, AF, ZF, SF and OF.
    mutating func setFlags(_ flags: UInt64) {
        let arithmetic = X86Registers.Flag.arithmetic.rawValue
        registers.rflags = (registers.rflags & ~arithmetic) | (flags & arithmetic)
    }

    /// PF, ZF and SF of a result.
    func resultFlags(_ result: UInt64, size: Int) -> UInt64 {
        var flags: UInt64 = 0
        if UInt8(truncatingIfNeeded: result).nonzeroBitCount & 1 == 0 { flags |= X86Registers.Flag.parity.rawValue }
        if result & mask(size) == 0 { flags |= X86Registers.Flag.zero.rawValue }
        if result & signBit(size) != 0 { flags |= X86Registers.Flag.sign.rawValue }
        return flags
    }

    /// and, or, xor, test: CF and OF clear, AF clear (undefined), PF ZF SF from the result.
    func logicFlags(_ result: UInt64, size: Int) -> UInt64 {
        resultFlags(result, size: size)
    }

    /// `left + right + carry` in `size` bytes, with its flags.
    func addFlags(_ left: UInt64, _ right: UInt64, carry: UInt64, size: Int) -> (result: UInt64, flags: UInt64) {
        let (partial, firstOverflow) = left.addingReportingOverflow(right)
        let (sum, secondOverflow) = partial.addingReportingOverflow(carry)
        let result = sum & mask(size)
        let carryOut = size >= 8 ? (firstOverflow || secondOverflow) : sum > mask(size)
        var flags = resultFlags(result, size: size)
        if carryOut { flags |= X86Registers.Flag.carry.rawValue }
        if (left ^ right ^ result) & 0x10 != 0 { flags |= X86Registers.Flag.adjust.rawValue }
        if (left ^ result) & (right ^ result) & signBit(size) != 0 { flags |= X86Registers.Flag.overflow.rawValue }
        return (result, flags)
    }

    /// `left - right - borrow` in `size` bytes, with its flags.
    func subtractFlags(_ left: UInt64, _ right: UInt64, borrow: UInt64, size: Int) -> (result: UInt64, flags: UInt64) {
        let result = (left &- right &- borrow) & mask(size)
        let borrowOut = right > left || (borrow != 0 && right == left)
        var flags = resultFlags(result, size: size)
        if borrowOut { flags |= X86Registers.Flag.carry.rawValue }
        if (left ^ right ^ result) & 0x10 != 0 { flags |= X86Registers.Flag.adjust.rawValue }
        if (left ^ right) & (left ^ result) & signBit(size) != 0 { flags |= X86Registers.Flag.overflow.rawValue }
        return (result, flags)
    }
}
