// DTraceX86/OpcodeTables: the x86-64 opcode maps as data — for every opcode byte of the
// one-byte map and the two-byte (0F) map, what the decoder does with it: a legacy prefix,
// REX, an escape or vector prefix, invalid in 64-bit mode, or an instruction with or
// without a ModRM byte and which kind of immediate follows; and the rules for the
// three-byte maps (0F 38: ModRM, no immediate; 0F 3A: ModRM and ib) and the VEX, EVEX and
// XOP maps. Only what the length and the field offsets need is here; what an instruction
// means (branches) is in X86Decoder.swift. Written from the Intel SDM Vol. 2 opcode maps
// (Appendix A) and AMD's APM Vol. 3 (3DNow!, SSE4a, XOP).

/// What follows the opcode (and ModRM, SIB, displacement) as immediate data.
enum ImmediateKind: Sendable, Equatable {
    /// No immediate.
    case none
    /// ib: one byte.
    case byte
    /// iw: two bytes.
    case word
    /// iz: two bytes with a 66 prefix (and no REX.W), else four.
    case wordOrDoubleword
    /// iv (`B8`–`BF`): eight bytes with REX.W, two with 66, else four.
    case operandSized
    /// rel8: one byte of branch displacement.
    case relative8
    /// rel32: four bytes of branch displacement; in 64-bit mode 66 does not shorten near
    /// branches on Intel CPUs (AMD reads rel16), and the kernel's decoder follows Intel.
    case relative32
    /// iw then ib (`C8` enter).
    case wordThenByte
    /// moffs (`A0`–`A3`): an eight-byte address, four with 67. Reported as displacement.
    case memoryOffset
    /// `F6`: ib for /0 and /1 (test), none for the rest of group 3.
    case byteForTestGroup
    /// `F7`: iz for /0 and /1 (test), none for the rest of group 3.
    case wordOrDoublewordForTestGroup
    /// `0F 78`: vmread without prefix (none); extrq (66) and insertq (F2) take ib ib.
    case twoBytesWith66OrF2
    /// id: four bytes (XOP map 0A).
    case doubleword
}

/// What one opcode byte is to the decoder.
struct OpcodeEntry: Sendable, Equatable {
    /// The byte's role before operands are considered.
    enum Role: Sendable, Equatable {
        /// An instruction: `hasModRM` and `immediate` describe its operands.
        case instruction
        /// #UD in 64-bit mode (or unassigned).
        case invalid
        /// F0 F2 F3 2E 36 3E 26 64 65 66 67.
        case legacyPrefix
        /// 40–4F.
        case rex
        /// 0F: the opcode continues in the two-byte map.
        case escape0F
        /// 0F 38: the opcode continues in the 0F 38 map.
        case escape0F38
        /// 0F 3A: the opcode continues in the 0F 3A map.
        case escape0F3A
        /// 0F 0F: AMD 3DNow! (ModRM, operand, then an opcode byte as ib).
        case amd3DNow
        /// C5: two-byte VEX prefix.
        case vex2
        /// C4: three-byte VEX prefix.
        case vex3
        /// 62: EVEX prefix.
        case evex
        /// 8F: pop r/m (group 1A), or an XOP prefix when the next byte's map field is ≥ 8.
        case popOrXOP
    }

    let role: Role
    let hasModRM: Bool
    let immediate: ImmediateKind
    /// `0F 20`–`0F 23` (mov to/from control and debug registers): the CPU ignores ModRM.mod
    /// and always takes register operands, so no SIB or displacement ever follows.
    let modRMIsRegisterOnly: Bool

    init(_ role: Role, modRM: Bool = false, _ immediate: ImmediateKind = .none, registerOnly: Bool = false) {
        self.role = role
        self.hasModRM = modRM
        self.immediate = immediate
        self.modRMIsRegisterOnly = registerOnly
    }
}

