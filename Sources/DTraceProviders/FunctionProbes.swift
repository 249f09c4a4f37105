// DTraceProviders/FunctionProbes: what the providers on function boundaries share — pid
// and USDT on user code (uprobes), fbt on the kernel's (kprobes): where x86-64 saves each
// register in struct pt_regs (the program's context for both), and the prologues that
// fill the probe context at a function's entry (arguments from the System V registers
// and the stack) and at its return (the return value).

import DTraceBPF
import DTraceCodegen

/// x86-64 `struct pt_regs`: where each saved register lies in a uprobe or kprobe
/// program's context.
public enum SavedRegisters {
    public static let r15 = 0, r14 = 8, r13 = 16, r12 = 24, rbp = 32, rbx = 40, r11 = 48, r10 = 56, r9 = 64, r8 = 72
    public static let rax = 80, rcx = 88, rdx = 96, rsi = 104, rdi = 112, originalRAX = 120, rip = 128, cs = 136, flags = 144
    public static let rsp = 152, ss = 160
    /// The System V ABI's integer argument registers, in order (the kernel's functions
    /// take theirs in the same ones).
    public static let arguments = [rdi, rsi, rdx, rcx, r8, r9]
    /// Every register in pt_regs order (uregs[] indexes it: R_R15 is 0 ... R_SS 20).
    public static let count = 21
}

/// Whose memory a function's stack lies in: the traced process's (uprobes) or the
/// kernel's (kprobes); each is read with its own probe-read helper.
public enum FunctionStack: Sendable, Equatable {
    case user, kernel

    var readHelper: BPFHelper { self == .user ? .probeReadUser : .probeReadKernel }
}

/// A function's entry: arg0..arg5 from the argument registers, arg6..arg9 from the
/// caller's stack (above the return address), as the System V ABI passes them.
public struct FunctionEntryPrologue: ProbePrologue {
    public let stack: FunctionStack
    /// The probe is on a user function's first instruction (after an endbr64): its
    /// caller's return address is on top of the stack, no frame of its own made yet.
    public let callerOnStack: Bool
    public init(stack: FunctionStack, callerOnStack: Bool = false) { self.stack = stack; self.callerOnStack = callerOnStack && stack == .user }
    public var argumentCount: Int { 10 }
    public var providesEntryCaller: Bool { callerOnStack }

    public func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        if callerOnStack && demand.userStack {
            // The slot is zeroed already; a failed read leaves it zero.
            code.asm.load(.r3, from: .r6, offset: Int16(SavedRegisters.rsp), size: .double)
            code.asm.move(.r1, .r7)
            code.asm.alu64(.add, .r1, immediate: Int32(code.entryCallerSlot))
            code.asm.load(.r2, constant: 8)
            code.asm.call(.probeReadUser)
        }
        for index in 0..<10 where demand.needsArgument(index) {
            if index < SavedRegisters.arguments.count {
                code.asm.load(.r0, from: .r6, offset: Int16(SavedRegisters.arguments[index]), size: .double)
                code.storeArgument(index, from: .r0)
                continue
            }
            // The slot is zeroed already; a failed read leaves it zero.
            code.asm.load(.r3, from: .r6, offset: Int16(SavedRegisters.rsp), size: .double)
            code.asm.alu64(.add, .r3, immediate: Int32(8 * (index - SavedRegisters.arguments.count + 1)))
            code.asm.move(.r1, .r7)
            code.asm.alu64(.add, .r1, immediate: Int32(code.argumentSlot(index)))
            code.asm.load(.r2, constant: 8)
            code.asm.call(stack.readHelper)
        }
    }
}

/// A function's return: arg0 the offset of the returning instruction in its function,
/// which a return probe placed on the return address cannot know (`returnOffset`: what
/// stands for it — 0 for pid, -1 for fbt, as Oracle's DTrace gives them), arg1 the
/// return value (rax).
public struct FunctionReturnPrologue: ProbePrologue {
    public let returnOffset: Int32
    public init(returnOffset: Int32) { self.returnOffset = returnOffset }
    public var argumentCount: Int { 2 }

    public func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        if demand.needsArgument(0) {
            code.asm.store(immediate: returnOffset, to: .r7, offset: code.argumentSlot(0), size: .double)
        }
        if demand.needsArgument(1) {
            code.asm.load(.r0, from: .r6, offset: Int16(SavedRegisters.rax), size: .double)
            code.storeArgument(1, from: .r0)
        }
    }
}
