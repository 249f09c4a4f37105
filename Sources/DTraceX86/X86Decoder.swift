// DTraceX86/X86Decoder: decoding x86-64 (64-bit mode) machine code into X86Instruction
// values — prefixes, REX, VEX/EVEX/XOP, the opcode through the maps of OpcodeTables,
// ModRM, SIB, displacement and immediate — and the linear sweep that lists every
// instruction offset of a function. Decoding reads at most 15 bytes and checks every read:
// any byte sequence gives an instruction or an X86DecodeError (truncated, invalid in
// 64-bit mode, longer than 15 bytes), never a trap.

/// Why bytes did not decode, and where the instruction began.
public struct X86DecodeError: Error, Sendable, Equatable, Hashable {
    /// The reason.
    public enum Reason: Sendable, Equatable, Hashable {
        /// The bytes end before the instruction does.
        case truncated
        /// An opcode (or vector prefix, or map) that is undefined or #UD in 64-bit mode,
        /// e.g. `06`, `27`, `9A`, `D4`, `EA`, `0F 04`, VEX map 0, or a VEX/EVEX prefix after
        /// 66/F2/F3/F0/REX.
        case invalidOpcode
        /// The instruction would be longer than 15 bytes (e.g. fifteen prefixes).
        case tooLong
        /// The requested offset is negative or past the end of the bytes.
        case offsetOutOfRange
    }

    /// Offset of the instruction's first byte, as given to `decode(_:at:)`.
    public var offset: Int
    /// The reason.
    public var reason: Reason

    /// An error at `offset` for `reason`.
    public init(offset: Int, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }
}

/// What a linear sweep found: every instruction from offset 0 on, and why it stopped
/// early if it did.
public struct X86LinearSweep: Sendable, Equatable {
    /// Offsets of the decoded instructions, ascending.
    public var offsets: [Int]
    /// The decoded instructions, one per offset.
    public var instructions: [X86Instruction]
    /// The error that ended the sweep before the end of the code (or before `maxCount`).
    public var stop: X86DecodeError?
}

/// The x86-64 instruction decoder (64-bit mode only).
public enum X86Decoder {
    /// The architectural limit on instruction length.
    public static let maximumInstructionLength = 15

    /// Decodes the instruction starting at index `offset` of `bytes`.
    public static func decode(_ bytes: [UInt8], at offset: Int = 0) -> Result<X86Instruction, X86DecodeError> {
        guard offset >= 0, offset < bytes.count else {
            return .failure(X86DecodeError(offset: offset, reason: .offsetOutOfRange))
        }
        return decode(bytes, start: offset, reportedOffset: offset)
    }

    /// Decodes the instruction starting `offset` elements after `bytes.startIndex` (for an
    /// array slice, `offset` counts from the slice's start, not from index 0).
    public static func decode<Bytes: Collection>(_ bytes: Bytes, at offset: Int = 0) -> Result<X86Instruction, X86DecodeError>
        where Bytes.Element == UInt8 {
        guard offset >= 0 else { return .failure(X86DecodeError(offset: offset, reason: .offsetOutOfRange)) }
        let window = Array(bytes.dropFirst(offset).prefix(maximumInstructionLength))
        guard !window.isEmpty else { return .failure(X86DecodeError(offset: offset, reason: .offsetOutOfRange)) }
        return decode(window, start: 0, reportedOffset: offset)
    }

    /// Decodes instructions one after another from offset 0 until the end of `code`, a
    /// decode error, or `maxCount` instructions.
    public static func sweep(_ code: [UInt8], maxCount: Int = .max) -> X86LinearSweep {
        var sweep = X86LinearSweep(offsets: [], instructions: [], stop: nil)
        var offset = 0
        while offset < code.count, sweep.offsets.count < maxCount {
            switch decode(code, at: offset) {
            case .success(let instruction):
                sweep.offsets.append(offset)
                sweep.instructions.append(instruction)
                offset += instruction.length
            case .failure(let error):
                sweep.stop = error
                return sweep
            }
        }
        return sweep
    }

