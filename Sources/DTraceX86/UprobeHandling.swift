// DTraceX86/UprobeHandling: how Linux's x86-64 uprobes treat a probed instruction, as
// arch/x86/kernel/uprobes.c decides it in arch_uprobe_analyze_insn(): refused
// (uprobe_init_insn: a bad prefix, an exception-masking mov/pop to SS, or an opcode byte
// the good_insns_64 table clears), emulated in the breakpoint handler without leaving the
// kernel (branch_setup_xol_ops: nops, jmp/call rel, jcc; push_setup_xol_ops: push reg), or
// single-stepped out of line (everything else). Which nops are emulated changed twice, so
// the rules are per kernel generation (UprobeRules). The kernel looks only at the first
// opcode byte it decoded, which for VEX/EVEX/XOP instructions is the byte after the
// vector prefix; this model does the same, and `uprobeEmulationIsWrong(under:)` flags the
// instructions the kernel therefore "emulates" as something they are not.
//
// Not modelled: instructions the kernel's own decoder rejects (its opcode table lacks
// some VEX/EVEX opcodes and refuses legacy encodings of VEX-only ones; those are refused
// with -ENOEXEC), and the optimized-uprobe paths (a 5-byte nop turned into a call to a
// trampoline in 6.18; the 10-byte `66 2e 0f 1f 84` nop accepted despite its CS prefix in
// later kernels), which change the cost of an emulated probe, not whether it is emulated.

/// What the kernel does with an instruction under a uprobe.
public enum UprobeHandling: Sendable, Equatable, Hashable {
    /// Emulated in the int3 handler (jmp/call rel, jcc, nops, push reg): the cheap case.
    case emulated
    /// Copied to the execute-out-of-line slot and single-stepped there (with RIP-relative
    /// operands rewritten to a scratch register): a second trap per hit.
    case steppedOutOfLine
    /// uprobe registration fails (-ENOTSUPP): the probe cannot be placed here.
    case refused
}

/// The generation of the kernel's uprobe rules. They differ only in which nops are
/// emulated.
public enum UprobeRules: Int, Sendable, Equatable, Hashable, CaseIterable, Comparable {
    /// Linux 6.2 through 6.15: any instruction whose first opcode byte is `90` is emulated
    /// as a nop, whatever its prefixes (so `f3 90` pause and `41 90` xchg %eax,%r8d too);
    /// multi-byte `0f 1f` nops are stepped. Older kernels are treated as this; before 6.2
    /// (and its stable backports) a `66` prefix made even `66 90` refused.
    case linux6_2 = 0
    /// Linux 6.16 through 6.18: as 6.2, and an instruction that is byte for byte one of the
    /// kernel's own nops (`x86_nops[1...11]`: `90`, `66 90`, `0f 1f 00` ... `0f 1f 84 00 00 00 00 00`)
    /// is emulated; the 9- to 11-byte ones carry a CS prefix and stay refused.
    case linux6_16 = 1
    /// Linux 6.19 and later: insn_is_nop() decides — `90` without REX.B or F3, `0f 1f /0`
    /// with any prefixes but the refused ones, 64-bit `mov %reg,%reg`, `lea 0(%reg),%reg`
    /// and `jmp +0`; nothing VEX/EVEX-encoded.
    case linux6_19 = 2

    /// The newest rules modelled.
    public static let newest = UprobeRules.linux6_19

    /// The rules of kernel `major.minor`.
    public init(kernelMajor major: Int, minor: Int) {
        switch (major, minor) {
        case (7..., _), (6, 19...): self = .linux6_19
        case (6, 16...): self = .linux6_16
        default: self = .linux6_2
        }
    }

    /// The rules of a kernel release string as uname -r prints it ("6.18.44-fc-v1098"), or
    /// nil when it does not start with major.minor.
    public init?(kernelRelease: String) {
        let numbers = kernelRelease.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2, kernelRelease.first?.isNumber == true else { return nil }
        self.init(kernelMajor: numbers[0], minor: numbers[1])
    }

