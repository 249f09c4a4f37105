// DTraceX86/X86Registers: a thread's x86-64 user registers as a value — the sixteen
// general registers, rip, rflags (with named arithmetic flags), the segment selectors and
// the FS/GS bases — laid out word for word like the kernel's `struct user_regs_struct`
// (<sys/user.h>, what PTRACE_GETREGS fills and PTRACE_SETREGS takes), so an engine moves
// registers in and out as 27 words. The emulator (X86Emulator.swift) reads and writes
// general registers by their encoding number (`General`), which is a different order.

/// A thread's user-mode registers, in `struct user_regs_struct` order.
///
/// `user_regs_struct` on x86-64 is 27 eight-byte words, in this order:
/// r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax,
/// rip, cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs.
/// (`UserRegsSlot` names each word's index.) The stored properties follow that order.
public struct X86Registers: Sendable, Equatable, Hashable {
    public var r15: UInt64 = 0
    public var r14: UInt64 = 0
    public var r13: UInt64 = 0
    public var r12: UInt64 = 0
    public var rbp: UInt64 = 0
    public var rbx: UInt64 = 0
    public var r11: UInt64 = 0
    public var r10: UInt64 = 0
    public var r9: UInt64 = 0
    public var r8: UInt64 = 0
    public var rax: UInt64 = 0
    public var rcx: UInt64 = 0
    public var rdx: UInt64 = 0
    public var rsi: UInt64 = 0
    public var rdi: UInt64 = 0
    /// The system call number at syscall entry (-1 outside one); the emulator never touches it.
    public var origRax: UInt64 = 0
    public var rip: UInt64 = 0
    public var cs: UInt64 = 0
    /// RFLAGS (`eflags` in `user_regs_struct`); see `Flag` for the bits.
    public var rflags: UInt64 = 0
    public var rsp: UInt64 = 0
    public var ss: UInt64 = 0
    /// The FS segment base (thread pointer on Linux); `%fs:` memory operands add it.
    public var fsBase: UInt64 = 0
    /// The GS segment base; `%gs:` memory operands add it.
    public var gsBase: UInt64 = 0
    public var ds: UInt64 = 0
    public var es: UInt64 = 0
    public var fs: UInt64 = 0
    public var gs: UInt64 = 0

    /// All registers zero.
    public init() {}

    /// Index of each word in `struct user_regs_struct` (and in `userRegsWords`).
    public enum UserRegsSlot: Int, Sendable, Equatable, Hashable, CaseIterable {
        case r15 = 0, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi
        case origRax, rip, cs, eflags, rsp, ss, fsBase, gsBase, ds, es, fs, gs
    }

    /// Words in `struct user_regs_struct` (216 bytes).
    public static let userRegsWordCount = 27

    /// Registers from the 27 words of a `struct user_regs_struct`, in its order; nil when
    /// `words` does not hold exactly 27.
    public init?(userRegsWords words: [UInt64]) {
        guard words.count == Self.userRegsWordCount else { return nil }
        r15 = words[0]; r14 = words[1]; r13 = words[2]; r12 = words[3]
        rbp = words[4]; rbx = words[5]; r11 = words[6]; r10 = words[7]
        r9 = words[8]; r8 = words[9]; rax = words[10]; rcx = words[11]
        rdx = words[12]; rsi = words[13]; rdi = words[14]; origRax = words[15]
        rip = words[16]; cs = words[17]; rflags = words[18]; rsp = words[19]
        ss = words[20]; fsBase = words[21]; gsBase = words[22]; ds = words[23]
        es = words[24]; fs = words[25]; gs = words[26]
    }

    /// The 27 words of a `struct user_regs_struct`, in its order.
    public var userRegsWords: [UInt64] {
        [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, origRax,
         rip, cs, rflags, rsp, ss, fsBase, gsBase, ds, es, fs, gs]
    }

    /// The general registers by their encoding number (ModRM.reg/rm, SIB, opcode low bits,
    /// with REX's extension bit as bit 3).
    public enum General: Int, Sendable, Equatable, Hashable, CaseIterable {
        case rax = 0, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15
    }

    /// A general register by encoding number; numbers wrap modulo 16.
    public subscript(number: Int) -> UInt64 {
        get {
            switch number & 15 {
            case 0: return rax
            case 1: return rcx
            case 2: return rdx
            case 3: return rbx
            case 4: return rsp
            case 5: return rbp
            case 6: return rsi
            case 7: return rdi
            case 8: return r8
            case 9: return r9
            case 10: return r10
            case 11: return r11
            case 12: return r12
            case 13: return r13
            case 14: return r14
            default: return r15
            }
        }
        set {
            switch number & 15 {
            case 0: rax = newValue
            case 1: rcx = newValue
            case 2: rdx = newValue
            case 3: rbx = newValue
            case 4: rsp = newValue
            case 5: rbp = newValue
            case 6: rsi = newValue
            case 7: rdi = newValue
            case 8: r8 = newValue
            case 9: r9 = newValue
            case 10: r10 = newValue
            case 11: r11 = newValue
            case 12: r12 = newValue
            case 13: r13 = newValue
            case 14: r14 = newValue
            default: r15 = newValue
            }
        }
    }

    /// A general register by name.
    public subscript(register: General) -> UInt64 {
        get { self[register.rawValue] }
        set { self[register.rawValue] = newValue }
    }

    /// RFLAGS bits.
    public struct Flag: OptionSet, Sendable, Hashable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }

        /// CF, bit 0.
        public static let carry = Flag(rawValue: 1 << 0)
        /// PF, bit 2: the low byte of the result has an even number of set bits.
        public static let parity = Flag(rawValue: 1 << 2)
        /// AF, bit 4: carry or borrow out of bit 3.
        public static let adjust = Flag(rawValue: 1 << 4)
        /// ZF, bit 6.
        public static let zero = Flag(rawValue: 1 << 6)
        /// SF, bit 7.
        public static let sign = Flag(rawValue: 1 << 7)
        /// TF, bit 8 (single-step).
        public static let trap = Flag(rawValue: 1 << 8)
        /// IF, bit 9.
        public static let interrupt = Flag(rawValue: 1 << 9)
        /// DF, bit 10.
        public static let direction = Flag(rawValue: 1 << 10)
        /// OF, bit 11.
        public static let overflow = Flag(rawValue: 1 << 11)

        /// The six status flags arithmetic instructions define: CF, PF, AF, ZF, SF, OF.
        public static let arithmetic: Flag = [.carry, .parity, .adjust, .zero, .sign, .overflow]
    }

    /// Whether every bit of `flag` is set in rflags.
    public func isSet(_ flag: Flag) -> Bool {
        rflags & flag.rawValue == flag.rawValue
    }

    /// Sets or clears the bits of `flag` in rflags.
    public mutating func set(_ flag: Flag, _ value: Bool) {
        if value {
            rflags |= flag.rawValue
        } else {
            rflags &= ~flag.rawValue
        }
    }
}
