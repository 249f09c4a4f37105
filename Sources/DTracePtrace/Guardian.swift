// DTracePtrace/Guardian: what leaves a process traced with -p healthy if dtrace dies
// without detaching (SIGKILL, a crash) — the guardian process (CLinux/guardian.c), which
// traces the tracing thread and holds it at its exit while it restores every original
// byte and fixes the threads, told what it needs when it changes (each breakpoint before
// its int3 is written, removals, the scratch page, where each copy stepped there comes
// from, and — in shared memory, on a hit's path without a system call — the registers the
// tracer chose for a stopped thread, a step under way, a signal it owes the program); and
// the SIGTRAP handler placed in each process (a page of machine code, the program's own
// action kept and chained to), which takes the SIGTRAPs the kernel delivers when a tracer
// dies before waiting for them and applies the guardian's fixes. TracedProcess calls the
// hooks below itself; the engine only starts the guardian and dismisses it:
//
//     let process = try TracedProcess.attach(pid: pid)
//     let guardian = try Guardian.start(for: process)   // threads still stopped
//     ... breakpoints, scratch page, resumeAll(), the event loop ...
//     try process.detach()                              // handler out, process released
//     guardian.dismiss()                                // the guardian lets go and exits
//
// Every ptrace request must come from the tracing thread, so: one guardian per tracing
// thread, started and used on it; further processes it traces join with `watch(_:)`.

import DTraceSystem

public final class Guardian {
    let channel: GuardianChannel

    /// The guardian process's pid.
    public var processID: Int32 { channel.processID }
    /// Whether it holds the tracing thread at its exit (it traces it). When it cannot
    /// (dtrace is itself traced, by strace or gdb), it learns of dtrace's death only once
    /// the threads are let go, and only restores the bytes.
    public var holdsTracer: Bool { channel.holdsTracer }
    /// Whether it is there to tell (not dismissed; its socket did not break).
    public var isRunning: Bool { channel.isOpen }

    struct Slot: Equatable {
        var length: UInt64
        var original: UInt64
    }

    /// What the guardian has been told of one process.
    struct Care {
        var trapHandlerPage: UInt64?
        var wantsTrapHandler: Bool
        var slots: [UInt64: Slot] = [:]
    }

    private var cares: [Int32: Care] = [:]
    /// Continuation slots (shared memory) by thread, pid << 32 | tid.
    private var continuationSlots: [Int64: Int] = [:]
    private var freeSlots: [Int] = Array((0..<GuardianChannel.continuationCapacity).reversed())
    /// What each slot holds now.
    private var published: [Int: GuardianChannel.Continuation] = [:]

    private init(channel: GuardianChannel) { self.channel = channel }

    deinit { channel.close() }

    // MARK: Starting and dismissing

    /// Starts the guardian of the calling thread — the one that traces `process`, attached
    /// with `TracedProcess.attach` — and puts the process in its care (`watch`). `report`:
    /// a descriptor the guardian keeps and writes a line to when it recovers a process or
    /// is dismissed (-1: none). `trapHandler`: place the SIGTRAP handler in the process
    /// (without it, a thread that trapped after dtrace's last wait dies with dtrace).
    public static func start(for process: TracedProcess, report: Int32 = -1, trapHandler: Bool = true) throws(PtraceError) -> Guardian {
        let channel: GuardianChannel
        do { channel = try GuardianChannel.start(report: report) } catch { throw .system(error) }
        let guardian = Guardian(channel: channel)
        do {
            try guardian.watch(process, trapHandler: trapHandler)
        } catch {
            guardian.dismiss()
            throw error
        }
        return guardian
    }

    /// Puts another process traced by this thread in the guardian's care: its start time
    /// (a reused pid is never patched), its breakpoints and scratch page as they are, and —
    /// with `trapHandler` — the SIGTRAP handler, placed through a stopped thread (running
    /// threads are stopped for it and let go again). A process dtrace launched (-c) dies
    /// with dtrace (PTRACE_O_EXITKILL) and is refused.
    public func watch(_ process: TracedProcess, trapHandler: Bool = true) throws(PtraceError) {
        let pid = process.processID
        guard !process.isLaunched else {
            throw .unexpected("process \(pid) was started by dtrace: it dies with dtrace (PTRACE_O_EXITKILL) and needs no guardian")
        }
        guard process.guardian == nil || process.guardian === self else { throw .unexpected("process \(pid) has a guardian already") }
        guard let start = ProcessThreads.startTime(of: pid) else {
            throw .system(SystemError("/proc/\(pid)/stat", code: ErrorNumber.noSuchProcess))
        }
        if cares[pid] == nil { cares[pid] = Care(trapHandlerPage: nil, wantsTrapHandler: trapHandler) }
        process.guardian = self
        try send([GuardianRecord(.watch, processID: pid, start)])
        try update(from: process)
        if trapHandler { try placeTrapHandler(in: process) }
        do { try channel.sync() } catch { throw .system(error) }
    }

