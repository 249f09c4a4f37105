// DTraceELFTests/USDTArgumentTests: the argument specification parser on every operand
// form <sys/sdt.h> writes (and some it might), every register name, and the refusals.

@testable import DTraceELF
import Testing

@Suite struct USDTArgumentTests {
    static func register(_ name: String) -> X86Register { X86Register.named(name)! }

    static func parsed(_ text: String) -> USDTArgument? {
        if case .success(let argument) = USDTArgument.parse(text) { return argument }
        return nil
    }

    @Test func registers() throws {
        let rdi = try #require(Self.parsed("8@%rdi"))
        #expect(rdi.size == 8 && !rdi.isSigned)
        #expect(rdi.operand == .register(X86Register(register: .rdi, width: 8, bitOffset: 0, name: "rdi")))
        let edi = try #require(Self.parsed("-4@%edi"))
        #expect(edi.size == 4 && edi.isSigned)
        #expect(edi.operand == .register(Self.register("edi")))
        #expect(Self.register("edi").register == .rdi && Self.register("edi").width == 4)
        #expect(Self.parsed("2@%di")?.operand == .register(X86Register(register: .rdi, width: 2, bitOffset: 0, name: "di")))
        #expect(Self.parsed("1@%dil")?.operand == .register(X86Register(register: .rdi, width: 1, bitOffset: 0, name: "dil")))
        #expect(Self.parsed("-4@%r8d")?.operand == .register(X86Register(register: .r8, width: 4, bitOffset: 0, name: "r8d")))
        #expect(Self.parsed("1@%al")?.operand == .register(X86Register(register: .rax, width: 1, bitOffset: 0, name: "al")))
        #expect(Self.parsed("1@%ah")?.operand == .register(X86Register(register: .rax, width: 1, bitOffset: 8, name: "ah")))
        // Without a size: the register's width, unsigned.
        let bare = try #require(Self.parsed("%edi"))
        #expect(bare.size == 4 && !bare.isSigned)
        #expect(Self.parsed("%r15w")?.size == 2)
        #expect(Self.parsed("%sil")?.size == 1)
    }

    @Test func everyRegisterName() {
        let expected: [(String, X86GeneralRegister, Int)] = [
            ("rax", .rax, 8), ("eax", .rax, 4), ("ax", .rax, 2), ("al", .rax, 1), ("ah", .rax, 1),
            ("rbx", .rbx, 8), ("ebx", .rbx, 4), ("bx", .rbx, 2), ("bl", .rbx, 1), ("bh", .rbx, 1),
            ("rcx", .rcx, 8), ("ecx", .rcx, 4), ("cx", .rcx, 2), ("cl", .rcx, 1), ("ch", .rcx, 1),
            ("rdx", .rdx, 8), ("edx", .rdx, 4), ("dx", .rdx, 2), ("dl", .rdx, 1), ("dh", .rdx, 1),
            ("rsi", .rsi, 8), ("esi", .rsi, 4), ("si", .rsi, 2), ("sil", .rsi, 1),
            ("rdi", .rdi, 8), ("edi", .rdi, 4), ("di", .rdi, 2), ("dil", .rdi, 1),
            ("rbp", .rbp, 8), ("ebp", .rbp, 4), ("bp", .rbp, 2), ("bpl", .rbp, 1),
            ("rsp", .rsp, 8), ("esp", .rsp, 4), ("sp", .rsp, 2), ("spl", .rsp, 1),
            ("rip", .rip, 8), ("eip", .rip, 4),
        ]
        for (name, register, width) in expected {
            #expect(X86Register.named(name)?.register == register, "\(name)")
            #expect(X86Register.named(name)?.width == width, "\(name)")
            #expect(X86Register.named("%" + name.uppercased())?.register == register, "%\(name.uppercased())")
        }
        for number in 8...15 {
            for (suffix, width) in [("", 8), ("d", 4), ("w", 2), ("b", 1), ("l", 1)] {
                #expect(X86Register.named("r\(number)\(suffix)")?.register.rawValue == "r\(number)")
                #expect(X86Register.named("r\(number)\(suffix)")?.width == width)
            }
        }
        #expect(X86Register.named("r16") == nil)
        #expect(X86Register.named("xmm0") == nil)
        // pt_regs offsets are distinct and 8-byte aligned.
        let offsets = X86GeneralRegister.allCases.map(\.ptRegsOffset)
        #expect(Set(offsets).count == offsets.count && offsets.allSatisfy { $0 % 8 == 0 })
        #expect(X86GeneralRegister.rdi.ptRegsOffset == 112 && X86GeneralRegister.rip.ptRegsOffset == 128)
    }

