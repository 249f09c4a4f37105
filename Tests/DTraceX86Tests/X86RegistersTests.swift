// DTraceX86Tests/X86RegistersTests: X86Registers against the kernel's struct
// user_regs_struct — the 27 words round-trip in order, each UserRegsSlot is the field's
// offset / 8 as <sys/user.h> declares it (a C program compiled at test time prints the
// offsets), general registers by encoding number, and the flag bits.

@testable import DTraceX86
import Foundation
import Testing

@Suite struct X86RegistersTests {
    @Test func wordsRoundTripInUserRegsOrder() throws {
        let words = (0..<27).map { UInt64($0) * 0x0101_0101 + 1 }
        let registers = try #require(X86Registers(userRegsWords: words))
        #expect(registers.userRegsWords == words)
        #expect(registers.r15 == words[0])
        #expect(registers.rax == words[10])
        #expect(registers.origRax == words[15])
        #expect(registers.rip == words[16])
        #expect(registers.rflags == words[18])
        #expect(registers.rsp == words[19])
        #expect(registers.fsBase == words[21])
        #expect(registers.gs == words[26])
        #expect(X86Registers(userRegsWords: Array(words.prefix(26))) == nil)
        #expect(X86Registers(userRegsWords: words + [0]) == nil)
        for slot in X86Registers.UserRegsSlot.allCases {
            #expect(registers.userRegsWords[slot.rawValue] == words[slot.rawValue])
        }
    }

    @Test func generalRegistersByEncodingNumber() {
        var registers = X86Registers()
        for number in 0..<16 { registers[number] = UInt64(number) + 100 }
        #expect(registers.rax == 100 && registers.rcx == 101 && registers.rsp == 104 && registers.rdi == 107)
        #expect(registers.r8 == 108 && registers.r15 == 115)
        #expect(registers[.rbp] == 105)
        #expect(registers[16] == registers[0])
    }

    @Test func flags() {
        var registers = X86Registers()
        registers.set(.carry, true)
        registers.set(.overflow, true)
        #expect(registers.rflags == 0x801)
        #expect(registers.isSet(.carry) && !registers.isSet(.zero))
        registers.set(.carry, false)
        #expect(registers.rflags == 0x800)
        #expect(X86Registers.Flag.arithmetic.rawValue == 0x8D5)
    }

    /// The slots are the kernel's: offsetof(struct user_regs_struct, field) / 8.
    @Test func slotsMatchSysUserH() throws {
        let fields = ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi",
                      "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs"]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-x86-regs-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = "#include <stddef.h>\n#include <stdio.h>\n#include <sys/user.h>\nint main(void) {\n"
            + fields.map { "    printf(\"%zu\\n\", offsetof(struct user_regs_struct, \($0)) / 8);\n" }.joined()
            + "    printf(\"%zu\\n\", sizeof(struct user_regs_struct) / 8);\n    return 0;\n}\n"
        try source.write(to: directory.appendingPathComponent("offsets.c"), atomically: true, encoding: .utf8)
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-o", directory.appendingPathComponent("offsets").path, directory.appendingPathComponent("offsets.c").path]
        try compiler.run()
        compiler.waitUntilExit()
        try #require(compiler.terminationStatus == 0, "cc failed")
        let program = Process()
        program.executableURL = directory.appendingPathComponent("offsets")
        let output = Pipe()
        program.standardOutput = output
        try program.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        program.waitUntilExit()
        let indices = text.split(separator: "\n").compactMap { Int($0) }
        #expect(indices == X86Registers.UserRegsSlot.allCases.map(\.rawValue) + [X86Registers.userRegsWordCount])
    }
}
