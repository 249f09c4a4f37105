// DTracePtrace/DisplacedInstructions: running the instruction each breakpoint displaced,
// so a thread stopped at a breakpoint goes on as if the int3 were not there — while the
// int3 stays in place for the process's other threads. Each site's instruction is decoded
// once (from the original bytes) and then, at every hit, emulated in the tracer
// (DTraceX86's `X86Emulator`, over the tracee's memory with process_vm_readv/writev) or,
// when the emulator declines it, copied to the scratch page and single-stepped there
// (`OutOfLineCopy`, PTRACE_SINGLESTEP). A push, or what the emulator cannot run, is
// instead copied once to a scratch slot of its own followed by a jump back, and the
// thread is only moved there: it runs the instruction itself, with no step (a thread
// found stopped in a slot is put back where it belongs at detach, and by the guardian).
// Only when no scratch copy can reach a RIP-relative operand is the original byte put
// back for one step — with every other thread stopped first, so none can run past the
// missing breakpoint. Under CET shadow stacks calls and
// returns run in place that way too (the emulator cannot update the shadow stack).

import DTraceSystem
import DTraceX86

/// The tracee's memory for the emulator: reads see the program's bytes (breakpoints
/// masked), writes honour page protections as the CPU does.
struct TraceeMemory: X86Memory {
    let process: TracedProcess
    func read(address: UInt64, count: Int) -> [UInt8]? {
        guard let bytes = try? process.readMemory(at: address, count: count), bytes.count == count else { return nil }
        return bytes
    }
    func write(address: UInt64, bytes: [UInt8]) -> Bool {
        // process_vm_writev writes nothing of an iovec it cannot write whole.
        (try? process.memory.writeHonouringProtection(bytes, at: address)) == true
    }
}

/// How the instructions under a process's breakpoints are run.
public final class DisplacedInstructions {
    enum Plan {
        /// Emulated at every hit (out of line when the emulator declines a given hit).
        case emulate(X86Instruction)
        /// Single-stepped from the scratch page.
        case outOfLine(OutOfLineCopy)
        /// Out of the scratch page's reach: stepped in place with the other threads stopped.
        case inPlace(X86Instruction)
        /// Run by the thread itself from a scratch slot of its own that jumps back after
        /// it: the thread is only moved there (`slot`), with no step and no emulation.
        case jumpBack(slot: UInt64)
    }

    var plans: [UInt64: Plan] = [:]
    /// Scratch slots: one per site, `slotSize` bytes each.
    var slots: [UInt64: UInt64] = [:]
    /// Slots that hold a jump-back copy: never shared, never written again while the
    /// scratch page lives (a thread may be running in one at any time).
    var jumpBackSlots: Set<UInt64> = []
    static let slotSize: UInt64 = 16
    static let scratchSize = 64 * 1024
    /// How many hits were emulated, stepped out of line, stepped in place.
    public private(set) var emulated = 0, steppedOutOfLine = 0, steppedInPlace = 0, jumpedBack = 0

    /// The process runs with CET shadow stacks: calls and returns are executed for real
    /// (in place), as the emulator would leave the shadow stack behind.
    public var shadowStacks = false {
        didSet { if shadowStacks != oldValue { plans = [:] } }
    }

    public init() {}

    /// Whether the instruction must run for real under shadow stacks (it pushes or pops
    /// a return address).
    public static func touchesShadowStack(_ instruction: X86Instruction) -> Bool {
        switch instruction.branch {
        case .relativeCall?, .indirectCall?, .ret?, .farReturn?: return true
        default: return false
        }
    }

    /// Whether `processID` runs with CET shadow stacks (its status lists shstk among the
    /// thread's x86 features).
    public static func processUsesShadowStacks(_ processID: Int32) -> Bool {
        guard let status = SystemFiles.readSmallTextFile("/proc/\(processID)/status", limit: 64 << 10) else { return false }
        return status.split(separator: "\n").contains { $0.hasPrefix("x86_Thread_features:") && $0.split(separator: " ").contains("shstk") }
    }