    /// Older rules sort first.
    public static func < (lhs: UprobeRules, rhs: UprobeRules) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension X86Instruction {
    /// How the newest kernel rules (`UprobeRules.newest`) handle a uprobe here. An
    /// instruction that does not decode is refused too (-ENOEXEC).
    public var uprobeHandling: UprobeHandling { uprobeHandling(under: .newest) }

    /// How a kernel with `rules` handles a uprobe on this instruction.
    public func uprobeHandling(under rules: UprobeRules) -> UprobeHandling {
        let view = KernelOpcodeView(self)

        // uprobe_init_insn(): prefixes, exception masking, the good-instruction tables.
        if prefixes.contains(where: { UprobeTables.refusedPrefixes.contains($0) }) { return .refused }
        if view.first == 0x17 || (view.first == 0x8E && modRMReg == 2) { return .refused }
        let good = UprobeTables.goodOneByte64[Int(view.first)]
            || (view.count == 2 && UprobeTables.goodTwoByte[Int(view.second)])
        guard good else { return .refused }

        // branch_setup_xol_ops(): nops, then jmp, call, jcc (refused with a 66 prefix).
        switch rules {
        case .linux6_19:
            if kernelConsidersNop() { return .emulated }
        case .linux6_16:
            if length < UprobeTables.kernelNops.count, bytes == UprobeTables.kernelNops[length] { return .emulated }
        case .linux6_2:
            break
        }
        var branchOpcode: UInt8?
        switch view.first {
        case 0xEB, 0xE9, 0xE8:
            branchOpcode = view.first
        case 0x90 where rules < .linux6_19:
            return .emulated
        case 0x0F:
            if view.count == 2, UprobeTables.isConditionalJumpOpcode(view.second &- 0x10) { branchOpcode = view.second &- 0x10 }
        default:
            if UprobeTables.isConditionalJumpOpcode(view.first) { branchOpcode = view.first }
        }
        if branchOpcode != nil {
            return prefixes.contains(0x66) ? .refused : .emulated
        }

        // push_setup_xol_ops(): push r64 alone, or with the single REX 41 (r8-r15).
        if (0x50...0x57).contains(view.first) {
            if length == 1 || (length == 2 && rex == 0x41 && rexOffset == 0) { return .emulated }
        }
        return .steppedOutOfLine
    }

    /// True when the kernel with `rules` emulates this instruction as something it is not,
    /// so a probe here changes what the program does: VEX/EVEX/XOP instructions whose
    /// opcode byte looks like a jcc, jmp, call or nop to the kernel (`c5 f8 77` vzeroupper
    /// taken for ja, `c5 fd 74` vpcmpeqb for je, `c5 fd eb` vpor for jmp +0, `c5 fe 7f`
    /// vmovdqu stores for jg, all skipped), and before 6.19 `90` with REX.B (xchg with r8)
    /// taken for a nop. A provider should not place probes there.
    public func uprobeEmulationIsWrong(under rules: UprobeRules = .newest) -> Bool {
        guard uprobeHandling(under: rules) == .emulated else { return false }
        if vectorEncoding != nil { return true }
        if rules < .linux6_19, opcodeMap == .primary, opcode == 0x90, let rex, rex & 0x01 != 0 { return true }
        return false
    }

    /// insn_is_nop() of Linux 6.19 (arch/x86/lib/insn-eval.c): nops that must not have
    /// false positives because uprobes skips them.
    func kernelConsidersNop() -> Bool {
        guard vectorEncoding == nil else { return false }
        let rexR: UInt8 = (rex ?? 0) & 0x04 != 0 ? 8 : 0
        let rexX: UInt8 = (rex ?? 0) & 0x02 != 0 ? 8 : 0
        let rexB: UInt8 = (rex ?? 0) & 0x01 != 0 ? 8 : 0
        let mod = modRMMod ?? 0
        let reg = (modRMReg ?? 0) + rexR
        var rm = (modRMRM ?? 0) + rexB
        if let sib {
            rm = (sib & 7) + rexB
        }
        let nativeOperandSize = isRexW   // 64-bit operand size in 64-bit mode needs REX.W
        switch (opcodeMap, opcode) {
        case (.primary, 0x89):   // mov %reg,%reg
            return mod == 3 && nativeOperandSize && reg == rm
        case (.primary, 0x8D):   // lea 0(%reg),%reg
            guard mod == 1 || mod == 2, nativeOperandSize, displacement == 0 else { return false }
            if let sib, (sib >> 6) != 0 || ((sib >> 3) & 7) + rexX != 4 { return false }
            guard prefixes.allSatisfy({ $0 == 0x3E }) else { return false }
            return reg == rm
        case (.primary, 0x90):   // nop, but not xchg %r8,%rax or pause
            return rexB == 0 && !prefixes.contains(0xF3)
        case (.primary, 0xE9), (.primary, 0xEB):   // jmp +0
            return immediate == 0
        case (.twoByte, 0x1F):   // nopl /0
            return reg == 0
        default:
            return false
        }
    }
}

/// The opcode bytes as the kernel's decoder reports them (insn->opcode): one byte for
/// primary and VEX/EVEX/XOP opcodes, `0F xx` for the two-byte map, three for 0F 38/3A.
private struct KernelOpcodeView {
    let first: UInt8
    let second: UInt8
    let count: Int

