// DTraceX86Tests/UprobeHandlingTests: which probe sites Linux's uprobes emulate, single-step
// out of line or refuse, per generation of arch/x86/kernel/uprobes.c — push reg, jmp/call
// rel, jcc and nops emulated; mov, endbr64, ret, syscall stepped; int3, int, hlt, bad
// prefixes and mov to %ss refused; the nops that changed in 6.16 and 6.19; the VEX
// instructions the kernel mistakes for branches; kernel release strings to rules.

import DTraceX86
import Testing

func handling(_ text: String, under rules: UprobeRules = .newest, sourceLocation: SourceLocation = #_sourceLocation) -> UprobeHandling? {
    decoded(text, sourceLocation: sourceLocation)?.uprobeHandling(under: rules)
}

@Suite struct UprobeHandlingTests {
    @Test(arguments: UprobeRules.allCases)
    func pushesBranchesAndPlainNopAreEmulated(_ rules: UprobeRules) {
        #expect(handling("55", under: rules) == .emulated)            // push %rbp
        #expect(handling("53", under: rules) == .emulated)            // push %rbx
        #expect(handling("41 54", under: rules) == .emulated)         // push %r12
        #expect(handling("41 57", under: rules) == .emulated)         // push %r15
        #expect(handling("90", under: rules) == .emulated)
        #expect(handling("66 90", under: rules) == .emulated)
        #expect(handling("eb 05", under: rules) == .emulated)         // jmp rel8
        #expect(handling("e9 00 01 00 00", under: rules) == .emulated)
        #expect(handling("e8 00 01 00 00", under: rules) == .emulated) // call rel32
        #expect(handling("74 05", under: rules) == .emulated)         // je rel8
        #expect(handling("0f 84 00 01 00 00", under: rules) == .emulated)
        #expect(handling("0f 8f 00 01 00 00", under: rules) == .emulated)
    }

    @Test(arguments: UprobeRules.allCases)
    func everythingElseIsSteppedOutOfLine(_ rules: UprobeRules) {
        #expect(handling("48 89 e5", under: rules) == .steppedOutOfLine)             // mov %rsp,%rbp
        #expect(handling("f3 0f 1e fa", under: rules) == .steppedOutOfLine)          // endbr64
        #expect(handling("48 83 ec 10", under: rules) == .steppedOutOfLine)          // sub $0x10,%rsp
        #expect(handling("48 8d 05 10 00 00 00", under: rules) == .steppedOutOfLine) // RIP-relative lea
        #expect(handling("c3", under: rules) == .steppedOutOfLine)                   // ret
        #expect(handling("ff d0", under: rules) == .steppedOutOfLine)                // call *%rax
        #expect(handling("ff 25 00 10 00 00", under: rules) == .steppedOutOfLine)    // jmp *(%rip)
        #expect(handling("0f 05", under: rules) == .steppedOutOfLine)                // syscall: 0F passes the table
        #expect(handling("64 48 8b 04 25 28 00 00 00", under: rules) == .steppedOutOfLine) // fs: is fine
        #expect(handling("48 55", under: rules) == .steppedOutOfLine)                // push with REX.W: not the 41 form
        #expect(handling("66 55", under: rules) == .steppedOutOfLine)                // pushw %bp
        #expect(handling("c5 f8 57 c0", under: rules) == .steppedOutOfLine)          // vxorps
        #expect(handling("c5 fd d7 c1", under: rules) == .steppedOutOfLine)          // vpmovmskb
    }

    @Test(arguments: UprobeRules.allCases)
    func refusedSites(_ rules: UprobeRules) {
        #expect(handling("cc", under: rules) == .refused)                 // int3
        #expect(handling("cd 80", under: rules) == .refused)              // int $0x80
        #expect(handling("f1", under: rules) == .refused)                 // int1
        #expect(handling("f4", under: rules) == .refused)                 // hlt
        #expect(handling("fa", under: rules) == .refused)                 // cli
        #expect(handling("cf", under: rules) == .refused)                 // iret
        #expect(handling("ec", under: rules) == .refused)                 // in (%dx),%al
        #expect(handling("6c", under: rules) == .refused)                 // insb
        #expect(handling("f0 ff 00", under: rules) == .refused)           // lock prefix
        #expect(handling("2e 74 05", under: rules) == .refused)           // cs: (branch hint)
        #expect(handling("3e ff e0", under: rules) == .refused)           // ds: (notrack jmp)
        #expect(handling("66 2e 0f 1f 84 00 00 00 00 00", under: rules) == .refused)   // cs nopw
        #expect(handling("8e d0", under: rules) == .refused)              // mov %eax,%ss
        #expect(handling("66 e8 00 01 00 00", under: rules) == .refused)  // callw
        #expect(handling("66 0f 84 00 01 00 00", under: rules) == .refused)
        // The kernel checks a VEX/EVEX opcode byte against the one-byte table: VEX.0F 6F
        // (vmovdqa/vmovdqu loads) meets outs (6F), EVEX opcode 62 meets the old bound.
        #expect(handling("c5 fd 6f 04 24", under: rules) == .refused)
        #expect(handling("62 f1 7d 48 62 c1", under: rules) == .refused)
    }

