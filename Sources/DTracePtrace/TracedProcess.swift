// DTracePtrace/TracedProcess: one process under ptrace — started held and seized before
// exec (-c) or seized thread by thread (-p); its threads and what each is stopped at;
// resuming them the way their stop asks (delivering signals unchanged, listening in a
// group-stop, queued signals re-delivered); stopping them all; its memory (reads show
// original bytes through breakpoints) and registers; its breakpoint table; fork children
// cleaned of breakpoints and let go; and detaching so that nothing of the tracer is left
// (every breakpoint byte restored, traps already in flight undone, threads detached).
// The event loop is in EventLoop.swift, out-of-line steps and injected system calls in
// OutOfLineStep.swift, the scratch page in ScratchPage.swift; with a guardian
// (Guardian.swift), each of them tells it what it must know should dtrace die.
//
// Every ptrace request must come from the thread that seized the tracee: a TracedProcess
// is used from the thread that created it, and never concurrently.

import DTraceSystem

/// Choices made when a process is seized.
public struct TraceOptions: Sendable {
    /// Stop at seccomp filters' SECCOMP_RET_TRACE (PTRACE_O_TRACESECCOMP).
    public var seccompStops: Bool

    public init(seccompStops: Bool = false) {
        self.seccompStops = seccompStops
    }

    /// Every tracee: exec, clone (threads), fork and vfork (children to clean), vfork done,
    /// system-call stops told apart (SIGTRAP | 0x80).
    var ptraceOptions: PtraceOptions {
        var options: PtraceOptions = [.traceSystemCallsGood, .traceExec, .traceClone, .traceFork, .traceVFork, .traceVForkDone]
        if seccompStops { options.insert(.traceSeccomp) }
        return options
    }
}

public final class TracedProcess {
    public let processID: Int32
    /// Started here (`launch`): it dies with dtrace (PTRACE_O_EXITKILL).
    public let isLaunched: Bool
    public let options: TraceOptions
    /// Threads are resumed with PTRACE_SYSCALL (system-call stops) rather than PTRACE_CONT.
    /// A running thread takes the change at its next resume.
    public var tracesSystemCalls = false
    /// The tracer's only children are this process's tracees (the ptrace engine, with
    /// nothing else running): a wait takes any child's news at once instead of looking
    /// first whose it is — one system call a stop instead of two.
    public var waitsForAnyChild = false
    /// Whether a system call's exit stop is read (PTRACE_GET_SYSCALL_INFO: its return
    /// value). Off, an exit stop that follows the thread's entry stop directly is reported
    /// as `.systemCallExitUnread`, one system call a stop fewer: the tracer that wants the
    /// value reads it from the registers.
    public var readsSystemCallExits = true

    final class ThreadRecord {
        var state: ThreadState
        /// The signal a signal-delivery-stop delivers on resume, with its siginfo.
        var deliverOnResume: StopSignalInfo?
        /// Signals that arrived while the tracer stepped the thread, to re-deliver.
        var queuedSignals: [StopSignalInfo] = []
        var interruptRequested = false
        var singleStepRequested = false
        /// Resumed with PTRACE_SYSCALL from a call's entry (or seccomp) stop: its next stop,
        /// if a system-call stop, is that call's exit.
        var systemCallEntered = false
        init(state: ThreadState) { self.state = state }
    }

    struct HeldChild {
        var isVFork: Bool?
        var firstStopSeen: Bool
        /// The thread that forked it (known from its fork event).
        var parentThread: Int32?
    }

    var threadRecords: [Int32: ThreadRecord] = [:]
    /// Fork and vfork children not yet let go.
    var heldChildren: [Int32: HeldChild] = [:]
    /// Threads whose vfork child runs in the memory with the breakpoints lifted; they
    /// are put back when the last of these reports vfork done.
    var vforkParentsWithBreakpointsLifted: Set<Int32> = []
    /// Children kept traced (`removeBreakpoints(inChild:keepTracing:)`) and theirs.
    var followedProcesses: Set<Int32> = []
    /// Threads that vanished with an exec, whose exits may still be reported.
    var departedThreads: Set<Int32> = []
    /// Events seen while doing something else (stopping all threads, stepping one).
    var pendingEvents: [TraceEvent] = []
    /// While `stopAllThreads` collects stops: interrupt stops are kept, not resumed.
    var collectingStops = false
    public internal(set) var exitEvent: TraceEvent.Kind?
    var isDetached = false