    /// Sends the process's breakpoints (removed ones too), scratch page and trap handler as
    /// they are now. TracedProcess tells each change itself; this is for a guardian
    /// started when breakpoints were already in place.
    public func update(from process: TracedProcess) throws(PtraceError) {
        let pid = process.processID
        var records = process.breakpoints.savedBytes.map { GuardianRecord(.breakpoint, processID: pid, $0.address, UInt64($0.originalByte)) }
        records += process.breakpoints.removedAddresses.sorted().map { GuardianRecord(.removed, processID: pid, $0) }
        records.append(GuardianRecord(.scratch, processID: pid, process.scratchPage?.address ?? 0, UInt64(process.scratchPage?.size ?? 0)))
        records.append(GuardianRecord(.handler, processID: pid, cares[pid]?.trapHandlerPage ?? 0))
        try send(records)
    }

    /// Lets the tracing thread go: the guardian detaches from it and exits. Call it once the
    /// processes are detached (`TracedProcess.detach` releases each); a process still
    /// traced is no longer guarded. Must run on the tracing thread (the guardian stops it
    /// for a moment to detach).
    public func dismiss() {
        try? channel.dismiss()
        cares = [:]
    }

    // MARK: The trap handler

    /// Places the SIGTRAP handler in `process` (once per image): a page mapped by the
    /// process (mmap, PROT_READ | PROT_EXEC), the handler's code, the program's own action
    /// read with rt_sigaction and kept on the page, then the handler installed with the
    /// program's flags, mask and restorer (SA_SIGINFO added, SA_RESETHAND dropped).
    func placeTrapHandler(in process: TracedProcess) throws(PtraceError) {
        let pid = process.processID
        guard var care = cares[pid], care.trapHandlerPage == nil else { return }
        guard let handler = GuardianChannel.trapHandler else { throw .unexpected("no trap handler for this architecture") }
        let page = try process.withStoppedThread { (caller) throws(PtraceError) -> UInt64 in
            let mapped = try process.injectSystemCall(thread: caller, number: TracedProcess.MappingABI.mmap, arguments: [
                0, GuardianChannel.TrapHandlerPage.size, TracedProcess.MappingABI.protectionReadExecute,
                TracedProcess.MappingABI.privateAnonymous, UInt64.max, 0])
            if mapped < 0 && mapped >= -4095 { throw .system(SystemError("mmap in process \(pid)", code: Int32(-mapped))) }
            let page = UInt64(bitPattern: mapped)
            do throws(PtraceError) {
                let action = try process.signalAction(SignalNumber.trap, thread: caller)
                do throws(SystemError) {
                    try process.memory.writeThroughFile(handler.code, at: page)
                    try process.memory.writeThroughFile(action.bytes, at: page &+ GuardianChannel.TrapHandlerPage.actionOffset)
                    try process.memory.writeThroughFile([0, 0, 0, 0], at: page &+ GuardianChannel.TrapHandlerPage.fixCountOffset)
                } catch { throw PtraceError.system(error) }
                var ours = action
                ours.handler = page
                ours.flags = (action.flags & ~SignalActionFlags.resetHandler) | SignalActionFlags.information | SignalActionFlags.restorer
                if action.flags & SignalActionFlags.restorer == 0 { ours.restorer = page &+ handler.restorerOffset }
                try process.setSignalAction(SignalNumber.trap, ours, thread: caller)
            } catch {
                _ = try? process.injectSystemCall(thread: caller, number: TracedProcess.MappingABI.munmap, arguments: [page, GuardianChannel.TrapHandlerPage.size])
                throw error
            }
            return page
        }
        care.trapHandlerPage = page
        cares[pid] = care
        try send([GuardianRecord(.handler, processID: pid, page)])
    }

