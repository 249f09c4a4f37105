// DTraceX86Tests/DecoderRobustnessTests: the decoder on hostile input — 200,000 random byte
// sequences (weighted toward prefixes, escapes and vector prefixes so that long and odd
// encodings come up), decoded at every kind of offset, through arrays, slices and other
// collections, and swept linearly: every call returns an instruction or an error, never
// traps, and every instruction it returns is consistent with the bytes it came from.

import DTraceX86
import Testing

/// A small deterministic generator (64-bit LCG), so a failure reproduces.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state ^ (state >> 29)
    }
}

@Suite struct DecoderRobustnessTests {
    /// Bytes that steer decoding into its less common paths.
    static let interesting: [UInt8] = [0x66, 0x67, 0xF2, 0xF3, 0xF0, 0x2E, 0x3E, 0x26, 0x36, 0x64, 0x65,
                                       0x40, 0x41, 0x48, 0x4F, 0x0F, 0x38, 0x3A, 0xC4, 0xC5, 0x62, 0x8F,
                                       0xF6, 0xF7, 0xC8, 0xA0, 0xA3, 0xB8, 0xE8, 0xE9, 0x04, 0x05, 0x24,
                                       0x25, 0x44, 0x84, 0x78, 0x20, 0xC7, 0xF8, 0x00, 0xFF]

    static func randomBytes(_ generator: inout SeededGenerator) -> [UInt8] {
        let count = Int(generator.next() % 21)
        var bytes = (0..<count).map { _ in
            generator.next() % 3 == 0
                ? interesting[Int(generator.next() % UInt64(interesting.count))]
                : UInt8(truncatingIfNeeded: generator.next())
        }
        // Now and then a long run of prefixes, to reach the 15-byte limit.
        if generator.next() % 64 == 0 {
            bytes.insert(contentsOf: repeatElement(interesting[Int(generator.next() % 11)], count: 12 + Int(generator.next() % 6)), at: 0)
        }
        return bytes
    }

    /// What is wrong with `instruction` as decoded from `bytes` at `offset`, or nil.
    /// (Plain checks: one #expect per instruction would dominate the run time.)
    static func inconsistency(_ instruction: X86Instruction, from bytes: [UInt8], at offset: Int) -> String? {
        let available = bytes.count - offset
        guard instruction.length >= 1, instruction.length <= 15, instruction.length <= available else { return "length \(instruction.length)" }
        guard instruction.bytes.count == instruction.length,
              instruction.bytes[...] == bytes[offset..<(offset + instruction.length)] else { return "bytes" }
        guard instruction.opcodeOffset < instruction.length else { return "opcode offset" }
        for fieldOffset in [instruction.modRMOffset, instruction.displacementOffset, instruction.immediateOffset, instruction.rexOffset] {
            if let fieldOffset, fieldOffset < 0 || fieldOffset >= instruction.length { return "field offset \(fieldOffset)" }
        }
        if let immediateOffset = instruction.immediateOffset, immediateOffset + instruction.immediateSize != instruction.length {
            return "immediate does not end the instruction"
        }
        if let displacementOffset = instruction.displacementOffset, displacementOffset + instruction.displacementSize > instruction.length {
            return "displacement past the end"
        }
        if instruction.isRIPRelative && instruction.displacementSize != 4 { return "RIP-relative without disp32" }
        return nil
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16) }.joined(separator: " ")
    }

    @Test func twoHundredThousandRandomSequencesNeverTrap() {
        var generator = SeededGenerator(state: 0x5EED_DEC0DE)
        var decodedCount = 0
        var errors: [X86DecodeError.Reason: Int] = [:]
        var problems: [String] = []
        func check(_ instruction: X86Instruction, _ bytes: [UInt8], _ offset: Int) {
            if let problem = Self.inconsistency(instruction, from: bytes, at: offset) {
                problems.append("\(Self.hexString(bytes)) at \(offset): \(problem)")
            }
        }
        for round in 0..<200_000 {
            let bytes = Self.randomBytes(&generator)
            let offset = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count + 1))
            switch round % 3 {
            case 0:
                switch X86Decoder.decode(bytes, at: offset) {
                case .success(let instruction):
                    decodedCount += 1
                    check(instruction, bytes, offset)
                    _ = instruction.uprobeHandling
                    _ = instruction.branchTarget(at: UInt64.max)
                    _ = instruction.ripRelativeTarget(at: UInt64.max - 3)
                case .failure(let error):
                    errors[error.reason, default: 0] += 1
                    if error.offset != offset { problems.append("\(Self.hexString(bytes)) at \(offset): error offset \(error.offset)") }
                }
            case 1:
                let slice = bytes[min(offset, bytes.count)...]
                if case .success(let instruction) = X86Decoder.decode(slice, at: 0) {
                    check(instruction, bytes, offset)
                }
            default:
                let sweep = X86Decoder.sweep(bytes)
                if sweep.offsets.count != sweep.instructions.count { problems.append("\(Self.hexString(bytes)): sweep counts") }
                for (instructionOffset, instruction) in zip(sweep.offsets, sweep.instructions) {
                    check(instruction, bytes, instructionOffset)
                }
                if sweep.stop == nil, let last = sweep.offsets.last, let instruction = sweep.instructions.last,
                   last + instruction.length != bytes.count {
                    problems.append("\(Self.hexString(bytes)): sweep ended early without an error")
                }
            }
        }
        let problemCount = problems.count
        #expect(problemCount == 0, "\(problemCount) inconsistent decodes:\n\(problems.prefix(20).joined(separator: "\n"))")
        // The mix reaches every outcome.
        #expect(decodedCount > 10_000)
        #expect(errors[.truncated, default: 0] > 1_000)
        #expect(errors[.invalidOpcode, default: 0] > 100)
        #expect(errors[.tooLong, default: 0] > 0)
        #expect(errors[.offsetOutOfRange, default: 0] > 0)
    }

    @Test func everyOneAndTwoByteSequenceDecodesOrFails() {
        var problems: [String] = []
        for first in 0...255 {
            for second in 0...255 {
                let bytes = [UInt8(first), UInt8(second)]
                if case .success(let instruction) = X86Decoder.decode(bytes),
                   let problem = Self.inconsistency(instruction, from: bytes, at: 0) {
                    problems.append("\(Self.hexString(bytes)): \(problem)")
                }
            }
        }
        let problemCount = problems.count
        #expect(problemCount == 0, "\(problemCount) inconsistent decodes:\n\(problems.prefix(20).joined(separator: "\n"))")
    }
}
