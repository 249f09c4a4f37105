// DTraceX86/OutOfLineCopy: executing a displaced instruction out of line — the bytes to
// place on a scratch page in the tracee so the instruction behaves there as it would at
// its original address (a RIP-relative operand's 32-bit displacement rewritten to reach
// the same target), and the register fix-up after the engine single-steps it there (rip
// moved from the end of the copy to the end of the original). Instructions that transfer
// control (jumps, calls, returns, loops, traps such as syscall, xbegin) are refused: where
// they go or what they store depends on their own address, so the engine emulates them
// (X86Emulator.swift).

/// Why an instruction cannot be executed out of line at the requested scratch address.
public enum OutOfLineRefusal: Error, Sendable, Equatable, Hashable {
    /// The bytes do not decode.
    case undecodable(X86DecodeError)
    /// The instruction transfers control (a jump, call, return, loop, trap or syscall,
    /// xbegin); it must be emulated instead.
    case transfersControl(Branch)
    /// The RIP-relative operand's target is more than ±2 GB from the scratch copy: the
    /// engine must put its scratch page within 2 GB of `target`.
    case displacementOutOfRange(target: UInt64)
    /// The instruction value's fields disagree with its bytes (it is not one the decoder
    /// produced): a length that is not its byte count or not 1...15, or no displacement
    /// where its RIP-relative operand says one is.
    case malformedInstruction
}

/// How a single step of the copy ended, as `OutOfLineCopy.fixup(after:)` found it.
public enum OutOfLineStepOutcome: Sendable, Equatable, Hashable {
    /// rip was at the end of the copy: the instruction completed, and rip now points after
    /// the original instruction.
    case completed
    /// rip is still at the start of the copy (left there): a fault or signal stopped the
    /// instruction, or a rep-prefixed string instruction has iterations left and should be
    /// stepped again. `returnToOriginal(_:)` puts rip back on the original instruction.
    case notFinished
    /// rip is somewhere else (left unchanged); the engine's own state disagrees with the copy.
    case unexpected(rip: UInt64)
}

/// An instruction prepared to be single-stepped at a scratch address in place of its
/// original address.
public struct OutOfLineCopy: Sendable, Equatable, Hashable {
    /// The instruction as decoded at its original address.
    public let instruction: X86Instruction
    /// Where the instruction really is (where the breakpoint is).
    public let originalAddress: UInt64
    /// Where the copy goes.
    public let scratchAddress: UInt64
    /// The bytes to write at `scratchAddress`: the instruction's own, with a RIP-relative
    /// displacement rewritten. Same length as the original.
    public let bytes: [UInt8]

    /// Bytes in the instruction (and the copy).
    public var length: Int { bytes.count }

    /// Prepares `instruction`, found at `originalAddress`, to run at `scratchAddress`.
    public init(_ instruction: X86Instruction, originalAddress: UInt64, scratchAddress: UInt64) throws(OutOfLineRefusal) {
        if let branch = instruction.branch {
            throw .transfersControl(branch)
        }
        guard (1...X86Decoder.maximumInstructionLength).contains(instruction.length),
              instruction.bytes.count == instruction.length else {
            throw .malformedInstruction
        }
        var bytes = instruction.bytes
        if instruction.isRIPRelative {
            guard let target = instruction.ripRelativeTarget(at: originalAddress),
                  let offset = instruction.displacementOffset, instruction.displacementSize == 4,
                  offset >= 0, offset <= bytes.count - 4 else {
                throw .malformedInstruction
            }
            let end = scratchAddress &+ UInt64(truncatingIfNeeded: instruction.length)
            let displacement = Int64(bitPattern: target &- end)
            let encoded: Int32
            if instruction.hasPrefix(0x67) {
                // EIP-relative: the sum is truncated to 32 bits, so any displacement
                // with the right low 32 bits reaches the target.
                encoded = Int32(truncatingIfNeeded: displacement)
            } else {
                guard let exact = Int32(exactly: displacement) else {
                    throw .displacementOutOfRange(target: target)
                }
                encoded = exact
            }
            let pattern = UInt32(bitPattern: encoded)
            for index in 0..<4 {
                bytes[offset + index] = UInt8(truncatingIfNeeded: pattern >> UInt32(8 * index))
            }
        }
        self.instruction = instruction
        self.originalAddress = originalAddress
        self.scratchAddress = scratchAddress
        self.bytes = bytes
    }

    /// Decodes the instruction at the start of `instructionBytes` (the bytes at
    /// `originalAddress`, at least the whole instruction) and prepares it.
    public init(instructionBytes: [UInt8], originalAddress: UInt64, scratchAddress: UInt64) throws(OutOfLineRefusal) {
        switch X86Decoder.decode(instructionBytes) {
        case .success(let instruction):
            try self.init(instruction, originalAddress: originalAddress, scratchAddress: scratchAddress)
        case .failure(let error):
            throw .undecodable(error)
        }
    }

    /// After a single step of the copy: when rip is at the end of the copy, moves it to the
    /// end of the original instruction. No other register depends on where the copy ran
    /// (the instructions that store their own address are refused).
    public func fixup(after step: inout X86Registers) -> OutOfLineStepOutcome {
        let copyEnd = scratchAddress &+ UInt64(truncatingIfNeeded: length)
        switch step.rip {
        case copyEnd:
            step.rip = originalAddress &+ UInt64(truncatingIfNeeded: length)
            return .completed
        case scratchAddress:
            return .notFinished
        default:
            return .unexpected(rip: step.rip)
        }
    }

    /// When rip is at the start of the copy (the step did not finish), puts it back on the
    /// original instruction, so a signal the tracee takes there shows the real address.
    /// Returns whether rip was moved.
    @discardableResult
    public func returnToOriginal(_ registers: inout X86Registers) -> Bool {
        guard registers.rip == scratchAddress else { return false }
        registers.rip = originalAddress
        return true
    }
}
