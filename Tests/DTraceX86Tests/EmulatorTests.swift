// DTraceX86Tests/EmulatorTests: X86Emulator against real execution. For each class of
// probe-site instruction — stack pushes and pops, moves, movzx/movsx, lea, arithmetic in
// register, memory and immediate forms, test, inc/dec, nops and xchg, relative branches,
// returns and indirect branches, FS/GS memory operands — thousands of seeded random
// encodings (prefixes, REX bits, every ModRM/SIB form, RIP-relative) with random
// registers, flags and memory run both in the emulator and on the CPU
// (ExecutionOracle.swift, workload/x86-oracle.c); registers, the flags the instruction
// defines, memory and faults must agree. A prefix fuzz checks that whatever the emulator
// accepts among odd prefix combinations is right too, and random bytes never trap it.
// Without a C compiler the differential tests fail (they are the point of the emulator).

@testable import DTraceX86
import Testing

/// Undefined flags: AF after and, or, xor and test.
func logicAdjustFlag(_ instruction: X86Instruction) -> UInt64 {
    let opcode = instruction.opcode
    guard instruction.opcodeMap == .primary else { return 0 }
    let isLogic: Bool
    switch opcode {
    case 0x00...0x3F: isLogic = [1, 4, 6].contains(opcode >> 3)
    case 0x80, 0x81, 0x83: isLogic = [1, 4, 6].contains(instruction.modRMReg ?? 0)
    case 0x84, 0x85, 0xA8, 0xA9, 0xF6, 0xF7: isLogic = true
    default: isLogic = false
    }
    return isLogic ? X86Registers.Flag.adjust.rawValue : 0
}

extension CaseGenerator {
    mutating func operandSize() -> Int { pick([2, 4, 4, 8, 8]) }

    /// push r, pop r, push imm8, push imm32, push r/m.
    mutating func stackCase() -> OracleCase {
        let size = chance(85) ? 8 : 2
        let prefixes = size == 2 ? [0x66] + rex(w: false) : (chance(10) ? [0x66] : []) + rex(w: chance(30))
        let imm32Size = prefixes.contains(0x66) && !prefixes.contains(where: { $0 & 0xF8 == 0x48 }) ? 2 : 4
        switch below(5) {
        case 0: return makeCase(prefixes + [0x50 | UInt8(below(8))])
        case 1:
            var oracleCase = makeCase(prefixes + [0x58 | UInt8(below(8))])
            if chance(30) { oracleCase.registers.rsp = oracleCase.registers.rsp & ~7 }
            return oracleCase
        case 2: return makeCase(prefixes + [0x6A] + immediate(count: 1))
        case 3: return makeCase(prefixes + [0x68] + immediate(count: imm32Size))
        default: return makeCase(prefixes + [0xFF] + modRM(reg: 6))
        }
    }

    /// mov 88/89/8a/8b, c6/c7 /0, b0-bf.
    mutating func moveCase() -> OracleCase {
        let size = operandSize()
        let prefixes = sizePrefixes(size)
        let immediateSize = min(size, 4)
        switch below(7) {
        case 0: return makeCase(prefixes + [pick([0x88, 0x8A])] + modRM(reg: UInt8(below(8))), size: 1)
        case 1, 2: return makeCase(prefixes + [pick([0x89, 0x8B])] + modRM(reg: UInt8(below(8))), size: UInt64(size))
        case 3: return makeCase(prefixes + [0xC6] + modRM(reg: 0) + immediate(count: 1), size: 1)
        case 4: return makeCase(prefixes + [0xC7] + modRM(reg: 0) + immediate(count: immediateSize), size: UInt64(size))
        case 5: return makeCase(prefixes + [0xB0 | UInt8(below(8))] + immediate(count: 1))
        default: return makeCase(prefixes + [0xB8 | UInt8(below(8))] + immediate(count: size))
        }
    }

    /// movzx, movsx (0f b6 b7 be bf), movsxd (REX.W 63).
    mutating func extendCase() -> OracleCase {
        if chance(20) {
            return makeCase(rex(w: true) + [0x63] + modRM(reg: UInt8(below(8))), size: 4)
        }
        let opcode: UInt8 = pick([0xB6, 0xB7, 0xBE, 0xBF])
        return makeCase(sizePrefixes(operandSize()) + [0x0F, opcode] + modRM(reg: UInt8(below(8))), size: opcode & 1 == 0 ? 1 : 2)
    }