    /// Takes the SIGTRAP handler out of `process` (its threads stopped, before a detach):
    /// the program's own action back and the page unmapped — unless the program has set an
    /// action of its own since (which may chain to ours): then the page stays.
    func removeTrapHandler(from process: TracedProcess) throws(PtraceError) {
        let pid = process.processID
        guard var care = cares[pid], let page = care.trapHandlerPage else { return }
        care.trapHandlerPage = nil
        care.wantsTrapHandler = false
        cares[pid] = care
        try? send([GuardianRecord(.handler, processID: pid, 0)])
        try process.withStoppedThread { (caller) throws(PtraceError) in
            let current = try process.signalAction(SignalNumber.trap, thread: caller)
            guard current.handler == page else { return }
            let original: [UInt8]
            do throws(SystemError) { original = try process.memory.read(address: page &+ GuardianChannel.TrapHandlerPage.actionOffset, count: SignalAction.size) } catch {
                throw .system(error)
            }
            try process.setSignalAction(SignalNumber.trap, SignalAction(bytes: original), thread: caller)
            let result = try process.injectSystemCall(thread: caller, number: TracedProcess.MappingABI.munmap, arguments: [page, GuardianChannel.TrapHandlerPage.size])
            if result < 0 { throw .system(SystemError("munmap in process \(pid)", code: Int32(-result))) }
        }
    }

    /// The trap handler's page in `process`, if placed.
    public func trapHandlerPage(in process: TracedProcess) -> UInt64? { cares[process.processID]?.trapHandlerPage }

    // MARK: What TracedProcess tells it

    private func send(_ records: [GuardianRecord]) throws(PtraceError) {
        do { try channel.send(records) } catch { throw .system(error) }
    }

    /// Best effort: a guardian that is gone is told nothing more.
    private func tell(_ records: [GuardianRecord]) {
        guard channel.isOpen else { return }
        try? channel.send(records)
    }

    func willInsertBreakpoint(at address: UInt64, originalByte: UInt8, in process: TracedProcess) {
        tell([GuardianRecord(.breakpoint, processID: process.processID, address, UInt64(originalByte))])
    }

    func didRemoveBreakpoint(at address: UInt64, in process: TracedProcess) {
        tell([GuardianRecord(.removed, processID: process.processID, address)])
    }

    func scratchPageChanged(in process: TracedProcess) {
        tell([GuardianRecord(.scratch, processID: process.processID, process.scratchPage?.address ?? 0, UInt64(process.scratchPage?.size ?? 0))])
    }

    /// A copy of the instruction at `original` is about to run at `scratchAddress`.
    func willStepCopy(at scratchAddress: UInt64, length: Int, original: UInt64, in process: TracedProcess) {
        let pid = process.processID
        let slot = Slot(length: UInt64(length), original: original)
        guard var care = cares[pid], care.slots[scratchAddress] != slot else { return }
        care.slots[scratchAddress] = slot
        cares[pid] = care
        tell([GuardianRecord(.slot, processID: pid, scratchAddress, slot.length, slot.original)])
    }

    /// Whether the trap handler should be placed (again: after an exec).
    func wantsTrapHandler(in process: TracedProcess) -> Bool {
        guard let care = cares[process.processID] else { return false }
        return care.wantsTrapHandler && care.trapHandlerPage == nil && channel.isOpen
    }

    private func continuationSlot(_ process: TracedProcess, _ thread: Int32) -> Int? {
        let key = Int64(process.processID) << 32 | Int64(UInt32(bitPattern: thread))
        if let slot = continuationSlots[key] { return slot }
        guard cares[process.processID] != nil, let slot = freeSlots.popLast() else { return nil }
        continuationSlots[key] = slot
        return slot
    }

    func publish(_ continuation: GuardianChannel.Continuation, thread: Int32, in process: TracedProcess) {
        guard let slot = continuationSlot(process, thread) else { return }
        channel.publish(slot: slot, processID: process.processID, threadID: thread, continuation)
        published[slot] = continuation
    }

    /// What was last published for the thread (nil: nothing, or withdrawn).
    func continuation(of thread: Int32, in process: TracedProcess) -> GuardianChannel.Continuation? {
        let key = Int64(process.processID) << 32 | Int64(UInt32(bitPattern: thread))
        return continuationSlots[key].flatMap { published[$0] }
    }

    /// Publishes `continuation` again, or withdraws what there is when it is nil.
    func republish(_ continuation: GuardianChannel.Continuation?, thread: Int32, in process: TracedProcess) {
        if let continuation { publish(continuation, thread: thread, in: process) } else { resumed(thread: thread, in: process) }
    }

    func resumed(thread: Int32, in process: TracedProcess) {
        let key = Int64(process.processID) << 32 | Int64(UInt32(bitPattern: thread))
        if let slot = continuationSlots[key] {
            channel.withdraw(slot: slot)
            published[slot] = nil
        }
    }

