// DTraceX86Tests/OutOfLineCopyTests: OutOfLineCopy — RIP-relative displacements rewritten
// so the copy reaches the same target from the scratch address (legacy, VEX and EVEX
// encodings, 67's EIP-relative form, immediates after the displacement untouched), the
// refusal of control transfers and of targets out of 32-bit reach, the rip fix-up after
// a step; and against real execution: an instruction run at its original address and
// its copy run at a scratch address 1.5 GB away (the harness's second code region) must
// read and write the same memory and leave the same registers and flags once rip is
// fixed up — for many instructions the emulator does not handle (imul, shifts, setcc,
// cmpxchg, xadd, bt...), which are exactly the ones the engine steps out of line.

@testable import DTraceX86
import Testing

/// A ModRM-taking instruction to run out of line: opcode bytes, the ModRM.reg values it
/// allows (nil: any), its operand sizes and its immediate.
struct SteppedTemplate {
    enum Immediate { case none, byte, operandSized }
    var opcode: [UInt8]
    var regs: [UInt8]? = nil
    var byteSized = false
    var rexW = false
    var immediate: Immediate = .none

    static let all: [SteppedTemplate] = [
        .init(opcode: [0x8B]), .init(opcode: [0x89]), .init(opcode: [0x8A], byteSized: true), .init(opcode: [0x03]),
        .init(opcode: [0x2B]), .init(opcode: [0x3B]), .init(opcode: [0x33]), .init(opcode: [0x0B]), .init(opcode: [0x23]),
        .init(opcode: [0x85]), .init(opcode: [0x01]), .init(opcode: [0x29]), .init(opcode: [0x8D]), .init(opcode: [0x63], rexW: true),
        .init(opcode: [0x0F, 0xAF]), .init(opcode: [0x0F, 0xB6]), .init(opcode: [0x0F, 0xBE]), .init(opcode: [0x0F, 0xB7]),
        .init(opcode: [0x0F, 0xBF]), .init(opcode: [0x0F, 0x44]), .init(opcode: [0x0F, 0x4F]), .init(opcode: [0x0F, 0x42]),
        .init(opcode: [0x81], immediate: .operandSized), .init(opcode: [0x83], immediate: .byte),
        .init(opcode: [0x80], byteSized: true, immediate: .byte), .init(opcode: [0xC7], regs: [0], immediate: .operandSized),
        .init(opcode: [0xC6], regs: [0], byteSized: true, immediate: .byte), .init(opcode: [0x69], immediate: .operandSized),
        .init(opcode: [0x6B], immediate: .byte), .init(opcode: [0xC1], regs: [0, 1, 2, 3, 4, 5, 7], immediate: .byte),
        .init(opcode: [0xD1], regs: [0, 1, 2, 3, 4, 5, 7]), .init(opcode: [0xF7], regs: [2, 3]),
        .init(opcode: [0xF7], regs: [0], immediate: .operandSized), .init(opcode: [0xFF], regs: [0, 1, 6]),
        .init(opcode: [0x0F, 0x94], regs: [0], byteSized: true), .init(opcode: [0x0F, 0x9C], regs: [0], byteSized: true),
        .init(opcode: [0x0F, 0xB1]), .init(opcode: [0x0F, 0xC1]), .init(opcode: [0x87]),
        .init(opcode: [0x0F, 0xBA], regs: [4, 5, 6, 7], immediate: .byte),
    ]
}

extension CaseGenerator {
    /// An instruction from `SteppedTemplate.all`, RIP-relative most of the time (now and
    /// then EIP-relative with 67), any ModRM form otherwise, aimed into the data window.
    mutating func steppedCase() -> OracleCase {
        let template = pick(SteppedTemplate.all)
        let size = template.byteSized ? 1 : template.rexW ? 8 : operandSize()
        var prefixes: [UInt8] = size == 1 ? rex(w: false) : template.rexW ? rex(w: true) : sizePrefixes(size)
        if chance(10) { prefixes.insert(0x67, at: 0) }
        let reg = template.regs.map { pick($0) } ?? UInt8(below(8))
        let operand: [UInt8] = chance(80)
            ? [(reg & 7) << 3 | 0x05] + littleEndian(random.next(), count: 4)
            : modRM(reg: reg, registerForm: template.opcode != [0x8D])
        let immediateBytes: Int
        switch template.immediate {
        case .none: immediateBytes = 0
        case .byte: immediateBytes = 1
        case .operandSized: immediateBytes = size == 2 ? 2 : 4
        }
        return makeCase(prefixes + template.opcode + operand + immediate(count: immediateBytes), size: UInt64(size))
    }
}