    /// lea with every addressing form and operand size (segment prefixes ignored).
    mutating func leaCase() -> OracleCase {
        var prefixes = sizePrefixes(operandSize())
        if chance(10) {
            prefixes = [pick([0x64, 0x65])] + prefixes.filter { ![0x2E, 0x3E, 0x26, 0x36].contains($0) }
        }
        return makeCase(prefixes + [0x8D] + modRM(reg: UInt8(below(8)), registerForm: false))
    }

    /// add or adc sbb and sub xor cmp: Eb,Gb Ev,Gv Gb,Eb Gv,Ev AL,Ib rAX,Iz.
    mutating func arithmeticCase() -> OracleCase {
        let operation = UInt8(below(8))
        let form = UInt8(below(6))
        let size = form & 1 == 0 ? 1 : operandSize()
        let prefixes = form & 1 == 0 ? (chance(20) ? [0x66] : []) + rex(w: chance(20)) : sizePrefixes(size)
        let opcode = operation << 3 | form
        switch form {
        case 4: return makeCase(prefixes + [opcode] + immediate(count: 1))
        case 5: return makeCase(prefixes + [opcode] + immediate(count: min(size, 4)))
        default: return makeCase(prefixes + [opcode] + modRM(reg: UInt8(below(8))), size: UInt64(size))
        }
    }

    /// Groups 80 (Eb,Ib), 81 (Ev,Iz), 83 (Ev,Ib).
    mutating func immediateGroupCase() -> OracleCase {
        let operation = UInt8(below(8))
        switch below(3) {
        case 0: return makeCase(rex(w: chance(20)) + [0x80] + modRM(reg: operation) + immediate(count: 1), size: 1)
        case 1:
            let size = operandSize()
            return makeCase(sizePrefixes(size) + [0x81] + modRM(reg: operation) + immediate(count: min(size, 4)), size: UInt64(size))
        default:
            let size = operandSize()
            return makeCase(sizePrefixes(size) + [0x83] + modRM(reg: operation) + immediate(count: 1), size: UInt64(size))
        }
    }

    /// test 84, 85, a8, a9, f6 /0 /1, f7 /0 /1.
    mutating func testCase() -> OracleCase {
        let size = operandSize()
        switch below(5) {
        case 0: return makeCase(rex(w: chance(20)) + [0x84] + modRM(reg: UInt8(below(8))), size: 1)
        case 1: return makeCase(sizePrefixes(size) + [0x85] + modRM(reg: UInt8(below(8))), size: UInt64(size))
        case 2: return makeCase(rex(w: false) + [0xA8] + immediate(count: 1))
        case 3: return makeCase(sizePrefixes(size) + [0xA9] + immediate(count: min(size, 4)))
        default:
            if chance(50) {
                return makeCase(rex(w: false) + [0xF6] + modRM(reg: UInt8(below(2))) + immediate(count: 1), size: 1)
            }
            return makeCase(sizePrefixes(size) + [0xF7] + modRM(reg: UInt8(below(2))) + immediate(count: min(size, 4)), size: UInt64(size))
        }
    }

    /// inc and dec: fe /0 /1, ff /0 /1.
    mutating func incrementCase() -> OracleCase {
        if chance(30) {
            return makeCase(rex(w: false) + [0xFE] + modRM(reg: UInt8(below(2))), size: 1)
        }
        let size = operandSize()
        return makeCase(sizePrefixes(size) + [0xFF] + modRM(reg: UInt8(below(2))), size: UInt64(size))
    }

    /// nop forms, endbr64, pause, xchg with rAX.
    mutating func nopCase() -> OracleCase {
        switch below(7) {
        case 0: return makeCase(pick([[0x90], [0x66, 0x90], [0xF3, 0x90], [0x48, 0x90], [0x40, 0x90]]))
        case 1: return makeCase([0xF3, 0x0F, 0x1E, 0xFA])
        case 2, 3:
            var prefixes: [UInt8] = chance(40) ? [0x66] : []
            if chance(30) { prefixes.append(0x2E) }
            if chance(20) { prefixes.insert(0x66, at: 0) }
            return makeCase(prefixes + rex(w: chance(30)) + [0x0F, 0x1F] + modRM(reg: 0))
        default:
            let size = operandSize()
            let register = UInt8(below(8))
            var prefixes = sizePrefixes(size)
            if register == 0 {
                // 90 itself is nop; with REX.B it is xchg with r8.
                if let last = prefixes.last, last & 0xF0 == 0x40 {
                    prefixes[prefixes.count - 1] = last | 1
                } else {
                    prefixes.append(size == 8 ? 0x49 : 0x41)
                }
            }
            return makeCase(prefixes + [0x90 | register])
        }
    }