    func threadEnded(_ thread: Int32, in process: TracedProcess) {
        let key = Int64(process.processID) << 32 | Int64(UInt32(bitPattern: thread))
        if let slot = continuationSlots.removeValue(forKey: key) {
            channel.withdraw(slot: slot)
            published[slot] = nil
            freeSlots.append(slot)
        }
    }

    private func dropContinuations(of pid: Int32) {
        for (key, slot) in continuationSlots where key >> 32 == Int64(pid) {
            channel.withdraw(slot: slot)
            published[slot] = nil
            freeSlots.append(slot)
            continuationSlots[key] = nil
        }
    }

    /// The process exec'd: its breakpoints, scratch page, copies and handler went with the
    /// old image.
    func imageReplaced(in process: TracedProcess) {
        let pid = process.processID
        guard var care = cares[pid] else { return }
        care.slots = [:]
        care.trapHandlerPage = nil
        cares[pid] = care
        dropContinuations(of: pid)
        tell([GuardianRecord(.forget, processID: pid)])
    }

    /// The process is detached (nothing of dtrace is left in it) or has ended.
    func release(_ process: TracedProcess) {
        let pid = process.processID
        guard cares.removeValue(forKey: pid) != nil else { return }
        dropContinuations(of: pid)
        tell([GuardianRecord(.release, processID: pid)])
        if process.guardian === self { process.guardian = nil }
    }
}

/// struct kernel_sigaction as rt_sigaction(2) reads and writes it on x86-64.
struct SignalAction: Equatable {
    static let size = 32
    var handler: UInt64
    var flags: UInt64
    var restorer: UInt64
    var mask: UInt64

    init(bytes: [UInt8]) {
        func word(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in 0..<8 where index * 8 + byte < bytes.count { value |= UInt64(bytes[index * 8 + byte]) << UInt64(8 * byte) }
            return value
        }
        handler = word(0); flags = word(1); restorer = word(2); mask = word(3)
    }

    var bytes: [UInt8] {
        [handler, flags, restorer, mask].flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> UInt64(8 * $0)) } }
    }
}

extension TracedProcess {
    /// rt_sigaction(2)'s number on x86-64.
    static let signalActionCall: UInt64 = 13

    /// Room for a system call's in-memory argument: below the thread's red zone, which a
    /// stopped thread does not use.
    private func argumentArea(of thread: Int32) throws(PtraceError) -> UInt64 {
        (try registers(of: thread).rsp &- 1024) & ~15
    }

    /// The process's action for `signal` (rt_sigaction made by `thread`, stopped).
    func signalAction(_ signal: Int32, thread: Int32) throws(PtraceError) -> SignalAction {
        let area = try argumentArea(of: thread)
        let result = try injectSystemCall(thread: thread, number: Self.signalActionCall, arguments: [UInt64(signal), 0, area, 8])
        if result < 0 { throw .system(SystemError("rt_sigaction in process \(processID)", code: Int32(-result))) }
        do { return SignalAction(bytes: try memory.read(address: area, count: SignalAction.size)) } catch { throw .system(error) }
    }

    /// Sets the process's action for `signal` (rt_sigaction made by `thread`, stopped).
    func setSignalAction(_ signal: Int32, _ action: SignalAction, thread: Int32) throws(PtraceError) {
        let area = try argumentArea(of: thread)
        do { try memory.write(action.bytes, at: area) } catch { throw .system(error) }
        let result = try injectSystemCall(thread: thread, number: Self.signalActionCall, arguments: [UInt64(signal), area, 0, 8])
        if result < 0 { throw .system(SystemError("rt_sigaction in process \(processID)", code: Int32(-result))) }
    }

    /// Runs `body` with a thread stopped where it can make a system call: one that is, or
    /// else every thread stopped for it and those that ran let go again afterwards.
    func withStoppedThread<Result>(_ body: (Int32) throws(PtraceError) -> Result) throws(PtraceError) -> Result {
        if let caller = threadAvailableForInjection { return try body(caller) }
        let wereRunning = threads.filter { state(of: $0) == .running }
        try stopAllThreads()
        defer {
            for thread in wereRunning where state(of: thread) == .stopped(.interrupted) { try? resume(thread: thread) }
        }
        guard let caller = threadAvailableForInjection else {
            throw .cannotInject(thread: processID, reason: "no thread stopped where it can make a system call")
        }
        return try body(caller)
    }
}