    /// Forgets every site (the address space was replaced by an exec).
    public func forgetAll() { plans = [:]; slots = [:]; jumpBackSlots = [] }

    /// Forgets the sites in `range` (their library was unmapped; what is mapped there next
    /// is decoded afresh). Their scratch slots stay theirs.
    public func forget(in range: Range<UInt64>) {
        plans = plans.filter { !range.contains($0.key) }
    }

    /// Runs the instruction displaced by the breakpoint at `address` in `thread` (stopped
    /// there, `registers` as it trapped), leaving the thread stopped after it (or at its
    /// branch target), ready to resume. Returns false when the thread ended meanwhile.
    @discardableResult
    public func execute(in process: TracedProcess, thread: Int32, at address: UInt64, registers: TraceeRegisters) throws(PtraceError) -> Bool {
        let plan = try self.plan(at: address, in: process)
        switch plan {
        case .emulate(let instruction):
            var state = registers.x86Registers
            if case .emulated = X86Emulator.emulate(instruction, at: address, registers: &state, memory: TraceeMemory(process: process)) {
                try process.completeBreakpoint(thread: thread, registers: TraceeRegisters(state), trapped: registers)
                emulated += 1
                return true
            }
            // Declined (or it faults): run it for real, out of line, so the fault is the CPU's.
            return try stepOutOfLine(instruction, in: process, thread: thread, at: address)
        case .outOfLine(let copy):
            steppedOutOfLine += 1
            if case .threadEnded = try process.stepOutOfLine(thread: thread, copy: copy) { return false }
            return true
        case .inPlace:
            steppedInPlace += 1
            return try process.stepInPlace(thread: thread, at: address)
        case .jumpBack(let slot):
            jumpedBack += 1
            return try process.completeBreakpoint(thread: thread, jumpingTo: slot)
        }
    }

    func plan(at address: UInt64, in process: TracedProcess) throws(PtraceError) -> Plan {
        if let plan = plans[address] { return plan }
        let bytes = try process.readMemory(at: address, count: X86Decoder.maximumInstructionLength)
        let plan: Plan
        switch X86Decoder.decode(bytes) {
        case .success(let instruction):
            // An instruction the emulator knows at all (decided on its form, not the values).
            if shadowStacks && Self.touchesShadowStack(instruction) {
                plan = .inPlace(instruction)
            } else if Self.mayJumpBack(instruction, at: address, in: process), let slot = try jumpBackSlot(instruction, in: process, at: address) {
                plan = .jumpBack(slot: slot)
            } else if Self.emulatorKnows(instruction, at: address) {
                plan = .emulate(instruction)
            } else if let copy = try outOfLineCopy(instruction, in: process, at: address) {
                plan = .outOfLine(copy)
            } else {
                plan = .inPlace(instruction)
            }
        case .failure:
            throw .unexpected("the instruction at 0x\(String(address, radix: 16)) in process \(process.processID) does not decode")
        }
        plans[address] = plan
        return plan
    }

    /// Whether the emulator handles this form: tried on scratch registers over memory that
    /// reads zeroes and accepts writes, so the answer depends on the form alone.
    static func emulatorKnows(_ instruction: X86Instruction, at address: UInt64) -> Bool {
        emulationTrial(instruction, at: address).known
    }

    /// The emulator tried on the form alone (scratch registers, memory that reads zeroes and
    /// accepts writes): whether it handles it, and whether doing so writes memory.
    static func emulationTrial(_ instruction: X86Instruction, at address: UInt64) -> (known: Bool, writesMemory: Bool) {
        final class TrialMemory: X86Memory {
            var written = false
            func read(address: UInt64, count: Int) -> [UInt8]? { [UInt8](repeating: 0, count: count) }
            func write(address: UInt64, bytes: [UInt8]) -> Bool { written = true; return true }
        }
        var registers = X86Registers()
        registers.rsp = 0x7fff_0000_1000
        let memory = TrialMemory()
        let known = X86Emulator.emulate(instruction, at: address, registers: &registers, memory: memory) != .notEmulated
        return (known, memory.written)
    }