    /// A relative displacement of `count` bytes whose target is not inside the instruction.
    mutating func relativeDisplacement(count: Int, length: Int) -> [UInt8] {
        while true {
            let value: UInt64
            if count == 1 {
                value = random.next() & 0xFF
            } else if chance(75) {
                value = UInt64(bitPattern: Int64(Int(below(0x10000)) - 0x8000))
            } else {
                value = random.next() & 0xFFFF_FFFF
            }
            let displacement = count == 1 ? Int64(Int8(truncatingIfNeeded: value)) : Int64(Int32(truncatingIfNeeded: value))
            if displacement >= 0 || displacement < -Int64(length) { return littleEndian(value, count: count) }
        }
    }

    /// jmp rel8/rel32, call rel32, jcc rel8/rel32, loop/loope/loopne/jrcxz.
    mutating func relativeBranchCase() -> OracleCase {
        var prefixes: [UInt8] = []
        if chance(10) { prefixes.append(0xF2) }
        if chance(10) { prefixes.append(pick([0x2E, 0x3E])) }
        if chance(15) { prefixes += rex(w: chance(50)) }
        var oracleCase: OracleCase
        switch below(6) {
        case 0: oracleCase = makeCase(prefixes + [0xEB] + relativeDisplacement(count: 1, length: prefixes.count + 2))
        case 1: oracleCase = makeCase(prefixes + [0xE9] + relativeDisplacement(count: 4, length: prefixes.count + 5))
        case 2: oracleCase = makeCase(prefixes + [0xE8] + relativeDisplacement(count: 4, length: prefixes.count + 5))
        case 3: oracleCase = makeCase(prefixes + [0x70 | UInt8(below(16))] + relativeDisplacement(count: 1, length: prefixes.count + 2))
        case 4: oracleCase = makeCase(prefixes + [0x0F, 0x80 | UInt8(below(16))] + relativeDisplacement(count: 4, length: prefixes.count + 6))
        default:
            let loopPrefixes = prefixes.filter { $0 != 0xF2 }
            oracleCase = makeCase(loopPrefixes + [0xE0 | UInt8(below(4))] + relativeDisplacement(count: 1, length: loopPrefixes.count + 2))
            oracleCase.registers.rcx = pick([0, 1, 2, 3, ~0, 0x1_0000_0000, 0x1_0000_0001])
        }
        return oracleCase
    }

    /// A branch target: mostly int3 in a code region, sometimes data (not executable),
    /// the kernel's half, or a non-canonical address.
    mutating func branchTarget(near rip: UInt64) -> UInt64 {
        switch below(100) {
        case 0..<70: return rip &+ 0x100 &+ below(0x8000)
        case 70..<78: return OracleLayout.codeFar + below(OracleLayout.codeSize)
        case 78..<86: return OracleLayout.dataBase + below(OracleLayout.dataSize)
        case 86..<93: return 0xFFFF_8000_0000_0000 | (random.next() & 0x7FFF_FFFF_FFFF)
        default:
            // Non-canonical with 4- and 5-level paging alike: bits 56-63 not all equal.
            return (random.next() & 0x00FF_FFFF_FFFF_FFFF) | pick([0x0100_0000_0000_0000, 0x7F00_0000_0000_0000, 0x8000_0000_0000_0000])
        }
    }