    /// Offsets of every instruction decoded linearly from offset 0 until the end of `code`
    /// or a decode error (what was decoded before the error is returned), at most `maxCount`.
    public static func instructionBoundaries(of code: [UInt8], maxCount: Int = .max) -> [Int] {
        sweep(code, maxCount: maxCount).offsets
    }

    private static func decode(_ source: [UInt8], start: Int, reportedOffset: Int) -> Result<X86Instruction, X86DecodeError> {
        var decoder = InstructionDecoder(source: source, start: start, reportedOffset: reportedOffset)
        do {
            return .success(try decoder.decode())
        } catch {
            return .failure(error)
        }
    }
}

/// Decodes the instruction at `start` in `source`, reading at most 15 bytes; every read is
/// checked against both limits.
private struct InstructionDecoder {
    let source: [UInt8]
    let start: Int
    let reportedOffset: Int
    /// Bytes consumed so far.
    var position = 0

    init(source: [UInt8], start: Int, reportedOffset: Int) {
        self.source = source
        self.start = start
        self.reportedOffset = reportedOffset
    }

    func failure(_ reason: X86DecodeError.Reason) -> X86DecodeError {
        X86DecodeError(offset: reportedOffset, reason: reason)
    }

    func peek() throws(X86DecodeError) -> UInt8 {
        guard position < X86Decoder.maximumInstructionLength else { throw failure(.tooLong) }
        guard position < source.count - start else { throw failure(.truncated) }
        return source[start + position]
    }

    mutating func next() throws(X86DecodeError) -> UInt8 {
        let byte = try peek()
        position += 1
        return byte
    }

    /// Reads `size` bytes little-endian and sign-extends them.
    mutating func signed(size: Int) throws(X86DecodeError) -> Int64 {
        var value: UInt64 = 0
        for index in 0..<size {
            value |= UInt64(try next()) << (8 * UInt64(index))
        }
        let unusedBits = UInt64(64 - 8 * size)
        return Int64(bitPattern: value << unusedBits) >> Int64(unusedBits)
    }

    /// The legacy prefixes and the REX prefix in effect.
    struct Prefixes {
        var legacy: [UInt8] = []
        var rex: UInt8?
        var rexOffset: Int?
        var hasOperandSizeOverride: Bool { legacy.contains(0x66) }
        var hasAddressSizeOverride: Bool { legacy.contains(0x67) }
        var rexW: Bool { (rex ?? 0) & 0x08 != 0 }
    }

    /// Where the opcode is and what the tables say about it.
    struct Opcode {
        var map: OpcodeMap
        var byte: UInt8
        var offset: Int
        var entry: OpcodeEntry
        var vector: VectorEncoding?
    }

    /// ModRM, SIB and displacement.
    struct Addressing {
        var modRM: UInt8?
        var modRMOffset: Int?
        var sib: UInt8?
        var displacement: Int64?
        var displacementOffset: Int?
        var displacementSize = 0
        var isRIPRelative = false
    }

    mutating func decode() throws(X86DecodeError) -> X86Instruction {
        let prefixes = try readPrefixes()
        let opcode = try readOpcode(after: prefixes)
        let addressing = try readAddressing(for: opcode.entry, prefixes: prefixes)
        let sizes = Self.immediateSizes(for: opcode.entry, prefixes: prefixes, modRM: addressing.modRM)
        var immediate: Int64?
        var immediateOffset: Int?
        var secondImmediate: Int64?
        if sizes.first > 0 {
            immediateOffset = position
            immediate = try signed(size: sizes.first)
        }
        if sizes.second > 0 {
            secondImmediate = try signed(size: sizes.second)
        }
        var instruction = X86Instruction(
            bytes: Array(source[start..<(start + position)]), length: position, prefixes: prefixes.legacy,
            rex: prefixes.rex, rexOffset: prefixes.rexOffset, vectorEncoding: opcode.vector,
            opcodeMap: opcode.map, opcode: opcode.byte, opcodeOffset: opcode.offset,
            modRM: addressing.modRM, modRMOffset: addressing.modRMOffset, sib: addressing.sib,
            displacement: addressing.displacement, displacementOffset: addressing.displacementOffset,
            displacementSize: addressing.displacementSize,
            immediate: immediate, immediateOffset: immediateOffset,
            immediateSize: sizes.first + sizes.second, secondImmediate: secondImmediate,
            isRIPRelative: addressing.isRIPRelative, branch: nil)
        instruction.branch = Self.branch(of: instruction)
        return instruction
    }

