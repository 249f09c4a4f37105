// DTracePtrace/X86Bridge: the meeting point with DTraceX86 — a traced thread's registers
// as the emulator's `X86Registers` and back (both are struct user_regs_struct's 27 words),
// and an out-of-line step of an `OutOfLineCopy` (the displaced instruction with its
// RIP-relative displacement rewritten for the scratch page, rip fixed up after the step).

import DTraceSystem
import DTraceX86

extension TraceeRegisters {
    /// For the emulator.
    public var x86Registers: X86Registers { X86Registers(userRegsWords: words) ?? X86Registers() }

    public init(_ registers: X86Registers) { self.init(words: registers.userRegsWords) }
}

extension TracedProcess {
    /// Steps `copy` out of line in `thread` (stopped at the breakpoint at
    /// `copy.originalAddress`): its bytes written at `copy.scratchAddress` in the scratch
    /// page, one PTRACE_SINGLESTEP, rip moved back after the original instruction.
    @discardableResult
    public func stepOutOfLine(thread: Int32, copy: OutOfLineCopy) throws(PtraceError) -> OutOfLineStep {
        try stepOutOfLine(thread: thread, scratchBytes: copy.bytes, scratchAddress: copy.scratchAddress,
                          resumeAt: copy.originalAddress &+ UInt64(copy.length))
    }
}