    /// ret, ret imm16, leave, call/jmp r/m64.
    mutating func returnCase() -> OracleCase {
        let repeatPrefix: [UInt8] = chance(15) ? [pick([0xF2, 0xF3])] : []
        switch below(5) {
        case 0, 1:
            let bytes = repeatPrefix + rex(w: chance(20)) + (chance(60) ? [0xC3] : [0xC2] + immediate(count: 2))
            var oracleCase = makeCase(bytes)
            oracleCase.patches.append((oracleCase.registers.rsp, branchTarget(near: oracleCase.registers.rip)))
            return oracleCase
        case 2:
            var oracleCase = makeCase(rex(w: chance(20)) + [0xC9])
            oracleCase.registers.rbp = stackPointer()
            if chance(50) { oracleCase.patches.append((oracleCase.registers.rbp, stackPointer())) }
            return oracleCase
        default:
            let reg: UInt8 = chance(50) ? 2 : 4
            var prefixes = repeatPrefix
            if chance(10) { prefixes.append(0x3E) }
            var oracleCase = OracleCase(registers: registers(), bytes: prefixes + rex(w: chance(30)) + [0xFF] + modRM(reg: reg), seed: random.next())
            let target = branchTarget(near: oracleCase.registers.rip)
            if case .success(let instruction) = X86Decoder.decode(oracleCase.bytes), let modRM = instruction.modRM {
                if modRM >> 6 == 3 {
                    let number = Int(modRM & 7) | (instruction.rex.map { $0 & 1 != 0 ? 8 : 0 } ?? 0)
                    if number != 4 || chance(10) { oracleCase.registers[number] = target }
                } else if let aimed = aim(&oracleCase) {
                    oracleCase.patches.append((aimed, target))
                }
            }
            return oracleCase
        }
    }

    /// Memory operands with an FS or GS override: mov, arithmetic, movzx, push, lea, and
    /// the stack protector's `mov %fs:0x28,%rax`.
    mutating func segmentCase() -> OracleCase {
        let segment: UInt8 = pick([0x64, 0x65])
        let size = operandSize()
        // One segment prefix only: the emulator declines FS/GS with another override.
        let prefixes = [segment] + sizePrefixes(size).filter { ![0x2E, 0x3E, 0x26, 0x36].contains($0) }
        let reg = UInt8(below(8))
        switch below(8) {
        case 0: return makeCase([segment] + rex(w: true) + [0x8B, 0x04 | (reg << 3), 0x25] + littleEndian(0x28, count: 4))
        case 1: return makeCase(prefixes + [pick([0x89, 0x8B])] + modRM(reg: reg, registerForm: false), size: UInt64(size))
        case 2: return makeCase(prefixes + [0xC7] + modRM(reg: 0, registerForm: false) + immediate(count: min(size, 4)), size: UInt64(size))
        case 3: return makeCase(prefixes + [pick([0x03, 0x2B, 0x3B, 0x33, 0x01, 0x29])] + modRM(reg: reg, registerForm: false), size: UInt64(size))
        case 4: return makeCase(prefixes + [0x83] + modRM(reg: UInt8(below(8)), registerForm: false) + immediate(count: 1), size: UInt64(size))
        case 5: return makeCase(prefixes + [0x0F, 0xB6] + modRM(reg: reg, registerForm: false), size: 1)
        case 6: return makeCase([segment] + rex(w: false) + [0xFF] + modRM(reg: 6, registerForm: false))
        default: return makeCase(prefixes + [0x8D] + modRM(reg: reg, registerForm: false))
        }
    }

    /// An opcode the emulator handles with a random soup of prefixes (all eleven legacy
    /// prefixes, repeats, REX in odd places) and random operand bytes.
    mutating func prefixFuzzCase() -> OracleCase {
        let legacy: [UInt8] = [0xF0, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65, 0x66, 0x67]
        var prefixes: [UInt8] = []
        for _ in 0..<below(4) {
            prefixes.append(chance(75) ? pick(legacy) : 0x40 | UInt8(below(16)))
        }
        let opcodes: [[UInt8]] = [
            [0x01], [0x03], [0x29], [0x31], [0x39], [0x85], [0x89], [0x8B], [0x8D], [0x88], [0x00], [0x83], [0x81], [0x80],
            [0xC7], [0xC6], [0xF7], [0xF6], [0xFF], [0xFE], [0x63], [0x0F, 0xB6], [0x0F, 0xBF], [0x0F, 0x1F], [0x0F, 0x1E],
            [0x50], [0x5D], [0x6A], [0x68], [0x90], [0x93], [0xB8], [0xB1], [0xA9], [0x05],
        ]
        let opcode = pick(opcodes)
        var bytes = prefixes + opcode + modRM(reg: UInt8(below(8)))
        bytes += littleEndian(random.next(), count: 8)
        guard case .success(let instruction) = X86Decoder.decode(bytes) else {
            return makeCase([0x90])
        }
        return makeCase(Array(bytes.prefix(instruction.length)))
    }