    @Test func nopsThatChangedAcrossKernels() {
        // Multi-byte nops: stepped until 6.16 compared with x86_nops, emulated since.
        for nop in ["0f 1f 00", "0f 1f 40 00", "0f 1f 44 00 00", "66 0f 1f 44 00 00", "0f 1f 84 00 00 00 00 00"] {
            #expect(handling(nop, under: .linux6_2) == .steppedOutOfLine, "\(nop)")
            #expect(handling(nop, under: .linux6_16) == .emulated, "\(nop)")
            #expect(handling(nop, under: .linux6_19) == .emulated, "\(nop)")
        }
        // Not x86_nops byte for byte, but insn_is_nop() in 6.19.
        #expect(handling("0f 1f 44 00 08", under: .linux6_16) == .steppedOutOfLine)
        #expect(handling("0f 1f 44 00 08", under: .linux6_19) == .emulated)
        #expect(handling("0f 1f c0", under: .linux6_19) == .emulated)         // nop %eax
        #expect(handling("0f 1f c8", under: .linux6_19) == .steppedOutOfLine) // 0f 1f /1 is not a nop
        #expect(handling("48 89 c0", under: .linux6_19) == .emulated)         // mov %rax,%rax
        #expect(handling("48 89 c0", under: .linux6_16) == .steppedOutOfLine)
        #expect(handling("89 c0", under: .linux6_19) == .steppedOutOfLine)    // mov %eax,%eax zero-extends
        #expect(handling("4d 89 c0", under: .linux6_19) == .emulated)         // mov %r8,%r8
        #expect(handling("48 8d 76 00", under: .linux6_19) == .emulated)      // lea 0x0(%rsi),%rsi
        #expect(handling("48 8d 74 26 00", under: .linux6_19) == .emulated)   // lea 0x0(%rsi,%riz,1),%rsi
        #expect(handling("48 8d 76 08", under: .linux6_19) == .steppedOutOfLine)
        #expect(handling("66 eb 00", under: .linux6_19) == .emulated)         // jmp +0 is a nop, 66 or not
        #expect(handling("66 eb 05", under: .linux6_19) == .refused)
        // pause and xchg %eax,%r8d: emulated as nops while opcode 90 sufficed, stepped since 6.19.
        #expect(handling("f3 90", under: .linux6_16) == .emulated)
        #expect(handling("f3 90", under: .linux6_19) == .steppedOutOfLine)
        #expect(handling("41 90", under: .linux6_2) == .emulated)
        #expect(handling("41 90", under: .linux6_19) == .steppedOutOfLine)
    }

    @Test func emulationTheKernelGetsWrong() throws {
        let xchg = try #require(decoded("41 90"))
        #expect(xchg.uprobeEmulationIsWrong(under: .linux6_16))
        #expect(!xchg.uprobeEmulationIsWrong(under: .linux6_19))
        // The kernel reads the VEX opcode byte as if it were a one-byte opcode.
        for vex in ["c5 f8 77", "c5 fd 74 c1", "c5 fd eb c1", "c5 fe 7f 07", "c5 f9 7e c0", "c5 f9 70 c1 1b"] {
            let instruction = try #require(decoded(vex))
            #expect(instruction.uprobeHandling == .emulated, "\(vex)")
            #expect(instruction.uprobeEmulationIsWrong(), "\(vex)")
        }
        for faithful in ["55", "41 54", "90", "e8 00 00 00 00", "74 05", "0f 1f 44 00 00"] {
            #expect(decoded(faithful)?.uprobeEmulationIsWrong() == false, "\(faithful)")
        }
        #expect(decoded("48 89 e5")?.uprobeEmulationIsWrong() == false)
    }

    @Test func rulesFromKernelRelease() {
        #expect(UprobeRules(kernelRelease: "6.18.44-fc-v1098") == .linux6_16)
        #expect(UprobeRules(kernelRelease: "6.16.0") == .linux6_16)
        #expect(UprobeRules(kernelRelease: "6.19.0-rc1") == .linux6_19)
        #expect(UprobeRules(kernelRelease: "7.0.1") == .linux6_19)
        #expect(UprobeRules(kernelRelease: "6.15.2-arch1-1") == .linux6_2)
        #expect(UprobeRules(kernelRelease: "5.15.0-91-generic") == .linux6_2)
        #expect(UprobeRules(kernelRelease: "linux") == nil)
        #expect(UprobeRules(kernelRelease: "6") == nil)
        #expect(UprobeRules(kernelRelease: "") == nil)
        #expect(UprobeRules.newest == .linux6_19)
    }
}