    /// Legacy prefixes and REX, in any order; a REX counts only right before the opcode.
    mutating func readPrefixes() throws(X86DecodeError) -> Prefixes {
        var prefixes = Prefixes()
        while true {
            let byte = try peek()
            switch OpcodeTables.primary[Int(byte)].role {
            case .legacyPrefix:
                prefixes.legacy.append(byte)
                prefixes.rex = nil
                prefixes.rexOffset = nil
            case .rex:
                prefixes.rex = byte
                prefixes.rexOffset = position
            default:
                return prefixes
            }
            position += 1
        }
    }

    /// The opcode through escapes (0F, 0F 38, 0F 3A, 0F 0F) or a VEX/EVEX/XOP prefix.
    mutating func readOpcode(after prefixes: Prefixes) throws(X86DecodeError) -> Opcode {
        let firstOffset = position
        let first = try next()
        let firstEntry = OpcodeTables.primary[Int(first)]
        switch firstEntry.role {
        case .instruction:
            return Opcode(map: .primary, byte: first, offset: firstOffset, entry: firstEntry)
        case .escape0F:
            let secondOffset = position
            let second = try next()
            let secondEntry = OpcodeTables.twoByte[Int(second)]
            switch secondEntry.role {
            case .instruction:
                return Opcode(map: .twoByte, byte: second, offset: secondOffset, entry: secondEntry)
            case .escape0F38:
                let thirdOffset = position
                return Opcode(map: .threeByte38, byte: try next(), offset: thirdOffset, entry: OpcodeEntry(.instruction, modRM: true))
            case .escape0F3A:
                let thirdOffset = position
                return Opcode(map: .threeByte3A, byte: try next(), offset: thirdOffset, entry: OpcodeEntry(.instruction, modRM: true, .byte))
            case .amd3DNow:
                return Opcode(map: .amd3DNow, byte: second, offset: secondOffset, entry: OpcodeEntry(.instruction, modRM: true, .byte))
            default:
                throw failure(.invalidOpcode)
            }
        case .popOrXOP:
            // XOP when the next byte's map field (low five bits) is 8 or more; a pop's
            // ModRM.reg is 0, which keeps those bits below 8.
            if try peek() & 0x1F < 8 {
                return Opcode(map: .primary, byte: first, offset: firstOffset, entry: OpcodeEntry(.instruction, modRM: true))
            }
            return try readVectorOpcode(kind: firstEntry.role, prefixAt: firstOffset, after: prefixes)
        case .vex2, .vex3, .evex:
            return try readVectorOpcode(kind: firstEntry.role, prefixAt: firstOffset, after: prefixes)
        case .invalid, .legacyPrefix, .rex, .escape0F38, .escape0F3A, .amd3DNow:
            throw failure(.invalidOpcode)
        }
    }

    /// The rest of a VEX, EVEX or XOP prefix and the opcode after it.
    mutating func readVectorOpcode(kind: OpcodeEntry.Role, prefixAt offset: Int, after prefixes: Prefixes) throws(X86DecodeError) -> Opcode {
        // VEX, EVEX and XOP are #UD after 66, F2, F3, F0 or REX.
        if prefixes.rex != nil || prefixes.legacy.contains(where: Self.forbidsVectorPrefix) {
            throw failure(.invalidOpcode)
        }
        let (encoding, map) = try vectorPrefix(kind: kind, at: offset)
        let opcodeOffset = position
        let opcode = try next()
        let takesModRM = !(encoding.kind != .evex && map == .twoByte && opcode == OpcodeTables.vexMap1OpcodeWithoutModRM)
        let entry = OpcodeEntry(.instruction, modRM: takesModRM, OpcodeTables.vectorImmediate(map: map, opcode: opcode))
        return Opcode(map: map, byte: opcode, offset: opcodeOffset, entry: entry, vector: encoding)
    }