    /// `count` cases from one generator.
    mutating func cases(_ count: Int, _ make: (inout CaseGenerator) -> OracleCase) -> [OracleCase] {
        (0..<count).map { _ in make(&self) }
    }
}

@Suite struct EmulatorDifferentialTests {
    @Test func pushAndPop() throws {
        var generator = CaseGenerator(seed: 1)
        try DifferentialRun.run(generator.cases(4000) { $0.stackCase() }).check("push/pop", minimumCases: 4000)
    }

    @Test func moves() throws {
        var generator = CaseGenerator(seed: 2)
        try DifferentialRun.run(generator.cases(5000) { $0.moveCase() }).check("mov", minimumCases: 5000)
    }

    @Test func zeroAndSignExtendingMoves() throws {
        var generator = CaseGenerator(seed: 3)
        try DifferentialRun.run(generator.cases(3000) { $0.extendCase() }).check("movzx/movsx/movsxd", minimumCases: 3000)
    }

    @Test func loadEffectiveAddress() throws {
        var generator = CaseGenerator(seed: 4)
        try DifferentialRun.run(generator.cases(3000) { $0.leaCase() }).check("lea", minimumCases: 3000)
    }

    @Test func arithmeticWithRegistersAndMemory() throws {
        var generator = CaseGenerator(seed: 5)
        try DifferentialRun.run(generator.cases(8000) { $0.arithmeticCase() }, undefinedFlags: logicAdjustFlag)
            .check("add/or/adc/sbb/and/sub/xor/cmp", minimumCases: 8000)
    }

    @Test func arithmeticWithImmediates() throws {
        var generator = CaseGenerator(seed: 6)
        try DifferentialRun.run(generator.cases(6000) { $0.immediateGroupCase() }, undefinedFlags: logicAdjustFlag)
            .check("groups 80/81/83", minimumCases: 6000)
    }

    @Test func test() throws {
        var generator = CaseGenerator(seed: 7)
        try DifferentialRun.run(generator.cases(3000) { $0.testCase() }, undefinedFlags: logicAdjustFlag)
            .check("test", minimumCases: 3000)
    }

    @Test func incrementAndDecrement() throws {
        var generator = CaseGenerator(seed: 8)
        try DifferentialRun.run(generator.cases(3000) { $0.incrementCase() }).check("inc/dec", minimumCases: 3000)
    }

    @Test func nopsAndExchange() throws {
        var generator = CaseGenerator(seed: 9)
        try DifferentialRun.run(generator.cases(3000) { $0.nopCase() }).check("nop/endbr64/pause/xchg", minimumCases: 3000)
    }

    @Test func relativeBranches() throws {
        var generator = CaseGenerator(seed: 10)
        try DifferentialRun.run(generator.cases(6000) { $0.relativeBranchCase() }).check("jmp/call/jcc/loop rel", minimumCases: 6000)
    }

    @Test func returnsLeaveAndIndirectBranches() throws {
        var generator = CaseGenerator(seed: 11)
        try DifferentialRun.run(generator.cases(4000) { $0.returnCase() }).check("ret/leave/call*/jmp*", minimumCases: 4000)
    }

    @Test func segmentOverrides() throws {
        var generator = CaseGenerator(seed: 12)
        try DifferentialRun.run(generator.cases(4000) { $0.segmentCase() }, undefinedFlags: logicAdjustFlag)
            .check("fs/gs memory operands", minimumCases: 4000)
    }

    /// Whatever the emulator accepts among odd prefix combinations runs as on the CPU.
    @Test func prefixCombinations() throws {
        var generator = CaseGenerator(seed: 13)
        let run = try DifferentialRun.run(generator.cases(20000) { $0.prefixFuzzCase() }, undefinedFlags: logicAdjustFlag,
                                          mayDecline: { _ in true })
        run.check("prefix fuzz", minimumCases: 5000)
    }
}

/// Memory where every read of the first `readable` bytes from `base` works, nothing else.
final class WindowMemory: X86Memory {
    var bytes: [UInt8]
    let base: UInt64
    var writes = 0

    init(base: UInt64, bytes: [UInt8]) {
        self.base = base
        self.bytes = bytes
    }

    func read(address: UInt64, count: Int) -> [UInt8]? {
        let offset = address &- base
        guard count >= 0, offset <= UInt64(bytes.count), UInt64(count) <= UInt64(bytes.count) - offset else { return nil }
        return Array(bytes[Int(offset)..<Int(offset) + count])
    }

