// DTraceX86/X86Instruction: what one decoded x86-64 instruction is — its bytes and where
// each field sits in them (prefixes, REX, VEX/EVEX/XOP prefix, opcode, ModRM, SIB,
// displacement, immediate), whether its memory operand is RIP-relative and where that
// points, and whether (and where) it transfers control. The pid provider reads lengths
// and branch kinds from it; an engine that executes displaced instructions reads the field
// offsets to rewrite RIP-relative operands and relative branches. Decoding is in
// X86Decoder.swift, the opcode maps in OpcodeTables.swift, the kernel's uprobe rules in
// UprobeHandling.swift. The module has no dependencies.

/// Which opcode map an instruction's opcode byte belongs to.
public enum OpcodeMap: Sendable, Equatable, Hashable {
    /// One-byte opcodes (no escape).
    case primary
    /// Two-byte opcodes, escape `0F` (or VEX/EVEX map 1).
    case twoByte
    /// Three-byte opcodes, escape `0F 38` (or VEX/EVEX map 2).
    case threeByte38
    /// Three-byte opcodes, escape `0F 3A` (or VEX/EVEX map 3).
    case threeByte3A
    /// AMD 3DNow!: `0F 0F` ModRM [SIB] [displacement] and an opcode byte last, reported as
    /// the immediate; `opcode` is then `0x0F`.
    case amd3DNow
    /// EVEX map 5 (AVX512-FP16).
    case evexMap5
    /// EVEX map 6 (AVX512-FP16).
    case evexMap6
    /// AMD XOP map 8 (opcodes with an 8-bit immediate).
    case xopMap8
    /// AMD XOP map 9 (no immediate).
    case xopMap9
    /// AMD XOP map 0A (opcodes with a 32-bit immediate).
    case xopMapA
}

/// The vector-extension prefix an instruction carries instead of legacy escapes: VEX
/// (`C5` two bytes, `C4` three bytes), EVEX (`62`, four bytes) or AMD XOP (`8F`, three
/// bytes). The register-extension bits are given as they act (the encoding stores R, X, B
/// and vvvv inverted).
public struct VectorEncoding: Sendable, Equatable, Hashable {
    /// The prefix form.
    public enum Kind: Sendable, Equatable, Hashable {
        /// `C5` and one payload byte: R, vvvv, L, pp; always opcode map 1.
        case vex2
        /// `C4` and two payload bytes: R, X, B, map, W, vvvv, L, pp.
        case vex3
        /// `62` and three payload bytes (AVX-512): R, X, B, R', map, W, vvvv, pp, z, L'L, b, V', aaa.
        case evex
        /// `8F` and two payload bytes, laid out like VEX3 with maps 8, 9 and 0A.
        case xop
    }

    /// The prefix form.
    public var kind: Kind
    /// Offset of the prefix's first byte (`C4`, `C5`, `62` or `8F`) in the instruction.
    public var offset: Int
    /// Bytes in the prefix, the first included: 2, 3 or 4.
    public var size: Int
    /// REX.R equivalent (extends ModRM.reg).
    public var r: Bool
    /// REX.X equivalent (extends SIB.index); false for VEX2.
    public var x: Bool
    /// REX.B equivalent (extends ModRM.rm or SIB.base); false for VEX2.
    public var b: Bool
    /// REX.W equivalent; false for VEX2.
    public var w: Bool
    /// The extra source register (vvvv, un-inverted; EVEX adds V' as bit 4).
    public var vvvv: UInt8
    /// Vector length in bits: 128, 256 or 512 (L, or EVEX L'L; with EVEX.b on a register
    /// operand the field is a rounding control and this value is what it would mean otherwise).
    public var vectorLength: Int
    /// The legacy prefix the pp field stands for: nil, `0x66`, `0xF3` or `0xF2`.
    public var impliedPrefix: UInt8?
    /// EVEX opmask register (aaa), 0 when none or not EVEX.
    public var opmask: UInt8
}

/// x86 condition codes in encoding order (the low nibble of `7x` and `0F 8x`).
public enum ConditionCode: UInt8, Sendable, Equatable, Hashable, CaseIterable {
    /// 0–7: o, no, b (c), ae (nc), e (z), ne (nz), be (na), a (nbe).
    case overflow = 0, notOverflow, below, aboveOrEqual, equal, notEqual, belowOrEqual, above
    /// 8–F: s, ns, p (pe), np (po), l (nge), ge (nl), le (ng), g (nle).
    case sign, notSign, parity, notParity, less, greaterOrEqual, lessOrEqual, greater
}

/// The counter-driven short branches `E0`–`E3`.
public enum LoopKind: Sendable, Equatable, Hashable {
    /// `E0` loopne: decrement rCX, branch if nonzero and ZF clear.
    case loopWhileNotEqual
    /// `E1` loope: decrement rCX, branch if nonzero and ZF set.
    case loopWhileEqual
    /// `E2` loop: decrement rCX, branch if nonzero.
    case loop
    /// `E3` jrcxz (jecxz with `67`): branch if rCX (eCX) is zero.
    case jumpIfCounterZero
}

