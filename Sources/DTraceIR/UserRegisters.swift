// DTraceIR/UserRegisters: uregs[] on x86-64 as Oracle's DTrace numbers it (its regs.d):
// R_R15 (0) to R_SS (20) in the order of the kernel's struct pt_regs, R_DS, R_ES, R_FS,
// R_GS and R_TRAPNO after them, then the 32-bit names (R_EAX, R_EIP...) and R_PC, R_SP,
// R_FP, R_PS, R_R0, R_R1 as aliases of the 64-bit registers.

public enum UserRegisters {
    /// The number of saved registers (struct pt_regs' u64 fields).
    public static let savedCount = 21

    /// The D names of uregs[] indexes.
    public static let names: [String: Int64] = {
        var names: [String: Int64] = [:]
        let saved = ["R_R15", "R_R14", "R_R13", "R_R12", "R_RBP", "R_RBX", "R_R11", "R_R10", "R_R9", "R_R8", "R_RAX", "R_RCX", "R_RDX",
                     "R_RSI", "R_RDI", "R_ERR", "R_RIP", "R_CS", "R_RFL", "R_RSP", "R_SS"]
        for (index, name) in saved.enumerated() { names[name] = Int64(index) }
        names["R_DS"] = 21; names["R_ES"] = 22; names["R_FS"] = 23; names["R_GS"] = 24; names["R_TRAPNO"] = 25
        // The 32-bit layout after R_GS: EBX ECX EDX ESI EDI EBP EAX DS ES FS GS ERR EIP CS EFL ESP SS.
        let legacy = ["R_EBX", "R_ECX", "R_EDX", "R_ESI", "R_EDI", "R_EBP", "R_EAX"]
        for (index, name) in legacy.enumerated() { names[name] = 25 + Int64(index) }
        names["R_EIP"] = 25 + 12; names["R_EFL"] = 25 + 14; names["R_ESP"] = 25 + 15
        names["R_PC"] = names["R_EIP"]; names["R_FP"] = names["R_EBP"]; names["R_SP"] = names["R_ESP"]; names["R_PS"] = names["R_EFL"]
        names["R_R0"] = names["R_EAX"]; names["R_R1"] = names["R_EBX"]
        return names
    }()

    /// The saved register (struct pt_regs field number) an index reads, or nil for the
    /// segment registers and trap number, which read as 0.
    public static func savedRegister(_ index: Int64) -> Int? {
        if index >= 0 && index < Int64(savedCount) { return Int(index) }
        // 32-bit names: their 64-bit registers.
        let legacy: [Int64: Int] = [25: 5, 26: 11, 27: 12, 28: 13, 29: 14, 30: 4, 31: 10, 36: 15, 37: 16, 38: 17, 39: 18, 40: 19, 41: 20]
        return legacy[index]
    }
}