    /// ModRM, SIB and displacement (or the moffs address of A0–A3) in 64-bit addressing;
    /// 67 gives 32-bit registers but the same layout.
    mutating func readAddressing(for entry: OpcodeEntry, prefixes: Prefixes) throws(X86DecodeError) -> Addressing {
        var addressing = Addressing()
        if entry.hasModRM {
            addressing.modRMOffset = position
            let modRM = try next()
            addressing.modRM = modRM
            let mod = modRM >> 6
            let rm = modRM & 7
            if !entry.modRMIsRegisterOnly && mod != 3 {
                if rm == 4 {
                    let sib = try next()
                    addressing.sib = sib
                    if mod == 0 && sib & 7 == 5 { addressing.displacementSize = 4 }
                } else if mod == 0 && rm == 5 {
                    addressing.displacementSize = 4
                    addressing.isRIPRelative = true
                }
                if mod == 1 { addressing.displacementSize = 1 }
                if mod == 2 { addressing.displacementSize = 4 }
            }
        }
        if entry.immediate == .memoryOffset {
            addressing.displacementSize = prefixes.hasAddressSizeOverride ? 4 : 8
        }
        if addressing.displacementSize > 0 {
            addressing.displacementOffset = position
            addressing.displacement = try signed(size: addressing.displacementSize)
        }
        return addressing
    }

    /// Bytes of the first and the second immediate.
    static func immediateSizes(for entry: OpcodeEntry, prefixes: Prefixes, modRM: UInt8?) -> (first: Int, second: Int) {
        let wordOrDoubleword = prefixes.hasOperandSizeOverride && !prefixes.rexW ? 2 : 4
        let isTestInGroup3 = ((modRM ?? 0) >> 3) & 7 <= 1
        switch entry.immediate {
        case .none, .memoryOffset: return (0, 0)
        case .byte, .relative8: return (1, 0)
        case .word: return (2, 0)
        case .wordOrDoubleword: return (wordOrDoubleword, 0)
        case .operandSized: return (prefixes.rexW ? 8 : prefixes.hasOperandSizeOverride ? 2 : 4, 0)
        case .relative32, .doubleword: return (4, 0)
        case .wordThenByte: return (2, 1)
        case .byteForTestGroup: return (isTestInGroup3 ? 1 : 0, 0)
        case .wordOrDoublewordForTestGroup: return (isTestInGroup3 ? wordOrDoubleword : 0, 0)
        case .twoBytesWith66OrF2: return prefixes.legacy.contains(where: { $0 == 0x66 || $0 == 0xF2 }) ? (1, 1) : (0, 0)
        }
    }

    /// 66, F2, F3 and F0 before a VEX, EVEX or XOP prefix make the instruction #UD.
    static func forbidsVectorPrefix(_ prefix: UInt8) -> Bool {
        prefix == 0x66 || prefix == 0xF2 || prefix == 0xF3 || prefix == 0xF0
    }

    /// The legacy prefix a vector prefix's pp field stands for.
    static func impliedPrefix(pp: UInt8) -> UInt8? {
        switch pp & 3 {
        case 1: return 0x66
        case 2: return 0xF3
        case 3: return 0xF2
        default: return nil
        }
    }