    /// Whether the instruction at a breakpoint is better run by the thread from a
    /// jump-back slot than emulated or stepped: what does not transfer control or enter
    /// the kernel (syscall, int), and which the emulator cannot run or would have to write
    /// memory for (a push: the tracer's write costs more than the thread's own). A thread
    /// found stopped in a slot is put back where it belongs at detach
    /// (`TracedProcess.jumpBackCopies`), and by the guardian should dtrace die.
    static func mayJumpBack(_ instruction: X86Instruction, at address: UInt64, in process: TracedProcess) -> Bool {
        guard instruction.branch == nil else { return false }
        // syscall, sysenter; int3, int N, int1, into.
        switch (instruction.opcodeMap, instruction.opcode) {
        case (.twoByte, 0x05), (.twoByte, 0x34), (.primary, 0xcc), (.primary, 0xcd), (.primary, 0xf1), (.primary, 0xce): return false
        default: break
        }
        let trial = emulationTrial(instruction, at: address)
        return !trial.known || trial.writesMemory
    }

    /// A slot of its own holding the instruction (RIP-relative operand rewritten) and a
    /// jump back to the instruction after it — `jmp rel32`, or `jmp *0(%rip)` with the
    /// address after it when the slot is out of rel32's reach — written once; nil when
    /// the copy, the jump or a free slot cannot be had.
    func jumpBackSlot(_ instruction: X86Instruction, in process: TracedProcess, at address: UInt64) throws(PtraceError) -> UInt64? {
        let page = try process.mapScratchPage(near: address, size: Self.scratchSize)
        let slotCount = UInt64(page.size) / Self.slotSize
        let index: UInt64
        if let assigned = slots[address] {
            // The site's own slot from before its library was unmapped: the copy is made
            // again for what is mapped there now. A slot shared with others is no use.
            guard jumpBackSlots.contains(assigned) else { return nil }
            index = assigned
        } else {
            guard UInt64(slots.count) < slotCount else { return nil }
            index = UInt64(slots.count)
        }
        let slot = page.address + index * Self.slotSize
        guard let copy = try? OutOfLineCopy(instruction, originalAddress: address, scratchAddress: slot) else { return nil }
        let back = address &+ UInt64(copy.length)
        let jumpEnd = slot &+ UInt64(copy.length) &+ 5
        let distance = Int64(bitPattern: back &- jumpEnd)
        var bytes = copy.bytes
        if distance >= Int64(Int32.min) && distance <= Int64(Int32.max) {
            bytes += [0xe9] + withUnsafeBytes(of: Int32(distance).littleEndian, Array.init)
        } else {
            bytes += [0xff, 0x25, 0, 0, 0, 0] + withUnsafeBytes(of: back.littleEndian, Array.init)
        }
        guard UInt64(bytes.count) <= Self.slotSize else { return nil }
        // Where a thread found at the slot's start or at its jump belongs.
        process.jumpBackCopies[slot] = (length: UInt64(copy.length), original: address)
        process.guardian?.willStepCopy(at: slot, length: copy.length, original: address, in: process)
        try process.writeScratch(bytes, at: slot)
        slots[address] = index
        jumpBackSlots.insert(index)
        return slot
    }

