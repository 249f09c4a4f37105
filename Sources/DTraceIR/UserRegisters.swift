// DTraceIR/UserRegisters: uregs[] on x86-64 as Oracle's DTrace numbers it (its x86_64
// regs.d): R_R15 (0) to R_SS (20) in the order of the kernel's struct pt_regs, then R_DS,
// R_ES, R_FS, R_GS and R_TRAPNO (21-25); the 32-bit names (R_EAX, R_EIP...) and R_PC,
// R_SP, R_FP, R_PS, R_R0, R_R1, R_UESP are aliases of the 64-bit registers.

public enum UserRegisters {
    /// The number of saved registers (struct pt_regs' u64 fields).
    public static let savedCount = 21
    /// The highest index uregs[] takes (R_TRAPNO).
    public static let highestIndex: Int64 = 25

    /// The D names of uregs[] indexes.
    public static let names: [String: Int64] = {
        var names: [String: Int64] = [:]
        let saved = ["R_R15", "R_R14", "R_R13", "R_R12", "R_RBP", "R_RBX", "R_R11", "R_R10", "R_R9", "R_R8", "R_RAX", "R_RCX", "R_RDX",
                     "R_RSI", "R_RDI", "R_ERR", "R_RIP", "R_CS", "R_RFL", "R_RSP", "R_SS"]
        for (index, name) in saved.enumerated() { names[name] = Int64(index) }
        names["R_DS"] = 21; names["R_ES"] = 22; names["R_FS"] = 23; names["R_GS"] = 24; names["R_TRAPNO"] = 25
        let aliases = ["R_EAX": "R_RAX", "R_EBX": "R_RBX", "R_ECX": "R_RCX", "R_EDX": "R_RDX", "R_ESI": "R_RSI", "R_EDI": "R_RDI",
                       "R_EBP": "R_RBP", "R_ESP": "R_RSP", "R_EIP": "R_RIP", "R_EFL": "R_RFL", "R_UESP": "R_SS",
                       "R_PC": "R_RIP", "R_SP": "R_RSP", "R_FP": "R_RBP", "R_PS": "R_RFL", "R_R0": "R_RAX", "R_R1": "R_RBX"]
        for (alias, name) in aliases { names[alias] = names[name] }
        return names
    }()

    /// The members of the kernel's thread_struct that the indexes past the saved
    /// registers read, as in Oracle's DTrace (R_DS to R_TRAPNO).
    public static let threadMembers: [Int64: String] = [21: "ds", 22: "es", 23: "fsbase", 24: "gsbase", 25: "trap_nr"]

    /// The word of ptrace's struct user_regs_struct (pt_regs' 21, then fs_base, gs_base,
    /// ds, es, fs, gs) an index reads; nil for R_TRAPNO, which it does not hold.
    public static func userRegsWord(_ index: Int64) -> Int? {
        if let saved = savedRegister(index) { return saved }
        return [21: 23, 22: 24, 23: 21, 24: 22][index]
    }

    /// The saved register (struct pt_regs field number) an index reads, or nil for the
    /// segment registers and the trap number (`threadMembers`).
    public static func savedRegister(_ index: Int64) -> Int? {
        index >= 0 && index < Int64(savedCount) ? Int(index) : nil
    }
}
