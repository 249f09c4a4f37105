// DTraceELF/X86Register: x86-64 register names as AT&T assembly writes them in USDT
// argument specifications — every general register and its 32-, 16- and 8-bit parts
// (%rdi, %edi, %di, %dil; %r8, %r8d, %r8w, %r8b; %ah...) — mapped to the 64-bit register
// that holds it, the part's width and bit position, and where the kernel saves the
// 64-bit register in struct pt_regs (what a uprobe's BPF program reads).

/// The sixteen general registers and the instruction pointer, by their 64-bit names.
public enum X86GeneralRegister: String, CaseIterable, Sendable {
    case rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp
    case r8, r9, r10, r11, r12, r13, r14, r15
    case rip

    /// The register's offset in x86-64 struct pt_regs (arch/x86/include/asm/ptrace.h).
    public var ptRegsOffset: Int {
        switch self {
        case .r15: return 0
        case .r14: return 8
        case .r13: return 16
        case .r12: return 24
        case .rbp: return 32
        case .rbx: return 40
        case .r11: return 48
        case .r10: return 56
        case .r9: return 64
        case .r8: return 72
        case .rax: return 80
        case .rcx: return 88
        case .rdx: return 96
        case .rsi: return 104
        case .rdi: return 112
        case .rip: return 128
        case .rsp: return 152
        }
    }
}

/// A register operand: which 64-bit register, and which part of it.
public struct X86Register: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var register: X86GeneralRegister
    /// Bytes: 8, 4, 2 or 1.
    public var width: Int
    /// 8 for %ah, %bh, %ch, %dh (bits 8-15); 0 otherwise.
    public var bitOffset: Int
    /// The name as written, without "%".
    public var name: String

    public var description: String { "%" + name }

    /// The register called `name` ("rdi", "%edi", "r8d"; any case), or nil.
    public static func named(_ name: String) -> X86Register? {
        var key = name.lowercased()
        if key.hasPrefix("%") { key.removeFirst() }
        return table[key]
    }

    static let table: [String: X86Register] = {
        var table: [String: X86Register] = [:]
        func add(_ register: X86GeneralRegister, _ name: String, _ width: Int, bitOffset: Int = 0) {
            table[name] = X86Register(register: register, width: width, bitOffset: bitOffset, name: name)
        }
        // The legacy eight: 64, 32, 16 and low 8 bits, and the high bytes of the first four.
        let legacy: [(X86GeneralRegister, String, String, String, String?)] = [
            (.rax, "eax", "ax", "al", "ah"), (.rbx, "ebx", "bx", "bl", "bh"),
            (.rcx, "ecx", "cx", "cl", "ch"), (.rdx, "edx", "dx", "dl", "dh"),
            (.rsi, "esi", "si", "sil", nil), (.rdi, "edi", "di", "dil", nil),
            (.rbp, "ebp", "bp", "bpl", nil), (.rsp, "esp", "sp", "spl", nil),
        ]
        for (register, dword, word, low, high) in legacy {
            add(register, register.rawValue, 8)
            add(register, dword, 4)
            add(register, word, 2)
            add(register, low, 1)
            if let high { add(register, high, 1, bitOffset: 8) }
        }
        // r8-r15: rN, rNd, rNw, rNb (and Intel's rNl for the low byte).
        for number in 8...15 {
            guard let register = X86GeneralRegister(rawValue: "r\(number)") else { continue }
            add(register, "r\(number)", 8)
            add(register, "r\(number)d", 4)
            add(register, "r\(number)w", 2)
            add(register, "r\(number)b", 1)
            add(register, "r\(number)l", 1)
        }
        add(.rip, "rip", 8)
        add(.rip, "eip", 4)
        return table
    }()
}