    @Test func memoryReferences() throws {
        #expect(Self.parsed("-4@-8(%rbp)")?.operand == .memory(USDTMemoryOperand(displacement: -8, base: Self.register("rbp"))))
        #expect(Self.parsed("8@(%rax)")?.operand == .memory(USDTMemoryOperand(base: Self.register("rax"))))
        #expect(Self.parsed("4@16(%rsp)")?.operand == .memory(USDTMemoryOperand(displacement: 16, base: Self.register("rsp"))))
        #expect(Self.parsed("8@0x10(%r12)")?.operand == .memory(USDTMemoryOperand(displacement: 16, base: Self.register("r12"))))
        #expect(Self.parsed("8@(%rax,%rdx,8)")?.operand == .memory(USDTMemoryOperand(base: Self.register("rax"), index: Self.register("rdx"), scale: 8)))
        #expect(Self.parsed("4@-24(%rbx,%rcx,4)")?.operand
                == .memory(USDTMemoryOperand(displacement: -24, base: Self.register("rbx"), index: Self.register("rcx"), scale: 4)))
        #expect(Self.parsed("4@(%rax,%rdx)")?.operand == .memory(USDTMemoryOperand(base: Self.register("rax"), index: Self.register("rdx"))))
        #expect(Self.parsed("4@8(,%rdx,2)")?.operand == .memory(USDTMemoryOperand(displacement: 8, index: Self.register("rdx"), scale: 2)))
        #expect(Self.parsed("4@(%eax)")?.operand == .memory(USDTMemoryOperand(base: Self.register("eax"))))
        // Without a size, memory is 8 bytes.
        #expect(Self.parsed("-8(%rbp)")?.size == 8)
        // Absolute addresses (non-PIC code).
        #expect(Self.parsed("4@counter")?.operand == .memory(USDTMemoryOperand(symbol: "counter")))
        #expect(Self.parsed("4@0x601040")?.operand == .memory(USDTMemoryOperand(displacement: 0x601040)))
        guard case .memory(let absolute) = Self.parsed("4@0x601040")?.operand else { Issue.record("not memory"); return }
        #expect(absolute.staticAddress(probeAddress: 0x1000) == 0x601040)
    }

    @Test func ripRelative() throws {
        let rip = Self.register("rip")
        #expect(Self.parsed("-4@NBuffers(%rip)")?.operand == .memory(USDTMemoryOperand(symbol: "NBuffers", base: rip)))
        #expect(Self.parsed("4@sym+16(%rip)")?.operand == .memory(USDTMemoryOperand(displacement: 16, symbol: "sym", base: rip)))
        #expect(Self.parsed("4@sym-8(%rip)")?.operand == .memory(USDTMemoryOperand(displacement: -8, symbol: "sym", base: rip)))
        // PostgreSQL's form: the offset first.
        #expect(Self.parsed("-4@40+CheckpointStats(%rip)")?.operand == .memory(USDTMemoryOperand(displacement: 40, symbol: "CheckpointStats", base: rip)))
        #expect(Self.parsed("8@0x10(%rip)")?.operand == .memory(USDTMemoryOperand(displacement: 16, base: rip)))
        // GCC's local statics ("counter.0") and symbols with dots.
        #expect(Self.parsed("4@total.1(%rip)")?.operand == .memory(USDTMemoryOperand(symbol: "total.1", base: rip)))
        // Resolution: the symbol's address plus the displacement; without a symbol, the probe's.
        let argument = try #require(Self.parsed("4@sym+16(%rip)"))
        let resolved = try argument.resolvingSymbol { $0 == "sym" ? 0x5000 : nil }.get()
        guard case .memory(let memory) = resolved.operand else { Issue.record("not memory"); return }
        #expect(memory.symbol == "sym" && memory.symbolAddress == 0x5000)
        #expect(memory.isRIPRelative)
        #expect(memory.staticAddress(probeAddress: 0x1234) == 0x5010)
        #expect(argument.resolvingSymbol { _ in nil } == .failure(.unresolvedSymbol(argument: "4@sym+16(%rip)", symbol: "sym")))
        guard case .memory(let numeric) = try #require(Self.parsed("8@0x10(%rip)")).operand else { return }
        #expect(numeric.staticAddress(probeAddress: 0x1234) == 0x1244)
        guard case .memory(let register) = try #require(Self.parsed("8@8(%rax)")).operand else { return }
        #expect(register.staticAddress(probeAddress: 0x1234) == nil)
    }

    @Test func constants() {
        #expect(Self.parsed("-4@$5")?.operand == .constant(5))
        #expect(Self.parsed("-4@$-1")?.operand == .constant(-1))
        #expect(Self.parsed("8@$0x10")?.operand == .constant(16))
        #expect(Self.parsed("1@$0")?.operand == .constant(0))
        #expect(Self.parsed("8@$18446744073709551615")?.operand == .constant(-1))
        #expect(Self.parsed("$7")?.size == 8)
    }

    @Test func lists() {
        let list = USDTArgument.parseList("8@%rbp 8@%r12 -4@%eax")
        #expect(list.count == 3)
        #expect(list.allSatisfy { if case .success = $0 { return true } else { return false } })
        #expect(USDTArgument.parseList("").isEmpty)
        #expect(USDTArgument.parseList("   ").isEmpty)
        // Spaces inside parentheses stay with their argument.
        let spaced = USDTArgument.parseList("4@(%rax, %rdx, 8) -4@%edi")
        #expect(spaced.count == 2)
        #expect(spaced.first == .success(USDTArgument(text: "4@(%rax,%rdx,8)", size: 4, isSigned: false,
                                                    operand: .memory(USDTMemoryOperand(base: Self.register("rax"), index: Self.register("rdx"), scale: 8)))))
        // A bad argument keeps its place.
        let mixed = USDTArgument.parseList("4@%eax 3@%ebx 8@%rcx")
        #expect(mixed.count == 3)
        #expect(mixed[1] == .failure(.invalidSize(argument: "3@%ebx")))
        #expect(USDTArgument.parseList(String(repeating: "4@%eax ", count: 500)).count == USDTArgument.argumentLimit)
    }

    @Test func refusals() {
        func failure(_ text: String) -> USDTArgumentError? {
            if case .failure(let error) = USDTArgument.parse(text) { return error }
            return nil
        }
        #expect(failure("") == .empty)
        #expect(failure("3@%eax") == .invalidSize(argument: "3@%eax"))
        #expect(failure("16@%eax") == .invalidSize(argument: "16@%eax"))
        #expect(failure("0@%eax") == .invalidSize(argument: "0@%eax"))
        #expect(failure("4@%xmm0") == .unknownRegister(argument: "4@%xmm0", register: "xmm0"))
        #expect(failure("4@%") == .unknownRegister(argument: "4@%", register: ""))
        #expect(failure("4@") == .malformed(argument: "4@", reason: "no operand after the size"))
        #expect(failure("4@$") == .malformed(argument: "4@$", reason: "the constant is not a number"))
        #expect(failure("4@$abc") == .unsupported(argument: "4@$abc", reason: "a symbol's address as a constant"))
        #expect(failure("4@%fs:8") == .unsupported(argument: "4@%fs:8", reason: "a segment override"))
        #expect(failure("4@%fs:(%rax)") == .unsupported(argument: "4@%fs:(%rax)", reason: "a segment override"))
        #expect(failure("4@8(%rax") == .malformed(argument: "4@8(%rax", reason: "unbalanced parentheses"))
        #expect(failure("4@8%rax)") == .malformed(argument: "4@8%rax)", reason: "unbalanced parentheses"))
        #expect(failure("4@((%rax))") == .malformed(argument: "4@((%rax))", reason: "nested parentheses"))
        #expect(failure("4@()") == .malformed(argument: "4@()", reason: "an empty memory reference"))
        #expect(failure("4@(%rax,%rdx,3)") == .malformed(argument: "4@(%rax,%rdx,3)", reason: "the scale must be 1, 2, 4 or 8"))
        #expect(failure("4@(%rax,%rdx,8,1)") == .malformed(argument: "4@(%rax,%rdx,8,1)", reason: "more than base, index and scale"))
        #expect(failure("4@(%al)") == .malformed(argument: "4@(%al)", reason: "%al cannot address memory"))
        #expect(failure("4@(rax)") == .malformed(argument: "4@(rax)", reason: "the base is not a register"))
        #expect(failure("4@(%rax,%rsp)") == .malformed(argument: "4@(%rax,%rsp)", reason: "%rsp cannot be an index"))
        #expect(failure("4@8(%rip,%rax,2)") != nil)
        #expect(failure("4@a+b(%rip)") != nil)
        #expect(failure("4@-sym(%rip)") != nil)
        #expect(failure("4@sym+(%rip)") != nil)
        #expect(failure("4@99999999999999999999999(%rax)") != nil)
        #expect(failure("4@sym@GOTPCREL(%rip)") != nil)
        #expect(USDTArgumentError.invalidSize(argument: "3@%eax").description.contains("1, 2, 4 or 8"))
    }
}