// Legend for the tables below (names short so a row fits a line):
//   N   instruction, no ModRM, no immediate     M   ModRM
//   Ib  ib                                      MIb ModRM, ib
//   Iw  iw                                      Iz  iz              MIz ModRM, iz
//   Iv  iv (B8–BF)                              Jb  rel8            Jz  rel32
//   IwIb  enter's iw ib                         Mo  moffs (A0–A3)
//   G6  F6 group (ib for /0 /1)                 G7  F7 group (iz for /0 /1)
//   Inv invalid in 64-bit mode                  Pfx legacy prefix   Rex REX prefix
//   Esc 0F escape      E38 0F 38 escape         E3A 0F 3A escape    Now 0F 0F 3DNow!
//   Vx2 C5 VEX         Vx3 C4 VEX               Evx 62 EVEX         Xop 8F pop/XOP
//   Cr  ModRM that is always registers (0F 20–23)
//   M78 0F 78 (vmread; extrq/insertq with ib ib under 66/F2)
private let N = OpcodeEntry(.instruction)
private let M = OpcodeEntry(.instruction, modRM: true)
private let Ib = OpcodeEntry(.instruction, .byte)
private let MIb = OpcodeEntry(.instruction, modRM: true, .byte)
private let Iw = OpcodeEntry(.instruction, .word)
private let Iz = OpcodeEntry(.instruction, .wordOrDoubleword)
private let MIz = OpcodeEntry(.instruction, modRM: true, .wordOrDoubleword)
private let Iv = OpcodeEntry(.instruction, .operandSized)
private let Jb = OpcodeEntry(.instruction, .relative8)
private let Jz = OpcodeEntry(.instruction, .relative32)
private let IwIb = OpcodeEntry(.instruction, .wordThenByte)
private let Mo = OpcodeEntry(.instruction, .memoryOffset)
private let G6 = OpcodeEntry(.instruction, modRM: true, .byteForTestGroup)
private let G7 = OpcodeEntry(.instruction, modRM: true, .wordOrDoublewordForTestGroup)
private let Inv = OpcodeEntry(.invalid)
private let Pfx = OpcodeEntry(.legacyPrefix)
private let Rex = OpcodeEntry(.rex)
private let Esc = OpcodeEntry(.escape0F)
private let E38 = OpcodeEntry(.escape0F38)
private let E3A = OpcodeEntry(.escape0F3A)
private let Now = OpcodeEntry(.amd3DNow)
private let Vx2 = OpcodeEntry(.vex2)
private let Vx3 = OpcodeEntry(.vex3)
private let Evx = OpcodeEntry(.evex)
private let Xop = OpcodeEntry(.popOrXOP)
private let Cr = OpcodeEntry(.instruction, modRM: true, registerOnly: true)
private let M78 = OpcodeEntry(.instruction, modRM: true, .twoBytesWith66OrF2)

enum OpcodeTables {
    /// The one-byte opcode map in 64-bit mode, indexed by opcode byte.
    static let primary: [OpcodeEntry] = [
        //  0    1    2    3    4    5    6    7      8    9    A    B    C    D    E    F
        M,   M,   M,   M,   Ib,  Iz,  Inv, Inv,    M,   M,   M,   M,   Ib,  Iz,  Inv, Esc,  // 0x  add, or; push/pop es, cs
        M,   M,   M,   M,   Ib,  Iz,  Inv, Inv,    M,   M,   M,   M,   Ib,  Iz,  Inv, Inv,  // 1x  adc, sbb; push/pop ss, ds
        M,   M,   M,   M,   Ib,  Iz,  Pfx, Inv,    M,   M,   M,   M,   Ib,  Iz,  Pfx, Inv,  // 2x  and, sub; es:, daa, cs:, das
        M,   M,   M,   M,   Ib,  Iz,  Pfx, Inv,    M,   M,   M,   M,   Ib,  Iz,  Pfx, Inv,  // 3x  xor, cmp; ss:, aaa, ds:, aas
        Rex, Rex, Rex, Rex, Rex, Rex, Rex, Rex,    Rex, Rex, Rex, Rex, Rex, Rex, Rex, Rex,  // 4x  REX
        N,   N,   N,   N,   N,   N,   N,   N,      N,   N,   N,   N,   N,   N,   N,   N,    // 5x  push, pop r64
        Inv, Inv, Evx, M,   Pfx, Pfx, Pfx, Pfx,    Iz,  MIz, Ib,  MIb, N,   N,   N,   N,    // 6x  movsxd; fs: gs: 66 67; push, imul; ins, outs
        Jb,  Jb,  Jb,  Jb,  Jb,  Jb,  Jb,  Jb,     Jb,  Jb,  Jb,  Jb,  Jb,  Jb,  Jb,  Jb,   // 7x  jcc rel8
        MIb, MIz, Inv, MIb, M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   Xop,  // 8x  group 1, test, xchg, mov, lea, pop r/m
        N,   N,   N,   N,   N,   N,   N,   N,      N,   N,   Inv, N,   N,   N,   N,   N,    // 9x  xchg, cbw, cwd, (far call), fwait, pushf, popf, sahf, lahf
        Mo,  Mo,  Mo,  Mo,  N,   N,   N,   N,      Ib,  Iz,  N,   N,   N,   N,   N,   N,    // Ax  mov moffs, movs, cmps, test, stos, lods, scas
        Ib,  Ib,  Ib,  Ib,  Ib,  Ib,  Ib,  Ib,     Iv,  Iv,  Iv,  Iv,  Iv,  Iv,  Iv,  Iv,   // Bx  mov r8, ib; mov r, iv
        MIb, MIb, Iw,  N,   Vx3, Vx2, MIb, MIz,    IwIb, N,  Iw,  N,   N,   Ib,  Inv, N,    // Cx  shifts, ret, VEX, mov (xabort, xbegin), enter, leave, retf, int3, int, into, iret
        M,   M,   M,   M,   Inv, Inv, Inv, N,      M,   M,   M,   M,   M,   M,   M,   M,    // Dx  shifts, aam, aad, salc, xlat, x87
        Jb,  Jb,  Jb,  Jb,  Ib,  Ib,  Ib,  Ib,     Jz,  Jz,  Inv, Jb,  N,   N,   N,   N,    // Ex  loop, jrcxz, in, out, call, jmp, (far jmp), jmp rel8, in, out
        Pfx, N,   Pfx, Pfx, N,   N,   G6,  G7,     N,   N,   N,   N,   N,   N,   M,   M,    // Fx  lock, int1, rep, hlt, cmc, group 3, clc..std, group 4, group 5
    ]