    public let memory: ProcessMemory
    public internal(set) var breakpoints = BreakpointTable()
    /// The page mapped for out-of-line steps, if one was.
    public internal(set) var scratchPage: ScratchPage?
    /// What has been written to the scratch page, to skip writing it again.
    var scratchImage: [UInt8] = []
    /// The scratch page's jump-back copies (`DisplacedInstructions`): slot address -> the
    /// copied instruction's length and original address. A thread stopped at a slot's
    /// start belongs at the original, one at its jump just after the original.
    var jumpBackCopies: [UInt64: (length: UInt64, original: UInt64)] = [:]
    /// A `syscall` instruction found in the tracee's code (per exec).
    var systemCallSite: UInt64?
    /// The guardian that leaves the process healthy if dtrace dies (Guardian.swift): told of
    /// every breakpoint before its int3 is written, and of each stop the tracer handles.
    public internal(set) var guardian: Guardian?

    init(processID: Int32, isLaunched: Bool, options: TraceOptions) {
        self.processID = processID
        self.isLaunched = isLaunched
        self.options = options
        memory = ProcessMemory(processID: processID)
    }

    deinit {
        if !isDetached && exitEvent == nil { try? detach() }
    }

    // MARK: Launch and attach

    /// Starts `command` (split on blanks, as dtrace -c does) traced from before its exec:
    /// forked held, seized by this thread (with PTRACE_O_EXITKILL: it dies if dtrace dies),
    /// then let exec. Returns once the program is loaded, its first thread stopped at its
    /// first instruction, nothing of it run: insert breakpoints, map a scratch page, then
    /// `resumeAll()`.
    public static func launch(command: String, options: TraceOptions = TraceOptions()) throws(PtraceError) -> TracedProcess {
        try launch(arguments: command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init), options: options)
    }

    public static func launch(arguments: [String], options: TraceOptions = TraceOptions()) throws(PtraceError) -> TracedProcess {
        let held: HeldCommand
        do { held = try HeldCommand(arguments: arguments) } catch { throw .system(error) }
        return try adopt(heldProcessID: held.processID, name: arguments[0], options: options, release: { held.release() },
                         execError: { held.execError() })
    }

    /// Seizes a child of dtrace held before its exec (`processID`, waiting at a gate that
    /// `release` opens: dtrace -c's target), with PTRACE_O_EXITKILL, then lets it exec.
    /// Returns as `launch` does: the program loaded, its first thread stopped at its first
    /// instruction. `execError` says, once the child has exited, why its exec failed.
    public static func adopt(heldProcessID: Int32, name: String, options: TraceOptions = TraceOptions(), release: () -> Void,
                             execError: () -> Int32? = { nil }) throws(PtraceError) -> TracedProcess {
        let thread = PtraceThread(heldProcessID)
        do {
            try thread.seize(options: options.ptraceOptions.union(.exitKill))
        } catch {
            _ = try? thread.send(signal: SignalNumber.kill, processID: heldProcessID)
            _ = try? TraceeWait.take(processID: heldProcessID, deadline: nil)
            throw .system(error)
        }
        release()
        let process = TracedProcess(processID: heldProcessID, isLaunched: true, options: options)
        let deadline = SystemClock.monotonicNanoseconds() + 30_000_000_000
        while true {
            let taken: (processID: Int32, status: WaitStatus)?
            do { taken = try TraceeWait.take(processID: heldProcessID, deadline: deadline) } catch { throw .system(error) }
            guard let (_, status) = taken else {
                process.kill()
                throw .timedOut("waiting for \(name) to exec")
            }
            switch status {
            case .stopped(let signal, let event) where event == PtraceEvent.exec.rawValue && signal == SignalNumber.trap:
                process.threadRecords[heldProcessID] = ThreadRecord(state: .stopped(.event(.exec)))
                process.heldChildren = [:]
                try process.settleAfterExec(thread: heldProcessID)
                return process
            case .stopped(let signal, let event):
                // Nothing else should stop it before exec; let it go on as it would have.
                let pass = event == 0 && signal != SignalNumber.trap ? signal : 0
                do { try thread.resume(signal: pass) } catch { throw .system(error) }
            case .exited(let code):
                process.exitEvent = .exited(code: code)
                if let errorNumber = execError() { throw .execFailed(command: name, errorNumber: errorNumber) }
                throw .unexpected("\(name) exited with status \(code) before it exec'd")
            case .killed(let signal, _):
                process.exitEvent = .killed(signal: signal)
                throw .unexpected("\(name) was killed by signal \(signal) before it exec'd")
            }
        }
    }

    /// Seizes every thread of process `pid` (PTRACE_SEIZE each thread in /proc/PID/task,
    /// again until a pass finds no new one: threads created meanwhile by seized threads are
    /// traced already, others are seized on the next pass), then stops them all. Returns
    /// with every thread stopped: insert breakpoints, map a scratch page, then `resumeAll()`.
    public static func attach(pid: Int32, options: TraceOptions = TraceOptions(), deadline: Int64? = nil) throws(PtraceError) -> TracedProcess {
        let process = TracedProcess(processID: pid, isLaunched: false, options: options)
        let me = ProcessIdentity.processID
        var passes = 0
        while true {
            passes += 1
            let listed = ProcessThreads.threadIDs(of: pid)
            if listed.isEmpty && process.threadRecords.isEmpty { throw .system(SystemError("pid \(pid)", code: ErrorNumber.noSuchProcess)) }
            let new = listed.filter { process.threadRecords[$0] == nil }
            if new.isEmpty { break }
            for tid in new {
                do {
                    try PtraceThread(tid).seize(options: options.ptraceOptions)
                    process.threadRecords[tid] = ThreadRecord(state: .running)
                } catch {
                    if error.code == ErrorNumber.noSuchProcess { continue }  // it ended
                    if let status = ProcessThreads.status(of: tid, inProcess: pid), status.tracerProcessID == me {
                        process.threadRecords[tid] = ThreadRecord(state: .starting)  // traced since its clone
                        continue
                    }
                    if process.threadRecords.isEmpty { throw .system(error) }
                }
            }
            if passes > 1000 { throw .unexpected("process \(pid) makes threads faster than they can be seized") }
        }
        try process.stopAllThreads(deadline: deadline ?? SystemClock.monotonicNanoseconds() + 10_000_000_000)
        return process
    }

    // MARK: Threads

    /// The traced threads, ascending.
    public var threads: [Int32] { threadRecords.keys.sorted() }

    /// What thread `thread` is doing (nil when it is not traced).
    public func state(of thread: Int32) -> ThreadState? { threadRecords[thread]?.state }

    /// Fork and vfork children waiting for `removeBreakpoints(inChild:)`.
    public var childrenAwaitingRelease: [Int32] { heldChildren.keys.sorted() }

    /// Whether the process has ended (its exit was reported).
    public var hasEnded: Bool { exitEvent != nil }

    func record(_ thread: Int32) throws(PtraceError) -> ThreadRecord {
        guard let record = threadRecords[thread] else { throw .noSuchThread(thread) }
        return record
    }

    func stoppedRecord(_ thread: Int32) throws(PtraceError) -> (ThreadRecord, ThreadStop) {
        let record = try record(thread)
        guard case .stopped(let stop) = record.state else { throw .notStopped(thread: thread) }
        return (record, stop)
    }

    /// Lets a stopped thread go on as its stop asks: a signal-delivery-stop delivers its
    /// signal (with its siginfo), a group-stop listens, the tracer's own traps deliver the
    /// signals that arrived during a step; a breakpoint not yet stepped over is refused. A
    /// thread that is not stopped is left alone.
    ///
    /// `toSystemCallStop`: this once, resumed with PTRACE_SYSCALL (after a seccomp stop:
    /// the call's exit stops it).
    public func resume(thread: Int32, toSystemCallStop: Bool = false) throws(PtraceError) {
        guard let record = threadRecords[thread], case .stopped(let stop) = record.state else { return }
        let ptraceThread = PtraceThread(thread)
        do {
            switch stop {
            case .breakpoint(let address):
                throw PtraceError.breakpointNotStepped(thread: thread, address: address)
            case .groupStop:
                try ptraceThread.listen()
                record.state = .listening
                guardian?.resumed(thread: thread, in: self)
                return
            default:
                var signals = record.queuedSignals
                record.queuedSignals = []
                if let own = record.deliverOnResume { signals.insert(own, at: 0) }
                record.deliverOnResume = nil
                // Only a signal-delivery-stop can deliver: the tracer's traps and signal
                // stops are; other stops have the signals sent again.
                let canDeliver: Bool
                switch stop {
                case .trapped, .signal: canDeliver = true
                default: canDeliver = false
                }
                var delivered: Int32 = 0
                if canDeliver, let index = signals.firstIndex(where: \.canBeInjected) {
                    try ptraceThread.setSignalInfo(signals[index].raw)
                    delivered = signals[index].signal
                    signals.remove(at: index)
                }
                let toSystemCall = tracesSystemCalls || toSystemCallStop
                if toSystemCall { try ptraceThread.resumeToSystemCall(signal: delivered) } else { try ptraceThread.resume(signal: delivered) }
                if !(toSystemCall && stop == .systemCall) { record.systemCallEntered = false }
                record.state = .running
                guardian?.resumed(thread: thread, in: self)
                for later in signals { try? ptraceThread.send(signal: later.signal, processID: processID) }
            }
        } catch let error as PtraceError {
            throw error
        } catch let error as SystemError {
            if error.code == ErrorNumber.noSuchProcess { record.state = .running; return }  // killed meanwhile: its exit follows
            throw .system(error)
        } catch {
            throw .unexpected("\(error)")
        }
    }

    /// Resumes every stopped thread whose stop has been reported (threads with events not
    /// yet returned by `waitForEvent` and threads at unstepped breakpoints stay stopped).
    public func resumeAll() throws(PtraceError) {
        let waiting = Set(pendingEvents.map(\.thread))
        for thread in threads where !waiting.contains(thread) {
            if case .stopped(.breakpoint) = threadRecords[thread]?.state { continue }
            try resume(thread: thread)
        }
    }

    /// Asks for one instruction of a stopped thread (PTRACE_SINGLESTEP); `waitForEvent`
    /// reports `.singleStep` when it is done.
    public func singleStep(thread: Int32) throws(PtraceError) {
        let (record, stop) = try stoppedRecord(thread)
        if case .breakpoint(let address) = stop { throw .breakpointNotStepped(thread: thread, address: address) }
        var signal: Int32 = 0
        if let own = record.deliverOnResume {
            do { try PtraceThread(thread).setSignalInfo(own.raw) } catch { throw .system(error) }
            signal = own.signal
            record.deliverOnResume = nil
        }
        guardian?.publish(.stepping, thread: thread, in: self)
        do { try PtraceThread(thread).singleStep(signal: signal) } catch { throw .system(error) }
        record.singleStepRequested = true
        record.state = .running
    }

    /// Stops every running thread (PTRACE_INTERRUPT) and waits until each is stopped.
    /// Events that threads report instead (a breakpoint, a signal...) are kept for
    /// `waitForEvent`; their threads count as stopped.
    public func stopAllThreads(deadline: Int64? = nil) throws(PtraceError) {
        // A first thread that exited waits as a zombie for the others: it never stops.
        var exited: Set<Int32> = []
        for (thread, record) in threadRecords {
            switch record.state {
            case .running where ProcessThreads.status(of: thread, inProcess: processID)?.hasExited == true:
                exited.insert(thread)
            case .running, .listening:
                do {
                    try PtraceThread(thread).interrupt()
                    record.interruptRequested = true
                } catch {
                    if error.code != ErrorNumber.noSuchProcess { throw .system(error) }
                }
            case .starting, .stopped: break
            }
        }
        collectingStops = true
        defer { collectingStops = false }
        while exitEvent == nil, threadRecords.contains(where: { !$0.value.isStopped && !exited.contains($0.key) }) {
            guard let (pid, status) = try nextStatus(deadline: deadline) else { throw .timedOut("stopping the threads of \(processID)") }
            if let event = try handle(pid, status) { pendingEvents.append(event) }
        }
    }

    // MARK: Registers and memory

    public func registers(of thread: Int32) throws(PtraceError) -> TraceeRegisters {
        _ = try stoppedRecord(thread)
        do { return try PtraceThread(thread).registers() } catch { throw .system(error) }
    }

    /// Sets a stopped thread's registers (a displaced instruction emulated, say): the
    /// guardian is told first, so a thread stopped with exactly these registers when dtrace
    /// dies is let go as they are.
    public func setRegisters(_ registers: TraceeRegisters, of thread: Int32) throws(PtraceError) {
        _ = try stoppedRecord(thread)
        guardian?.publish(.chosen(registers: registers.words), thread: thread, in: self)
        do { try PtraceThread(thread).setRegisters(registers) } catch { throw .system(error) }
    }

    /// `count` bytes at `address` as the program wrote them: breakpoints show their
    /// original bytes (what copyin should see).
    public func readMemory(at address: UInt64, count: Int) throws(PtraceError) -> [UInt8] {
        do { return breakpoints.masked(try memory.read(address: address, count: count), at: address) } catch { throw .system(error) }
    }

    /// `count` bytes at `address` as they are, int3 bytes included.
    public func readRawMemory(at address: UInt64, count: Int) throws(PtraceError) -> [UInt8] {
        do { return try memory.read(address: address, count: count) } catch { throw .system(error) }
    }

    /// Writes tracee memory (read-only pages through /proc/PID/mem).
    public func writeMemory(_ bytes: [UInt8], at address: UInt64) throws(PtraceError) {
        do { try memory.write(bytes, at: address) } catch { throw .system(error) }
    }

    // MARK: Breakpoints

    /// An int3 at `address` (threads may run meanwhile: the byte is written at once).
    /// With a guardian, it learns of the breakpoint and its original byte before the int3
    /// is written.
    public func insertBreakpoint(at address: UInt64) throws(PtraceError) {
        do {
            if let guardian, !breakpoints.contains(address) {
                let original = try memory.readCode(at: address, count: 1)[0]
                guardian.willInsertBreakpoint(at: address, originalByte: original, in: self)
            }
            try breakpoints.insert(at: address, in: memory)
        } catch { throw .system(error) }
    }

    /// The breakpoint at `address` removed (its original byte back once its last user goes).
    /// A thread that already trapped on it is put back at `address` when its trap is seen.
    public func removeBreakpoint(at address: UInt64) throws(PtraceError) {
        do {
            if try breakpoints.remove(at: address, in: memory) { guardian?.didRemoveBreakpoint(at: address, in: self) }
        } catch { throw .system(error) }
    }

    /// The code in `range` is gone (a library unmapped): its breakpoints are forgotten —
    /// nothing is written there, now or at detach, by dtrace or its guardian.
    public func forgetBreakpoints(in range: Range<UInt64>) {
        for address in breakpoints.forget(in: range) { guardian?.didRemoveBreakpoint(at: address, in: self) }
    }

    /// Cleans a new child of the breakpoints before it runs, then lets it go (detaches it).
    /// A fork child gets the original bytes in its own copy of the memory; a vfork child
    /// shares the parent's, so the breakpoints are lifted there until the parent's
    /// `vforkDone` (threads of the parent miss them meanwhile).
    ///
    /// With `keepTracing` the child is not detached but followed: it runs on, and its
    /// stops (and those of its threads and children) are resumed as they ask without being
    /// reported — what a child carrying the tracer's seccomp filter needs, which would get
    /// ENOSYS from the filtered calls untraced.
    public func removeBreakpoints(inChild child: Int32, keepTracing: Bool = false, deadline: Int64? = nil) throws(PtraceError) {
        guard var held = heldChildren[child] else { throw .noSuchThread(child) }
        let limit = deadline ?? SystemClock.monotonicNanoseconds() + 10_000_000_000
        // Its first stop: nothing of it has run yet.
        while !held.firstStopSeen {
            let taken: (processID: Int32, status: WaitStatus)?
            do { taken = try TraceeWait.take(processID: child, deadline: limit) } catch { throw .system(error) }
            guard let (_, status) = taken else { throw .timedOut("waiting for child \(child) to stop") }
            if case .stopped = status {
                held.firstStopSeen = true
            } else {
                heldChildren[child] = nil  // it ended already
                return
            }
        }
        // Its fork event tells fork from vfork; the event may not be here yet.
        if held.isVFork == nil {
            guard let shares = ProcessThreads.shareAddressSpace(child, processID) else {
                throw .unexpected("cannot tell whether child \(child) shares the memory of \(processID) before its fork is reported")
            }
            held.isVFork = shares
        }
        heldChildren[child] = nil
        do {
            if held.isVFork == true {
                try breakpoints.lift(in: memory)
                vforkParentsWithBreakpointsLifted.insert(held.parentThread ?? processID)
            } else {
                let childMemory = ProcessMemory(processID: child)
                try breakpoints.writeOriginals(in: childMemory)
            }
            if keepTracing {
                followedProcesses.insert(child)
                try PtraceThread(child).resume()
            } else {
                try PtraceThread(child).detach()
            }
        } catch {
            if error.code != ErrorNumber.noSuchProcess { throw .system(error) }
        }
    }

    // MARK: Ending

    /// Leaves the process as it was before it was traced, running: every thread stopped,
    /// every breakpoint byte restored, the scratch page unmapped, traps already in flight
    /// undone (the thread put back at the breakpoint's address), held children let go,
    /// signals that arrived during steps delivered, every thread detached.
    public func detach() throws(PtraceError) {
        guard !isDetached else { return }
        defer { guardian?.release(self) }
        if exitEvent != nil { isDetached = true; return }
        var firstError: PtraceError?
        func note(_ error: PtraceError) { if firstError == nil { firstError = error } }
        let deadline = SystemClock.monotonicNanoseconds() + 10_000_000_000
        do { try stopAllThreads(deadline: deadline) } catch { note(error) }
        if exitEvent != nil { isDetached = true; return }
        // A thread caught at a system-call stop cannot make the calls below (the trap
        // handler's rt_sigaction, the scratch page's munmap): it finishes its call untraced
        // and stops again.
        tracesSystemCalls = false
        do { try leaveSystemCallStops(deadline: deadline) } catch { note(error) }
        if exitEvent != nil { isDetached = true; return }
        // The guardian's trap handler out first, while every thread is stopped.
        if let guardian {
            do { try guardian.removeTrapHandler(from: self) } catch { note(error) }
        }
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch let error as SystemError {
                if error.code != ErrorNumber.noSuchProcess { note(.system(error)) }
            } catch let error as PtraceError {
                note(error)
            } catch {
                note(.unexpected("\(error)"))
            }
        }
        // Children first: a fork child's copy is cleaned from the table.
        for child in childrenAwaitingRelease { attempt { try removeBreakpoints(inChild: child) } }
        attempt { try breakpoints.restoreAll(in: memory) }
        // Every thread where it would be without the breakpoints: back at the address of a
        // breakpoint it stopped at or was about to report.
        for thread in threads {
            guard let record = threadRecords[thread], case .stopped(let stop) = record.state else { continue }
            attempt {
                if case .breakpoint(let address) = stop {
                    try PtraceThread(thread).setProgramCounter(address)
                    record.state = .stopped(.trapped)
                }
                try undoTrapInFlight(thread: thread, record: record)
            }
        }
        // Threads stopped in a jump-back copy go back to the code it stands for first.
        for thread in threads where !jumpBackCopies.isEmpty {
            guard case .stopped = threadRecords[thread]?.state else { continue }
            attempt { try leaveJumpBackCopy(thread: thread) }
        }
        if scratchPage != nil { attempt { try unmapScratchPage() } }
        for thread in threads {
            guard let record = threadRecords[thread], case .stopped(let now) = record.state else { continue }
            let ptraceThread = PtraceThread(thread)
            attempt {
                var signals = record.queuedSignals
                if let own = record.deliverOnResume { signals.insert(own, at: 0) }
                var delivered: Int32 = 0
                switch now {
                case .trapped, .signal:
                    if let index = signals.firstIndex(where: \.canBeInjected) {
                        try ptraceThread.setSignalInfo(signals[index].raw)
                        delivered = signals[index].signal
                        signals.remove(at: index)
                    }
                default: break
                }
                try ptraceThread.detach(signal: delivered)
                for later in signals { try? ptraceThread.send(signal: later.signal, processID: processID) }
            }
        }
        threadRecords = [:]
        pendingEvents = []
        memory.close()
        isDetached = true
        if let firstError { throw firstError }
    }

    /// A stopped thread whose rip is in a jump-back copy (at its start or at its jump)
    /// is moved to the original instruction or the one after it.
    private func leaveJumpBackCopy(thread: Int32) throws {
        let ptraceThread = PtraceThread(thread)
        let rip = try ptraceThread.programCounter()
        for (slot, copy) in jumpBackCopies where rip >= slot && rip <= slot &+ copy.length {
            try ptraceThread.setProgramCounter(copy.original &+ (rip - slot))
            return
        }
    }

    /// Threads stopped at a system call's entry or exit are let go on (without system-call
    /// stops) and stopped again where they can be made to call (PTRACE_INTERRUPT).
    private func leaveSystemCallStops(deadline: Int64) throws(PtraceError) {
        let caught = threads.filter { threadRecords[$0]?.state == .stopped(.systemCall) }
        guard !caught.isEmpty else { return }
        pendingEvents.removeAll { caught.contains($0.thread) }
        for thread in caught { try resume(thread: thread) }
        try stopAllThreads(deadline: deadline)
    }

    /// A thread stopped before the SIGTRAP of an int3 it executed was reported (the trap
    /// is pending): let it take the trap now, and put it back at the breakpoint's address,
    /// whose original byte is back, so the SIGTRAP is never delivered.
    private func undoTrapInFlight(thread: Int32, record: ThreadRecord) throws {
        guard let status = ProcessThreads.status(of: thread, inProcess: processID), status.isPending(SignalNumber.trap) else { return }
        let ptraceThread = PtraceThread(thread)
        // At a signal-delivery-stop the trap cannot be pending: synchronous signals come first.
        if case .stopped(.signal) = record.state { return }
        do {
            try ptraceThread.resume(signal: 0)
            record.state = .running
            guard let (_, waited) = try TraceeWait.take(processID: thread, deadline: SystemClock.monotonicNanoseconds() + 5_000_000_000) else { return }
            guard case .stopped(let signal, let event) = waited else { return }
            if signal != SignalNumber.trap || event != 0 {
                record.state = .stopped(event == 0 ? .signal(signal) : .interrupted)
                if event == 0 { record.deliverOnResume = try? ptraceThread.signalInfo() }
                return
            }
        }
        let info = try ptraceThread.signalInfo()
        let pc = try ptraceThread.programCounter()
        if info.code == StopSignalInfo.codeKernel && breakpoints.removedAddresses.contains(pc &- 1) {
            try ptraceThread.setProgramCounter(pc &- 1)
            record.state = .stopped(.trapped)
            record.deliverOnResume = nil
        } else {
            record.state = .stopped(.signal(SignalNumber.trap))
            record.deliverOnResume = info
        }
    }

    /// Kills the process (SIGKILL) and reaps what it reports; its memory needs nothing back.
    /// Does nothing once the process has ended or been detached.
    public func kill() {
        guard exitEvent == nil, !isDetached else { return }
        _ = try? PtraceThread(processID).send(signal: SignalNumber.kill, processID: processID)
        for child in childrenAwaitingRelease { _ = try? PtraceThread(child).send(signal: SignalNumber.kill, processID: child) }
        let deadline = SystemClock.monotonicNanoseconds() + 10_000_000_000
        while exitEvent == nil {
            guard let taken = try? nextStatus(deadline: deadline) else { break }
            let (pid, status) = taken
            _ = try? handle(pid, status)
        }
        breakpoints.forgetAll()
        isDetached = true
        guardian?.release(self)
    }
}

extension StopSignalInfo {
    /// Its whole siginfo is known, so a resume can deliver it as it was (a stop signal
    /// noted during a step has none: it is sent again instead).
    var canBeInjected: Bool { raw.count == 128 }
}

extension TracedProcess.ThreadRecord {
    var isStopped: Bool {
        if case .stopped = state { return true }
        return false
    }
}
