// DTracePtrace/OutOfLineStep: making one thread run an instruction of the tracer's
// choosing with PTRACE_SINGLESTEP (never the trap flag set by hand) — the instruction a
// breakpoint displaced, copied to the scratch page and stepped there (`stepOutOfLine`),
// and system calls made in the tracee's name (`injectSystemCall`: mmap for the scratch
// page). Signals that arrive during a step are held back and re-delivered when the thread
// is resumed; other events are kept for the event loop.

import DTraceELF
import DTraceSystem

/// How an out-of-line step ended.
public enum OutOfLineStep: Equatable, Sendable {
    /// Done; the thread is stopped with rip at `programCounter`.
    case stepped(programCounter: UInt64)
    /// The thread ended during the step (its end is reported by `waitForEvent`).
    case threadEnded
}

extension TracedProcess {
    /// Runs the instruction a breakpoint displaced, out of line: `scratchBytes` (the
    /// instruction, already adjusted for its new address by the caller) written at
    /// `scratchAddress` (in the scratch page; written only when it differs from what is
    /// there), rip pointed at it, one PTRACE_SINGLESTEP, then rip moved back to the code:
    /// an instruction that ended inside or right after the copy continues at `resumeAt`
    /// plus how far past the copy's end it got; one that jumped elsewhere (an indirect
    /// jump, call or return) stays where it went. `fixup` may then change the registers
    /// (a relative call's return address, say). The thread is left stopped; resume it.
    /// The instruction must not block (a system call): the step is waited for.
    @discardableResult
    public func stepOutOfLine(thread: Int32, scratchBytes: [UInt8], scratchAddress: UInt64, resumeAt: UInt64,
                              fixup: ((inout TraceeRegisters) -> Void)? = nil) throws(PtraceError) -> OutOfLineStep {
        let (record, stop) = try stoppedRecord(thread)
        switch stop {
        case .groupStop, .systemCall, .event:
            throw .cannotInject(thread: thread, reason: "it is stopped in a group-stop, a system call or a ptrace event")
        case .breakpoint, .trapped, .signal, .interrupted: break
        }
        try writeScratch(scratchBytes, at: scratchAddress)
        if let guardian {
            // Where a thread found in the copy belongs, should dtrace die meanwhile.
            var original = resumeAt &- UInt64(scratchBytes.count)
            if case .breakpoint(let address) = stop { original = address }
            guardian.willStepCopy(at: scratchAddress, length: scratchBytes.count, original: original, in: self)
        }
        let ptraceThread = PtraceThread(thread)
        do { try ptraceThread.setProgramCounter(scratchAddress) } catch { throw .system(error) }
        guard try stepOnce(thread, record, from: scratchAddress).completed else { return .threadEnded }
        let copyEnd = scratchAddress &+ UInt64(scratchBytes.count)
        func moved(_ pc: UInt64) -> UInt64 {
            pc >= scratchAddress && pc <= copyEnd ? resumeAt &+ (pc &- copyEnd) : pc
        }
        do {
            if fixup != nil || guardian != nil {
                var registers = try ptraceThread.registers()
                registers.rip = moved(registers.rip)
                fixup?(&registers)
                // The guardian learns where the instruction left the thread before it is put
                // there (its trap flag, set by the step, is still on).
                guardian?.publish(.chosen(registers: registers.words), thread: thread, in: self)
                try ptraceThread.setRegisters(registers)
                return .stepped(programCounter: registers.rip)
            }
            let pc = moved(try ptraceThread.programCounter())
            try ptraceThread.setProgramCounter(pc)
            return .stepped(programCounter: pc)
        } catch {
            if error.code == ErrorNumber.noSuchProcess { record.state = .running; return .threadEnded }
            throw .system(error)
        }
    }

    /// Writes `bytes` into the scratch page (through /proc/PID/mem: it is not writable),
    /// unless they are there already.
    func writeScratch(_ bytes: [UInt8], at address: UInt64) throws(PtraceError) {
        guard let page = scratchPage, address >= page.address, address &+ UInt64(bytes.count) <= page.address &+ UInt64(page.size) else {
            throw .unexpected("0x\(String(address, radix: 16)) + \(bytes.count) is not in the scratch page")
        }
        let offset = Int(address - page.address)
        if scratchImage.count == page.size, Array(scratchImage[offset..<offset + bytes.count]) == bytes { return }
        do { try memory.writeThroughFile(bytes, at: address) } catch { throw .system(error) }
        if scratchImage.count != page.size { scratchImage = [UInt8](repeating: 0, count: page.size) }
        scratchImage.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    }