    func write(address: UInt64, bytes newBytes: [UInt8]) -> Bool {
        let offset = address &- base
        guard offset <= UInt64(bytes.count), UInt64(newBytes.count) <= UInt64(bytes.count) - offset else { return false }
        bytes.replaceSubrange(Int(offset)..<Int(offset) + newBytes.count, with: newBytes)
        writes += 1
        return true
    }
}

@Suite struct EmulatorTests {
    func emulate(_ text: String, registers: inout X86Registers, memory: WindowMemory? = nil, at address: UInt64 = 0x40_1000) -> EmulationResult {
        X86Emulator.emulate(bytes: hex(text), at: address, registers: &registers,
                            memory: memory ?? WindowMemory(base: 0x7000, bytes: [UInt8](repeating: 0, count: 0x2000)))
    }

    @Test func prologueInstructions() {
        let memory = WindowMemory(base: 0x7000, bytes: [UInt8](repeating: 0, count: 0x2000))
        var registers = X86Registers()
        registers.rsp = 0x8000
        registers.rbp = 0x1122_3344_5566_7788
        #expect(emulate("f3 0f 1e fa", registers: &registers, memory: memory) == .emulated)
        #expect(registers.rip == 0x40_1004)
        #expect(emulate("55", registers: &registers, memory: memory) == .emulated)
        #expect(registers.rsp == 0x7FF8)
        #expect(memory.read(address: 0x7FF8, count: 8) == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        #expect(emulate("48 89 e5", registers: &registers, memory: memory) == .emulated)
        #expect(registers.rbp == 0x7FF8)
        #expect(emulate("48 83 ec 20", registers: &registers, memory: memory) == .emulated)
        #expect(registers.rsp == 0x7FD8)
        #expect(emulate("c9", registers: &registers, memory: memory) == .emulated)
        #expect(registers.rsp == 0x8000 && registers.rbp == 0x1122_3344_5566_7788)
    }

    @Test func thirtyTwoBitResultsZeroExtend() {
        var registers = X86Registers()
        registers.rax = ~0
        registers.rcx = 0xFFFF_FFFF_0000_0001
        #expect(emulate("89 c8", registers: &registers) == .emulated)       // mov %ecx,%eax
        #expect(registers.rax == 1)
        registers.rdx = ~0
        #expect(emulate("66 89 ca", registers: &registers) == .emulated)    // mov %cx,%dx
        #expect(registers.rdx == 0xFFFF_FFFF_FFFF_0001)
        #expect(emulate("31 d2", registers: &registers) == .emulated)       // xor %edx,%edx
        #expect(registers.rdx == 0 && registers.isSet(.zero) && registers.isSet(.parity))
    }

    @Test func callAndReturn() {
        let memory = WindowMemory(base: 0x7000, bytes: [UInt8](repeating: 0, count: 0x2000))
        var registers = X86Registers()
        registers.rsp = 0x8000
        #expect(emulate("e8 10 00 00 00", registers: &registers, memory: memory, at: 0x40_1000) == .emulated)
        #expect(registers.rip == 0x40_1015 && registers.rsp == 0x7FF8)
        #expect(emulate("c2 08 00", registers: &registers, memory: memory, at: 0x40_1015) == .emulated)
        #expect(registers.rip == 0x40_1005 && registers.rsp == 0x8008)
    }

    @Test func conditionsFollowFlags() {
        for condition in ConditionCode.allCases {
            var taken = 0
            for flags in 0..<64 as Range<UInt64> {
                var registers = X86Registers()
                // CF ZF SF OF PF from the counter's bits.
                registers.set(.carry, flags & 1 != 0)
                registers.set(.zero, flags & 2 != 0)
                registers.set(.sign, flags & 4 != 0)
                registers.set(.overflow, flags & 8 != 0)
                registers.set(.parity, flags & 16 != 0)
                let text = String(0x70 | condition.rawValue, radix: 16) + " 10"
                #expect(emulate(text, registers: &registers) == .emulated)
                if registers.rip == 0x40_1012 { taken += 1 }
            }
            // Each condition holds for some flag combinations and not others; its negation
            // (the next code) for the rest.
            #expect(taken > 0 && taken < 64, "\(condition)")
        }
    }