    func outOfLineCopy(_ instruction: X86Instruction, in process: TracedProcess, at address: UInt64) throws(PtraceError) -> OutOfLineCopy? {
        let page = try process.mapScratchPage(near: address, size: Self.scratchSize)
        let slotCount = UInt64(page.size) / Self.slotSize
        let slot: UInt64
        if let assigned = slots[address] {
            slot = assigned
        } else {
            // Past the last slot they are shared, but never with a jump-back copy.
            var next = UInt64(slots.count) % slotCount
            var tried: UInt64 = 0
            while jumpBackSlots.contains(next) {
                next = (next + 1) % slotCount
                tried += 1
                if tried >= slotCount { return nil }
            }
            slots[address] = next
            slot = next
        }
        guard !jumpBackSlots.contains(slot) else { return nil }
        do {
            return try OutOfLineCopy(instruction, originalAddress: address, scratchAddress: page.address + slot * Self.slotSize)
        } catch {
            return nil
        }
    }

    func stepOutOfLine(_ instruction: X86Instruction, in process: TracedProcess, thread: Int32, at address: UInt64) throws(PtraceError) -> Bool {
        guard instruction.branch == nil, let copy = try outOfLineCopy(instruction, in: process, at: address) else {
            steppedInPlace += 1
            return try process.stepInPlace(thread: thread, at: address)
        }
        steppedOutOfLine += 1
        if case .threadEnded = try process.stepOutOfLine(thread: thread, copy: copy) { return false }
        return true
    }
}

extension TracedProcess {
    /// The thread stopped at a breakpoint has had its instruction run by the tracer
    /// (emulated): its registers become `registers` (only those that differ from
    /// `trapped`, the registers it stopped with, are written when those are given), and it
    /// may be resumed.
    public func completeBreakpoint(thread: Int32, registers: TraceeRegisters, trapped: TraceeRegisters? = nil) throws(PtraceError) {
        let (record, stop) = try stoppedRecord(thread)
        guard case .breakpoint = stop else { throw .unexpected("thread \(thread) is not stopped at a breakpoint") }
        // A guardian learns the registers first: should dtrace die now, it keeps them.
        guardian?.publish(.chosen(registers: registers.words), thread: thread, in: self)
        do {
            if let trapped { try PtraceThread(thread).setRegisters(registers, from: trapped) } else { try PtraceThread(thread).setRegisters(registers) }
        } catch {
            if error.code == ErrorNumber.noSuchProcess { record.state = .running; return }
            throw .system(error)
        }
        record.state = .stopped(.trapped)
    }

    /// The thread stopped at a breakpoint goes on from `slot`, the jump-back copy of the
    /// instruction the breakpoint displaced (rip alone changes). Returns false when the
    /// thread ended meanwhile.
    func completeBreakpoint(thread: Int32, jumpingTo slot: UInt64) throws(PtraceError) -> Bool {
        let (record, stop) = try stoppedRecord(thread)
        guard case .breakpoint = stop else { throw .unexpected("thread \(thread) is not stopped at a breakpoint") }
        do { try PtraceThread(thread).setProgramCounter(slot) } catch {
            if error.code == ErrorNumber.noSuchProcess { record.state = .running; return false }
            throw .system(error)
        }
        record.state = .stopped(.trapped)
        return true
    }

    /// Runs the original instruction at `address` in place: every other thread stopped,
    /// the original byte put back for one PTRACE_SINGLESTEP, the int3 written again.
    /// Returns false when the thread ended meanwhile.
    func stepInPlace(thread: Int32, at address: UInt64) throws(PtraceError) -> Bool {
        let (record, _) = try stoppedRecord(thread)
        try stopAllThreads()
        guard let original = breakpoints.originalByte(at: address) else { throw .unexpected("no breakpoint at 0x\(String(address, radix: 16))") }
        do {
            try memory.writeThroughFile([original], at: address)
            try PtraceThread(thread).setProgramCounter(address)
        } catch { throw .system(error) }
        let end = try stepOnce(thread, record, from: address)
        do { try memory.writeThroughFile([BreakpointTable.trapInstruction], at: address) } catch { throw .system(error) }
        // The others go on (those with events to report stay stopped until reported).
        for other in threads where other != thread {
            if case .stopped(.interrupted) = threadRecords[other]?.state { try resume(thread: other) }
        }
        return end.completed
    }
}