    /// How one single step ended.
    struct StepEnd {
        /// The thread is still there (stopped, `.trapped`).
        var completed: Bool
        /// A breakpoint's SIGTRAP that was already pending when the step began (the thread
        /// hit an int3 before it was stopped) was taken instead of being reported: whoever
        /// restores the thread's registers puts it back at that breakpoint's address.
        var tookPendingBreakpointTrap = false
    }

    /// One PTRACE_SINGLESTEP of a stopped thread (at `knownPC`, read when nil), waited for. A signal that arrives first
    /// is held back (queued for the resume) and the step tried again; so is a group-stop
    /// (its signal sent again after the resume), and a breakpoint trap already pending.
    /// Other events are kept for `waitForEvent`. The thread is left `.stopped(.trapped)`.
    func stepOnce(_ thread: Int32, _ record: ThreadRecord, from knownPC: UInt64? = nil) throws(PtraceError) -> StepEnd {
        let ptraceThread = PtraceThread(thread)
        var signal: Int32 = 0
        var end = StepEnd(completed: false)
        var startPC = knownPC ?? 0
        if knownPC == nil { do { startPC = try ptraceThread.programCounter() } catch {
            if error.code == ErrorNumber.noSuchProcess { record.state = .running; return end }
            throw .system(error)
        } }
        // Should dtrace die during the step, the guardian waits for its trap.
        guardian?.publish(.stepping, thread: thread, in: self)
        while true {
            do { try ptraceThread.singleStep(signal: signal) } catch {
                if error.code == ErrorNumber.noSuchProcess { record.state = .running; return end }
                throw .system(error)
            }
            signal = 0
            record.state = .running
            let taken: (processID: Int32, status: WaitStatus)?
            do { taken = try TraceeWait.take(processID: thread, deadline: nil) } catch { throw .system(error) }
            guard let (_, status) = taken else { continue }
            switch status {
            case .exited, .killed:
                if let event = try handle(thread, status) { pendingEvents.append(event) }
                return end
            case .stopped(let stopSignal, let event):
                if event == PtraceEvent.stop.rawValue {
                    record.interruptRequested = false
                    if SignalNumber.stopSignals.contains(stopSignal) {
                        // Another thread's stop signal: stop this one too, after the step.
                        record.queuedSignals.append(StopSignalInfo(signal: stopSignal))
                    }
                    continue
                }
                if event != 0 {
                    // A ptrace event from the stepped instruction (a system call): report it
                    // later; the step goes on.
                    if let reported = try handle(thread, status) { pendingEvents.append(reported) }
                    continue
                }
                let info: StopSignalInfo
                do { info = try ptraceThread.signalInfo() } catch {
                    if error.code == ErrorNumber.noSuchProcess { record.state = .running; return end }
                    throw .system(error)
                }
                if stopSignal == SignalNumber.trap && info.code == StopSignalInfo.codeKernel,
                   (try? ptraceThread.programCounter()) == startPC {
                    // An int3's trap from before the step, not the step's: nothing ran.
                    end.tookPendingBreakpointTrap = true
                    continue
                }
                let isStepTrap = stopSignal == SignalNumber.trap
                    && (info.code == StopSignalInfo.codeTrace || info.code == StopSignalInfo.codeBreakpoint || info.code == StopSignalInfo.codeKernel)
                if isStepTrap {
                    record.state = .stopped(.trapped)
                    end.completed = true
                    return end
                }
                if stopSignal == SignalNumber.trap | 0x80 { continue }
                record.queuedSignals.append(info)
            }
        }
    }