/// How an instruction transfers control. Relative forms carry the displacement from the
/// end of the instruction (`branchTarget(at:)` adds it).
public enum Branch: Sendable, Equatable, Hashable {
    /// `EB` rel8, `E9` rel32.
    case relativeJump(displacement: Int64)
    /// `E8` rel32.
    case relativeCall(displacement: Int64)
    /// `70`–`7F` rel8, `0F 80`–`0F 8F` rel32.
    case conditional(ConditionCode, displacement: Int64)
    /// `E0`–`E3` rel8.
    case loop(LoopKind, displacement: Int64)
    /// `C7 F8` xbegin: falls through; an aborted transaction resumes at the relative target.
    case transactionBegin(displacement: Int64)
    /// Near return `C3`, `C2 iw`.
    case ret
    /// Far return `CB`, `CA iw`, and `CF` iret.
    case farReturn
    /// `FF /4` jmp r/m, and the far `FF /5`.
    case indirectJump
    /// `FF /2` call r/m, and the far `FF /3`.
    case indirectCall
    /// Traps into the kernel: `CC` int3, `CD ib` int, `F1` int1, `0F 05` syscall,
    /// `0F 34` sysenter (and the kernel-only `0F 07` sysret, `0F 35` sysexit).
    case trap
}

/// One decoded x86-64 instruction. Offsets count from the instruction's first byte.
public struct X86Instruction: Sendable, Equatable, Hashable {
    /// The instruction's bytes (`length` of them).
    public var bytes: [UInt8]
    /// Total length in bytes, 1...15.
    public var length: Int
    /// The legacy prefixes (`F0 F2 F3 2E 36 3E 26 64 65 66 67`), in order, repeats kept.
    public var prefixes: [UInt8]
    /// The REX byte in effect (the one right before the opcode or vector prefix), if any.
    /// A REX followed by a legacy prefix is ignored by the CPU: it counts in `length` and
    /// `bytes` but is not reported here.
    public var rex: UInt8?
    /// Offset of `rex`.
    public var rexOffset: Int?
    /// The VEX, EVEX or XOP prefix, if the instruction has one.
    public var vectorEncoding: VectorEncoding?
    /// The map `opcode` belongs to.
    public var opcodeMap: OpcodeMap
    /// The opcode byte within `opcodeMap` (after any escape bytes or vector prefix).
    public var opcode: UInt8
    /// Offset of `opcode`.
    public var opcodeOffset: Int
    /// The ModRM byte, if the opcode takes one.
    public var modRM: UInt8?
    /// Offset of `modRM`.
    public var modRMOffset: Int?
    /// The SIB byte, if the ModRM byte calls for one.
    public var sib: UInt8?
    /// The displacement, sign-extended (EVEX disp8 as encoded, not scaled by N).
    public var displacement: Int64?
    /// Offset of the displacement's first byte.
    public var displacementOffset: Int?
    /// Bytes of displacement: 0, 1, 4, or 8 for the `A0`–`A3` memory offset (4 with `67`).
    public var displacementSize: Int
    /// The (first) immediate, sign-extended from its width (read unsigned fields such as
    /// `ret iw` with `UInt16(truncatingIfNeeded:)`). Relative branch displacements are
    /// immediates here too, as in the encoding. For 3DNow! it is the opcode suffix byte.
    public var immediate: Int64?
    /// Offset of the immediate's first byte.
    public var immediateOffset: Int?
    /// Bytes of immediate data in total, both immediates of `ENTER` (`C8 iw ib`) and
    /// `EXTRQ`/`INSERTQ` (`ib ib`) included.
    public var immediateSize: Int
    /// The second immediate of `ENTER` (nesting level) and `EXTRQ`/`INSERTQ`, if any.
    public var secondImmediate: Int64?
    /// The memory operand is RIP-relative: ModRM mod=00 rm=101 in 64-bit mode (REX.B does
    /// not change that). With a `67` prefix the CPU uses EIP and truncates to 32 bits.
    public var isRIPRelative: Bool
    /// How the instruction transfers control, or nil when it falls through.
    public var branch: Branch?

    /// ModRM.mod (0...3), if there is a ModRM byte.
    public var modRMMod: UInt8? { modRM.map { $0 >> 6 } }
    /// ModRM.reg (0...7, without REX.R), if there is a ModRM byte.
    public var modRMReg: UInt8? { modRM.map { ($0 >> 3) & 7 } }
    /// ModRM.rm (0...7, without REX.B), if there is a ModRM byte.
    public var modRMRM: UInt8? { modRM.map { $0 & 7 } }

    /// REX.W or the vector prefix's W.
    public var isRexW: Bool { rex.map { $0 & 0x08 != 0 } ?? vectorEncoding?.w ?? false }
    /// Whether a legacy prefix byte is among `prefixes`.
    public func hasPrefix(_ prefix: UInt8) -> Bool { prefixes.contains(prefix) }

    /// Where a relative branch goes when the instruction sits at `address`: the end of the
    /// instruction plus the displacement (wrapping at 2^64). Nil for other instructions.
    public func branchTarget(at address: UInt64) -> UInt64? {
        switch branch {
        case .relativeJump(let displacement), .relativeCall(let displacement),
             .conditional(_, let displacement), .loop(_, let displacement),
             .transactionBegin(let displacement):
            return address &+ UInt64(length) &+ UInt64(bitPattern: displacement)
        default:
            return nil
        }
    }

    /// The address a RIP-relative memory operand refers to when the instruction sits at
    /// `address` (end of instruction plus displacement; 32 bits with a `67` prefix).
    /// Nil when the operand is not RIP-relative.
    public func ripRelativeTarget(at address: UInt64) -> UInt64? {
        guard isRIPRelative, let displacement else { return nil }
        let target = address &+ UInt64(length) &+ UInt64(bitPattern: displacement)
        return hasPrefix(0x67) ? target & 0xFFFF_FFFF : target
    }

    /// `endbr64` (`F3 0F 1E FA`), the CET landing pad that opens functions built with
    /// -fcf-protection.
    public var isEndbr64: Bool {
        bytes == [0xF3, 0x0F, 0x1E, 0xFA]
    }

    /// `push %rbp` (`55`), the usual first instruction of a frame-pointer prologue.
    public var isPushFramePointer: Bool {
        bytes == [0x55]
    }
}