    @Test func declinesWhatItDoesNotEmulate() {
        let declined = [
            "f0 48 01 07",             // lock add
            "67 48 8b 07",             // 32-bit address
            "0f 05",                   // syscall
            "cc", "cd 80",             // int3, int
            "f3 0f b8 c0",             // popcnt (F3 makes it another instruction)
            "f3 48 89 c0",             // rep on mov
            "c7 c8 01 00 00 00",       // c7 /1
            "66 e8 00 00 00 00",       // call with 66
            "66 c3",                   // ret with 66
            "48 87 07",                // xchg with memory (locked)
            "c5 f9 6f 05 00 00 00 00", // vmovdqa (VEX)
            "64 65 48 8b 00",          // two FS/GS overrides
            "f7 d8",                   // neg
            "0f af c1",                // imul
            "8f c0",                   // pop r/m
            "f3 0f 1e fb",             // endbr32
            "63 c1",                   // movsxd without REX.W
        ]
        for text in declined {
            var registers = X86Registers()
            let before = registers
            #expect(emulate(text, registers: &registers) == .notEmulated, "\(text)")
            #expect(registers == before)
        }
    }

    @Test func faultsChangeNothing() {
        let memory = WindowMemory(base: 0x7000, bytes: [UInt8](repeating: 0xAB, count: 0x1000))
        var registers = X86Registers()
        registers.rsp = 0x7004                       // push would straddle the window's start
        registers.rdi = 0x8000                       // just past the window
        registers.rflags = 0x202
        let before = registers
        #expect(emulate("55", registers: &registers, memory: memory) == .fault(address: 0x6FFC))
        #expect(emulate("48 01 07", registers: &registers, memory: memory) == .fault(address: 0x8000))
        #expect(emulate("e8 00 00 00 00", registers: &registers, memory: memory) == .fault(address: 0x6FFC))
        #expect(emulate("48 8b 47 f9", registers: &registers, memory: memory) == .fault(address: 0x7FF9))
        #expect(registers == before)
        #expect(memory.writes == 0)
        // ret to a non-canonical address faults on the ret.
        registers.rsp = 0x7800
        _ = memory.write(address: 0x7800, bytes: littleEndian(0x8000_0000_0000_1000, count: 8))
        #expect(emulate("c3", registers: &registers, memory: memory) == .fault(address: 0x8000_0000_0000_1000))
        // A target canonical only with 5-level paging is left to the CPU.
        _ = memory.write(address: 0x7800, bytes: littleEndian(0x0080_0000_0000_1000, count: 8))
        #expect(emulate("c3", registers: &registers, memory: memory) == .notEmulated)
    }

    @Test func segmentBasesAddToMemoryOperandsButNotToLea() {
        let memory = WindowMemory(base: 0x7000, bytes: (0..<0x100).map { UInt8($0) })
        var registers = X86Registers()
        registers.fsBase = 0x7000
        #expect(emulate("64 48 8b 04 25 28 00 00 00", registers: &registers, memory: memory) == .emulated)
        #expect(registers.rax == 0x2F2E_2D2C_2B2A_2928)
        #expect(emulate("64 48 8d 04 25 28 00 00 00", registers: &registers, memory: memory) == .emulated)
        #expect(registers.rax == 0x28)
    }

    /// Random bytes, registers and memory never trap the emulator.
    @Test func randomBytesNeverTrap() {
        var random = SplitMix64(seed: 99)
        let memory = WindowMemory(base: 0x7000, bytes: [UInt8](repeating: 0x5A, count: 0x1000))
        let interesting: [UInt8] = [0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x64, 0x65, 0x48, 0x41, 0x4F, 0x0F, 0xFF, 0x8B, 0x89, 0xC3, 0xE8, 0x04, 0x05, 0x24, 0x25]
        var emulated = 0
        for _ in 0..<200_000 {
            let bytes = (0..<15).map { _ in random.next() % 3 == 0 ? interesting[Int(random.next() % UInt64(interesting.count))] : UInt8(truncatingIfNeeded: random.next()) }
            var registers = X86Registers()
            for number in 0..<16 { registers[number] = random.next() % 4 == 0 ? 0x7000 + random.next() % 0x1000 : random.next() }
            registers.rflags = random.next()
            if X86Emulator.emulate(bytes: bytes, at: random.next(), registers: &registers, memory: memory) == .emulated { emulated += 1 }
        }
        #expect(emulated > 1000)
    }
}