    /// Makes system call `number` with `arguments` in `thread` (stopped at a breakpoint, a
    /// trap, a signal or an interrupt, or just after exec) and returns what it returned
    /// (a negative errno on failure): registers saved, a `syscall` instruction found in
    /// the tracee's code (or written over rip for the moment), rax and the argument
    /// registers set, PTRACE_SINGLESTEP until it has run, registers and bytes put back.
    public func injectSystemCall(thread: Int32, number: UInt64, arguments: [UInt64]) throws(PtraceError) -> Int64 {
        var (record, stop) = try stoppedRecord(thread)
        switch stop {
        case .groupStop, .systemCall:
            throw .cannotInject(thread: thread, reason: "it is in a group-stop or a system-call stop")
        case .event(.exec):
            try settleAfterExec(thread: thread)
            (record, stop) = try stoppedRecord(thread)
        case .event:
            throw .cannotInject(thread: thread, reason: "it is inside a system call (a ptrace event)")
        case .breakpoint, .trapped, .signal, .interrupted: break
        }
        let ptraceThread = PtraceThread(thread)
        let saved: TraceeRegisters
        do { saved = try ptraceThread.registers() } catch { throw .system(error) }
        let published = guardian?.continuation(of: thread, in: self)
        var site = try findSystemCallSite()
        if let found = site, breakpoints.contains(found) || breakpoints.contains(found &+ 1) {
            systemCallSite = nil
            site = nil
        }
        var overwritten: [UInt8]?
        if site == nil {
            do {
                overwritten = try memory.read(address: saved.rip, count: 2)
                try memory.writeThroughFile([0x0F, 0x05], at: saved.rip)
            } catch { throw .cannotInject(thread: thread, reason: "no syscall instruction in its code, and none can be written at rip: \(error)") }
            site = saved.rip
        }
        defer { if let overwritten { try? memory.writeThroughFile(overwritten, at: saved.rip) } }
        var call = saved
        call.rip = site!
        call.rax = number
        call.origRax = UInt64.max   // not in a system call: no restart of one on the way out
        let argumentRegisters: [WritableKeyPath<TraceeRegisters, UInt64>] = [\.rdi, \.rsi, \.rdx, \.r10, \.r8, \.r9]
        for (index, value) in arguments.prefix(6).enumerated() { call[keyPath: argumentRegisters[index]] = value }
        var result: Int64?
        var restored = saved
        for _ in 0..<4 {
            do { try ptraceThread.setRegisters(call) } catch { throw .system(error) }
            let end = try stepOnce(thread, record, from: call.rip)
            guard end.completed else { throw .cannotInject(thread: thread, reason: "it ended") }
            let trapAddress = saved.rip &- 1
            if end.tookPendingBreakpointTrap && (breakpoints.contains(trapAddress) || breakpoints.removedAddresses.contains(trapAddress)) {
                restored.rip = trapAddress   // it runs into the breakpoint (or its original instruction) again
            }
            let after: TraceeRegisters
            do { after = try ptraceThread.registers() } catch { throw .system(error) }
            if after.rip == call.rip &+ 2 { result = Int64(bitPattern: after.rax); break }
            // A step out of a system-call path traps before any instruction runs: again.
            if after.rip != call.rip { throw .cannotInject(thread: thread, reason: "the step went to 0x\(String(after.rip, radix: 16))") }
        }
        if let guardian {
            // Its registers back, its step's trap flag still on. Stopped at a breakpoint, the
            // displaced instruction has not run (the guardian puts it back there); owing a
            // signal, it still does; else these registers are where it goes on from.
            switch (stop, published) {
            case (.breakpoint, _), (_, .owed?): guardian.republish(published, thread: thread, in: self)
            default: guardian.publish(.chosen(registers: restored.words), thread: thread, in: self)
            }
        }
        do { try ptraceThread.setRegisters(restored) } catch { throw .system(error) }
        record.state = .stopped(stop == .interrupted ? .trapped : stop)
        guard let result else { throw .cannotInject(thread: thread, reason: "the system call never ran") }
        return result
    }

    /// Leaves the exec event stop (inside execve) for a SIGTRAP stop at the program's
    /// first instruction, not yet run: one single step, which the kernel reports on the
    /// way out of the system call. Registers then are what the program starts with.
    func settleAfterExec(thread: Int32) throws(PtraceError) {
        let (record, stop) = try stoppedRecord(thread)
        guard case .event(.exec) = stop else { return }
        guard try stepOnce(thread, record).completed else { throw .processEnded }
    }

    /// A `syscall` instruction (0F 05) in the tracee's executable memory: the vdso first,
    /// then the other executable mappings. Only the bytes matter: rip is pointed at them.
    func findSystemCallSite() throws(PtraceError) -> UInt64? {
        if let systemCallSite { return systemCallSite }
        let mappings: [MemoryMapping]
        switch ProcessMappings.read(pid: processID) {
        case .success(let read): mappings = read
        case .failure(let error): throw .system(error)
        }
        let executable = mappings.filter { $0.isExecutable && $0.isReadable && $0.pathname != "[vsyscall]" }
        let ordered = executable.filter { $0.pathname == "[vdso]" } + executable.filter { $0.pathname != "[vdso]" }
        for mapping in ordered {
            var address = mapping.start
            let end = min(mapping.end, mapping.start &+ UInt64(4 << 20))
            while address < end {
                let count = Int(min(end - address, UInt64(64 << 10)))
                guard let bytes = try? memory.read(address: address, count: count), bytes.count > 1 else { break }
                for index in 0..<(bytes.count - 1) where bytes[index] == 0x0F && bytes[index + 1] == 0x05 {
                    systemCallSite = address &+ UInt64(index)
                    return systemCallSite
                }
                address &+= UInt64(count - 1)
            }
        }
        return nil
    }
}