    /// Reads a VEX, EVEX or XOP prefix whose first byte is at `offset` (already consumed).
    mutating func vectorPrefix(kind role: OpcodeEntry.Role, at offset: Int) throws(X86DecodeError) -> (encoding: VectorEncoding, map: OpcodeMap) {
        switch role {
        case .vex2:
            let payload = try next()
            let encoding = VectorEncoding(
                kind: .vex2, offset: offset, size: 2,
                r: payload & 0x80 == 0, x: false, b: false, w: false,
                vvvv: (~payload >> 3) & 0x0F, vectorLength: payload & 0x04 == 0 ? 128 : 256,
                impliedPrefix: Self.impliedPrefix(pp: payload), opmask: 0)
            return (encoding, .twoByte)
        case .vex3, .popOrXOP:
            let first = try next()
            let second = try next()
            let mapSelect = first & 0x1F
            let map: OpcodeMap
            if role == .vex3 {
                switch mapSelect {
                case 1: map = .twoByte
                case 2: map = .threeByte38
                case 3: map = .threeByte3A
                default: throw failure(.invalidOpcode)
                }
            } else {
                switch mapSelect {
                case 8: map = .xopMap8
                case 9: map = .xopMap9
                case 0x0A: map = .xopMapA
                default: throw failure(.invalidOpcode)
                }
            }
            let encoding = VectorEncoding(
                kind: role == .vex3 ? .vex3 : .xop, offset: offset, size: 3,
                r: first & 0x80 == 0, x: first & 0x40 == 0, b: first & 0x20 == 0, w: second & 0x80 != 0,
                vvvv: (~second >> 3) & 0x0F, vectorLength: second & 0x04 == 0 ? 128 : 256,
                impliedPrefix: Self.impliedPrefix(pp: second), opmask: 0)
            return (encoding, map)
        default:
            let p0 = try next()
            let p1 = try next()
            let p2 = try next()
            let map: OpcodeMap
            switch p0 & 0x07 {
            case 1: map = .twoByte
            case 2: map = .threeByte38
            case 3: map = .threeByte3A
            case 5: map = .evexMap5
            case 6: map = .evexMap6
            default: throw failure(.invalidOpcode)
            }
            let encoding = VectorEncoding(
                kind: .evex, offset: offset, size: 4,
                r: p0 & 0x80 == 0, x: p0 & 0x40 == 0, b: p0 & 0x20 == 0, w: p1 & 0x80 != 0,
                vvvv: ((~p1 >> 3) & 0x0F) | (p2 & 0x08 == 0 ? 0x10 : 0),
                vectorLength: 128 << min(Int((p2 >> 5) & 3), 2),
                impliedPrefix: Self.impliedPrefix(pp: p1), opmask: p2 & 7)
            return (encoding, map)
        }
    }

    /// How a decoded instruction transfers control (legacy encodings only; nothing
    /// VEX/EVEX/XOP-encoded branches).
    static func branch(of instruction: X86Instruction) -> Branch? {
        guard instruction.vectorEncoding == nil else { return nil }
        let relative = instruction.immediate ?? 0
        let opcode = instruction.opcode
        switch instruction.opcodeMap {
        case .primary:
            switch opcode {
            case 0x70...0x7F:
                guard let condition = ConditionCode(rawValue: opcode & 0x0F) else { return nil }
                return .conditional(condition, displacement: relative)
            case 0xE0: return .loop(.loopWhileNotEqual, displacement: relative)
            case 0xE1: return .loop(.loopWhileEqual, displacement: relative)
            case 0xE2: return .loop(.loop, displacement: relative)
            case 0xE3: return .loop(.jumpIfCounterZero, displacement: relative)
            case 0xE8: return .relativeCall(displacement: relative)
            case 0xE9, 0xEB: return .relativeJump(displacement: relative)
            case 0xC2, 0xC3: return .ret
            case 0xCA, 0xCB, 0xCF: return .farReturn
            case 0xCC, 0xCD, 0xF1: return .trap
            case 0xC7 where instruction.modRM == 0xF8: return .transactionBegin(displacement: relative)
            case 0xFF:
                switch instruction.modRMReg {
                case 2, 3: return .indirectCall
                case 4, 5: return .indirectJump
                default: return nil
                }
            default: return nil
            }
        case .twoByte:
            switch opcode {
            case 0x80...0x8F:
                guard let condition = ConditionCode(rawValue: opcode & 0x0F) else { return nil }
                return .conditional(condition, displacement: relative)
            case 0x05, 0x07, 0x34, 0x35: return .trap
            default: return nil
            }
        default:
            return nil
        }
    }
}