    /// The two-byte opcode map (after `0F`), indexed by the second opcode byte.
    static let twoByte: [OpcodeEntry] = [
        //  0    1    2    3    4    5    6    7      8    9    A    B    C    D    E    F
        M,   M,   M,   M,   Inv, N,   N,   N,      N,   N,   Inv, N,   Inv, M,   N,   Now,  // 0x  group 6, 7, lar, lsl, syscall, clts, sysret, invd, wbinvd, ud2, prefetch, femms, 3DNow!
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   M,    // 1x  movups..movhps, prefetch, hint nops, endbr, nop r/m
        Cr,  Cr,  Cr,  Cr,  Inv, Inv, Inv, Inv,    M,   M,   M,   M,   M,   M,   M,   M,    // 2x  mov cr/dr; movaps, cvt*, ucomiss, comiss
        N,   N,   N,   N,   N,   N,   Inv, N,      E38, Inv, E3A, Inv, Inv, Inv, Inv, Inv,  // 3x  wrmsr, rdtsc, rdmsr, rdpmc, sysenter, sysexit, getsec; escapes
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   M,    // 4x  cmovcc
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   M,    // 5x  SSE arithmetic
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   M,    // 6x  MMX/SSE2 unpack, pack, compare, movd, movq
        MIb, MIb, MIb, MIb, M,   M,   M,   N,      M78, M,   Inv, Inv, M,   M,   M,   M,    // 7x  pshuf*, shift groups, pcmpeq*, emms, vmread/vmwrite, haddpd, movd, movq
        Jz,  Jz,  Jz,  Jz,  Jz,  Jz,  Jz,  Jz,     Jz,  Jz,  Jz,  Jz,  Jz,  Jz,  Jz,  Jz,   // 8x  jcc rel32
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   M,    // 9x  setcc
        N,   N,   N,   M,   MIb, M,   M,   M,      N,   N,   N,   M,   MIb, M,   M,   M,    // Ax  push/pop fs, cpuid, bt, shld, (PadLock), push/pop gs, rsm, bts, shrd, group 15, imul
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   MIb, M,   M,   M,   M,   M,    // Bx  cmpxchg, lss, btr, lfs, lgs, movzx, popcnt, ud1, group 8, btc, bsf, bsr, movsx
        M,   M,   MIb, M,   MIb, MIb, MIb, M,      N,   N,   N,   N,   N,   N,   N,   N,    // Cx  xadd, cmpps, movnti, pinsrw, pextrw, shufps, group 9, bswap
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   M,    // Dx  MMX/SSE2
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   M,    // Ex  MMX/SSE2
        M,   M,   M,   M,   M,   M,   M,   M,      M,   M,   M,   M,   M,   M,   M,   M,    // Fx  MMX/SSE2, ud0
    ]

    /// Two-byte-map opcodes that take an ib also when VEX- or EVEX-encoded (map 1):
    /// vpshufd/hw/lw, the shift-by-immediate groups, vcmpps, vpinsrw, vpextrw, vshufps.
    /// (Maps 2, 5 and 6 have no immediates; every map 3 opcode takes ib.)
    static let vectorMap1OpcodesWithImmediate: Set<UInt8> = [0x70, 0x71, 0x72, 0x73, 0xC2, 0xC4, 0xC5, 0xC6]

    /// The only VEX opcode without a ModRM byte: `VEX.0F 77` vzeroupper/vzeroall.
    static let vexMap1OpcodeWithoutModRM: UInt8 = 0x77

    /// The immediate that follows a VEX/EVEX/XOP-encoded opcode in `map`.
    static func vectorImmediate(map: OpcodeMap, opcode: UInt8) -> ImmediateKind {
        switch map {
        case .twoByte: return vectorMap1OpcodesWithImmediate.contains(opcode) ? .byte : .none
        case .threeByte3A, .xopMap8: return .byte
        case .xopMapA: return .doubleword
        case .primary, .threeByte38, .amd3DNow, .evexMap5, .evexMap6, .xopMap9: return .none
        }
    }
}