@Suite struct OutOfLineCopyTests {
    func copy(_ text: String, from original: UInt64, to scratch: UInt64) throws(OutOfLineRefusal) -> OutOfLineCopy {
        try OutOfLineCopy(instructionBytes: hex(text), originalAddress: original, scratchAddress: scratch)
    }

    /// The copy, decoded at the scratch address, reaches what the original reaches.
    func expectSameTarget(_ text: String, from original: UInt64, to scratch: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let prepared = try copy(text, from: original, to: scratch)
            guard case .success(let relocated) = X86Decoder.decode(prepared.bytes) else {
                Issue.record("copy of \(text) does not decode", sourceLocation: sourceLocation)
                return
            }
            #expect(relocated.length == prepared.instruction.length, sourceLocation: sourceLocation)
            #expect(relocated.ripRelativeTarget(at: scratch) == prepared.instruction.ripRelativeTarget(at: original), sourceLocation: sourceLocation)
            #expect(relocated.immediate == prepared.instruction.immediate, sourceLocation: sourceLocation)
            // Only the displacement's four bytes may differ.
            let changed = prepared.bytes.indices.filter { prepared.bytes[$0] != prepared.instruction.bytes[$0] }
            if let offset = prepared.instruction.displacementOffset {
                #expect(changed.allSatisfy { (offset..<offset + 4).contains($0) }, sourceLocation: sourceLocation)
            } else {
                #expect(changed.isEmpty, sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("\(text) refused: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func rewritesRIPRelativeDisplacements() {
        let original: UInt64 = 0x5555_5555_1000
        for scratch: UInt64 in [0x5555_5555_9000, 0x5555_0000_0000, 0x5555_D555_0000, original] {
            expectSameTarget("48 8b 05 10 00 00 00", from: original, to: scratch)             // mov 0x10(%rip),%rax
            expectSameTarget("48 8d 3d f0 ff ff ff", from: original, to: scratch)             // lea -0x10(%rip),%rdi
            expectSameTarget("c7 05 d0 ff ff ff 2a 00 00 00", from: original, to: scratch)    // movl $42,-0x30(%rip)
            expectSameTarget("48 81 3d 00 01 00 00 ff ff 00 00", from: original, to: scratch) // cmpq $0xffff,0x100(%rip)
            expectSameTarget("66 83 05 08 00 00 00 01", from: original, to: scratch)          // addw $1,8(%rip)
            expectSameTarget("c5 fa 6f 05 00 10 00 00", from: original, to: scratch)          // vmovdqu 0x1000(%rip),%xmm0
            expectSameTarget("62 f1 7c 48 10 05 00 01 00 00", from: original, to: scratch)    // vmovups 0x100(%rip),%zmm0
            expectSameTarget("66 0f 3a 0f 05 10 00 00 00 04", from: original, to: scratch)    // palignr $4,0x10(%rip),%xmm0
            expectSameTarget("48 8b 04 24", from: original, to: scratch)                      // mov (%rsp),%rax: unchanged
            expectSameTarget("55", from: original, to: scratch)
        }
    }

    @Test func eipRelativeAlwaysReaches() {
        // With 67 the sum is truncated to 32 bits; the copy need only match the low bits.
        expectSameTarget("67 48 8b 05 10 00 00 00", from: 0x4000_1000, to: 0x7FFF_0000_0000)
    }

    @Test func refusesTargetsOutOfReach() {
        let original: UInt64 = 0x40_1000
        #expect(throws: OutOfLineRefusal.displacementOutOfRange(target: 0x40_1017)) {
            try copy("48 8b 05 10 00 00 00", from: original, to: 0x7FFF_F000_0000)
        }
        // Exactly at the edge of reach: target - (scratch + length) == Int32.min works.
        let target: UInt64 = 0x40_1017
        let scratch = target &+ 0x8000_0000 &- 7
        #expect((try? copy("48 8b 05 10 00 00 00", from: original, to: scratch)) != nil)
        #expect(throws: OutOfLineRefusal.displacementOutOfRange(target: target)) {
            try copy("48 8b 05 10 00 00 00", from: original, to: scratch &+ 1)
        }
    }

    @Test func refusesControlTransfers() {
        for text in ["eb 00", "e9 00 00 00 00", "e8 00 00 00 00", "74 10", "0f 84 00 01 00 00", "c3", "c2 08 00",
                     "ff d0", "ff 25 00 10 00 00", "ff 15 00 10 00 00", "0f 05", "cc", "cd 80", "e2 fe", "e3 00",
                     "c7 f8 00 00 00 00", "cb", "cf"] {
            do {
                _ = try copy(text, from: 0x40_1000, to: 0x40_9000)
                Issue.record("\(text) accepted")
            } catch {
                guard case .transfersControl = error else {
                    Issue.record("\(text): \(error)")
                    continue
                }
            }
        }
        #expect(throws: OutOfLineRefusal.undecodable(X86DecodeError(offset: 0, reason: .truncated))) {
            try copy("48 8b", from: 0x40_1000, to: 0x40_9000)
        }
    }

    /// Hand-built instruction values that disagree with their bytes are refused, not trapped on.
    @Test func refusesMalformedInstructions() throws {
        var instruction = try #require(decoded("48 8b 05 10 00 00 00"))
        instruction.length = -1
        #expect(throws: OutOfLineRefusal.malformedInstruction) {
            try OutOfLineCopy(instruction, originalAddress: 0x40_1000, scratchAddress: 0x40_9000)
        }
        var registers = X86Registers()
        let memory = WindowMemory(base: 0, bytes: [])
        #expect(X86Emulator.emulate(instruction, at: 0x40_1000, registers: &registers, memory: memory) == .notEmulated)
        instruction.length = 7
        instruction.displacementOffset = 5
        #expect(throws: OutOfLineRefusal.malformedInstruction) {
            try OutOfLineCopy(instruction, originalAddress: 0x40_1000, scratchAddress: 0x40_9000)
        }
    }

    @Test func fixupMovesRipToTheOriginal() throws {
        let prepared = try copy("48 8b 05 10 00 00 00", from: 0x40_1000, to: 0x40_9000)
        var registers = X86Registers()
        registers.rip = 0x40_9007
        #expect(prepared.fixup(after: &registers) == .completed)
        #expect(registers.rip == 0x40_1007)
        registers.rip = 0x40_9000
        #expect(prepared.fixup(after: &registers) == .notFinished)
        #expect(registers.rip == 0x40_9000)
        #expect(prepared.returnToOriginal(&registers))
        #expect(registers.rip == 0x40_1000)
        registers.rip = 0x1234
        #expect(prepared.fixup(after: &registers) == .unexpected(rip: 0x1234))
        #expect(registers.rip == 0x1234)
        #expect(!prepared.returnToOriginal(&registers))
    }

    /// Random bytes never trap; whatever is prepared reaches the same target.
    @Test func randomBytesNeverTrap() {
        var random = SplitMix64(seed: 7)
        var prepared = 0
        for _ in 0..<100_000 {
            var bytes = (0..<15).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if random.next() % 2 == 0, bytes.count > 2 { bytes[1] = 0x05 | (bytes[1] & 0x38); bytes[0] = [0x8B, 0x03, 0x8D, 0x81, 0xC7][Int(random.next() % 5)] }
            let original = random.next() % 4 == 0 ? random.next() : 0x40_0000 + random.next() % 0x1000_0000
            let scratch = random.next() % 4 == 0 ? random.next() : original &+ (random.next() % 0x1_0000_0000) &- 0x8000_0000
            guard let copy = try? OutOfLineCopy(instructionBytes: bytes, originalAddress: original, scratchAddress: scratch),
                  case .success(let relocated) = X86Decoder.decode(copy.bytes) else { continue }
            prepared += 1
            #expect(relocated.ripRelativeTarget(at: scratch) == copy.instruction.ripRelativeTarget(at: original))
        }
        #expect(prepared > 10_000)
    }

    /// The original at its address and the copy at a scratch address 1.5 GB away, on the
    /// CPU: same signal, memory, registers and flags; the copy's rip fixed up equals the
    /// original's.
    @Test func copyBehavesLikeTheOriginalOnTheCPU() throws {
        var generator = CaseGenerator(seed: 21)
        var originals: [OracleCase] = []
        var copies: [OracleCase] = []
        var prepared: [OutOfLineCopy] = []
        var ripRelative = 0
        var outOfReach = 0
        while originals.count < 4000 {
            let original = generator.steppedCase()
            let scratch = OracleLayout.codeFar + 0x1000 + generator.below(OracleLayout.codeSize - 0x2000)
            let copy: OutOfLineCopy
            do {
                copy = try OutOfLineCopy(instructionBytes: original.bytes, originalAddress: original.registers.rip, scratchAddress: scratch)
            } catch {
                // A wild (unaimed) displacement may be out of reach from the far region.
                let end = scratch &+ UInt64(original.bytes.count)
                if case .displacementOutOfRange(let target) = error, Int32(exactly: Int64(bitPattern: target &- end)) == nil {
                    outOfReach += 1
                } else {
                    Issue.record("\(hexString(original.bytes)) refused: \(error)")
                }
                continue
            }
            if copy.instruction.isRIPRelative { ripRelative += 1 }
            var moved = original
            moved.bytes = copy.bytes
            moved.registers.rip = scratch
            originals.append(original)
            copies.append(moved)
            prepared.append(copy)
        }
        let outcomes = try ExecutionOracle.run(originals + copies)
        var mismatches: [String] = []
        var completed = 0
        var faulted = 0
        var rewritten = 0
        for index in originals.indices {
            let real = outcomes[index]
            var stepped = outcomes[originals.count + index]
            let copy = prepared[index]
            if copy.bytes != copy.instruction.bytes { rewritten += 1 }
            var problems: [String] = []
            if stepped.signal != real.signal { problems.append("signal \(stepped.signal) vs \(real.signal)") }
            switch copy.fixup(after: &stepped.registers) {
            case .completed:
                completed += 1
            case .notFinished:
                faulted += 1
                copy.returnToOriginal(&stepped.registers)
                if stepped.faultAddress != real.faultAddress { problems.append("fault address \(String(stepped.faultAddress, radix: 16)) vs \(String(real.faultAddress, radix: 16))") }
            case .unexpected(let rip):
                problems.append("copy stopped at \(String(rip, radix: 16))")
            }
            if stepped.registers != real.registers {
                problems.append("registers:\n    copy     \(DifferentialRun.describe(stepped.registers))\n    original \(DifferentialRun.describe(real.registers))")
            }
            if stepped.memoryChanges != real.memoryChanges { problems.append("memory differs") }
            if !problems.isEmpty {
                mismatches.append("\(hexString(copy.instruction.bytes)) at \(String(copy.originalAddress, radix: 16)) -> \(hexString(copy.bytes)) at \(String(copy.scratchAddress, radix: 16)): " + problems.joined(separator: "; "))
            }
        }
        print("out-of-line: \(originals.count) instructions (\(ripRelative) RIP-relative, \(rewritten) rewritten) run at both addresses (\(outOfReach) more refused as out of reach), \(completed) completed, \(faulted) faulted, \(mismatches.count) mismatches")
        #expect(ripRelative > 2500)
        #expect(completed > 3000)
        for mismatch in mismatches.prefix(5) { Issue.record(Comment(rawValue: mismatch)) }
        #expect(mismatches.count == 0)
    }
}