    init(_ instruction: X86Instruction) {
        if instruction.vectorEncoding != nil {
            (first, second, count) = (instruction.opcode, 0, 1)
            return
        }
        switch instruction.opcodeMap {
        case .twoByte: (first, second, count) = (0x0F, instruction.opcode, 2)
        case .amd3DNow: (first, second, count) = (0x0F, 0x0F, 2)
        case .threeByte38: (first, second, count) = (0x0F, 0x38, 3)
        case .threeByte3A: (first, second, count) = (0x0F, 0x3A, 3)
        default: (first, second, count) = (instruction.opcode, 0, 1)
        }
    }
}

/// The kernel's data, transcribed from arch/x86/kernel/uprobes.c and
/// arch/x86/include/asm/nops.h.
enum UprobeTables {
    /// Legacy prefixes that make uprobe_init_insn() refuse: ES, CS, SS, DS overrides, lock.
    static let refusedPrefixes: Set<UInt8> = [0x26, 0x2E, 0x36, 0x3E, 0xF0]

    /// good_insns_64: first opcode bytes uprobes accepts in 64-bit processes. Cleared: the
    /// opcodes invalid in 64-bit mode, ins/outs/in/out, int3, int, into, iret, int1, hlt,
    /// cli, sti, far call/jmp. `0F` is set, so every two-byte opcode passes.
    static let goodOneByte64: [Bool] = rows([
        //  0  1  2  3  4  5  6  7  8  9  A  B  C  D  E  F
        [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1],  // 0x
        [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0],  // 1x
        [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0],  // 2x
        [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0],  // 3x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 4x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 5x
        [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],  // 6x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 7x
        [1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 8x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1],  // 9x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // Ax
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // Bx
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],  // Cx
        [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // Dx
        [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0],  // Ex
        [1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1],  // Fx
    ])

    /// good_2byte_insns: second bytes of two-byte opcodes the kernel would accept; only
    /// consulted when the first byte is not good, which `0F` always is.
    static let goodTwoByte: [Bool] = rows([
        //  0  1  2  3  4  5  6  7  8  9  A  B  C  D  E  F
        [0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1],  // 0x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 1x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 2x
        [0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1],  // 3x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 4x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 5x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 6x
        [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1],  // 7x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 8x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // 9x
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1],  // Ax
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // Bx
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // Cx
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // Dx
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // Ex
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  // Fx
    ])

    /// x86_nops for 64-bit kernels, indexed by length (index 0 unused): GAS's nops.
    static let kernelNops: [[UInt8]] = [
        [],
        [0x90],
        [0x66, 0x90],
        [0x0F, 0x1F, 0x00],
        [0x0F, 0x1F, 0x40, 0x00],
        [0x0F, 0x1F, 0x44, 0x00, 0x00],
        [0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00],
        [0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00],
        [0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        [0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        [0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        [0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    ]

    /// is_cond_jmp_opcode(): the short jcc opcodes 70–7F.
    static func isConditionalJumpOpcode(_ opcode: UInt8) -> Bool { (0x70...0x7F).contains(opcode) }

    private static func rows(_ rows: [[Int]]) -> [Bool] { rows.flatMap { $0.map { $0 != 0 } } }
}
