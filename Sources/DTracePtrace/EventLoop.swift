// DTracePtrace/EventLoop: the traced process's stops and exits, waited for and told
// apart — breakpoint hits (SIGTRAP, SI_KERNEL or TRAP_BRKPT, at a table address + 1),
// single steps, exec, clone (the new thread traced and let run), fork and vfork (the
// child held for cleaning), vfork done (breakpoints put back), exits, signal-delivery-
// stops (their signal delivered on resume), group-stops (PTRACE_LISTEN), system-call and
// seccomp stops — with what the tracer does by itself: a new thread's first stop and
// stray interrupt stops are resumed, a trap on a breakpoint removed meanwhile is undone.
// Waits see only the calling thread's tracees, and never consume the exit of a child that
// is not a tracee of this process (it is left for whoever waits for it).

import DTraceSystem

extension TracedProcess {
    /// The next event of any thread, waiting until `deadline` (CLOCK_MONOTONIC ns; nil:
    /// without limit): `.timedOut` when it passes first. After the process's exit has been
    /// reported, throws `processEnded`.
    /// With `interruptible` and no deadline, a signal handler running (`WakeTimer`'s)
    /// ends the wait as `.timedOut` too.
    public func waitForEvent(deadline: Int64? = nil, interruptible: Bool = false) throws(PtraceError) -> TraceEvent {
        while true {
            if !pendingEvents.isEmpty { return pendingEvents.removeFirst() }
            if exitEvent != nil || isDetached { throw .processEnded }
            let next: (Int32, WaitStatus)?
            if waitsForAnyChild {
                // One wait, no look first: every child is ours.
                do {
                    next = interruptible && deadline == nil ? try TraceeWait.takeInterruptibly(processID: -1)
                        : try TraceeWait.take(processID: -1, deadline: deadline)
                } catch {
                    if error.code == ErrorNumber.noChild { throw .processEnded }
                    throw .system(error)
                }
            } else {
                next = try nextStatus(deadline: deadline)
            }
            guard let (pid, status) = next else { return TraceEvent(thread: processID, kind: .timedOut) }
            if let event = try handle(pid, status) { return event }
        }
    }

    /// Whether `pid` is one of this process's tracees (a thread, a held child, a thread
    /// gone with an exec), or a new one whose creation is not yet reported.
    private func owns(_ pid: Int32, isStop: Bool) -> Bool {
        if threadRecords[pid] != nil || heldChildren[pid] != nil || departedThreads.contains(pid) { return true }
        guard isStop, let status = ProcessThreads.status(of: pid) else { return false }
        if status.processID == processID { return true }                              // a new thread
        return status.processID == pid && status.parentProcessID == processID        // a new child
    }

    /// The next news of this process's tracees, consumed: nil at the deadline.
    func nextStatus(deadline: Int64?) throws(PtraceError) -> (Int32, WaitStatus)? {
        var polling = false
        while true {
            if !polling {
                let news: TraceeWait.News?
                do { news = try TraceeWait.peek(deadline: deadline) } catch {
                    if error.code == ErrorNumber.noChild { throw .processEnded }
                    throw .system(error)
                }
                guard let news else { return nil }
                if owns(news.processID, isStop: news.isStop) {
                    do {
                        if let taken = try TraceeWait.take(processID: news.processID, deadline: TraceeWait.now) { return taken }
                    } catch { throw .system(error) }
                    continue
                }
                // Someone else's child (or another TracedProcess's tracee) is first in line:
                // look at ours one by one until it has been taken by its owner.
                polling = true
            }
            let ours = Array(threadRecords.keys) + Array(heldChildren.keys) + Array(departedThreads)
            for pid in ours {
                do {
                    if let taken = try TraceeWait.take(processID: pid, deadline: TraceeWait.now) { return taken }
                } catch {
                    if error.code == ErrorNumber.noChild { continue }
                    throw .system(error)
                }
            }
            if let deadline, SystemClock.monotonicNanoseconds() >= deadline { return nil }
            SystemClock.sleep(nanoseconds: 100_000)
            let news: TraceeWait.News?
            do { news = try TraceeWait.peek(deadline: TraceeWait.now) } catch { throw .system(error) }
            if let news, owns(news.processID, isStop: news.isStop) { polling = false }
        }
    }

    /// What one wait status means: the event to report, or nil when the tracer dealt with it.
    func handle(_ pid: Int32, _ status: WaitStatus) throws(PtraceError) -> TraceEvent? {
        if departedThreads.contains(pid) {
            if case .stopped = status { _ = try? PtraceThread(pid).resume() } else { departedThreads.remove(pid) }
            return nil
        }
        if threadRecords[pid] == nil && heldChildren[pid] == nil && passedOnAsFollower(pid, status) { return nil }
        if threadRecords[pid] == nil {
            if heldChildren[pid] != nil || ProcessThreads.status(of: pid).map({ $0.processID == pid && pid != processID }) == true {
                noteChild(pid, status)
                return nil
            }
            // A new thread whose clone event is still to come: traced, let it run.
            guard case .stopped = status else { return nil }
            let record = ThreadRecord(state: .stopped(.interrupted))
            threadRecords[pid] = record
            if !collectingStops { try resumeQuietly(pid, record) }
            return nil
        }
        let record = threadRecords[pid]!
        switch status {
        case .exited(let code):
            return threadEnded(pid, status, kind: .exited(code: code))
        case .killed(let signal, _):
            return threadEnded(pid, status, kind: .killed(signal: signal))
        case .stopped(let signal, let event):
            return try stopped(pid, record, signal: signal, event: event)
        }
    }

    /// A stop or exit of a followed process (a child kept traced, its threads and children):
    /// nothing is reported; each stop is resumed as it asks — a signal delivered, a
    /// group-stop listened to, anything else (a seccomp or ptrace event) let go on.
    private func passedOnAsFollower(_ pid: Int32, _ status: WaitStatus) -> Bool {
        if !followedProcesses.contains(pid) {
            guard !followedProcesses.isEmpty, case .stopped = status, let facts = ProcessThreads.status(of: pid),
                  facts.processID != processID,
                  followedProcesses.contains(facts.processID) || followedProcesses.contains(facts.parentProcessID) else { return false }
        }
        switch status {
        case .exited, .killed:
            followedProcesses.remove(pid)
        case .stopped(let signal, let event):
            followedProcesses.insert(pid)
            let thread = PtraceThread(pid)
            if event == PtraceEvent.stop.rawValue {
                if SignalNumber.stopSignals.contains(signal) { _ = try? thread.listen() } else { _ = try? thread.resume() }
            } else if event != 0 || signal == SignalNumber.trap | 0x80 {
                _ = try? thread.resume()
            } else {
                _ = try? thread.resume(signal: signal)
            }
        }
        return true
    }

    private func noteChild(_ child: Int32, _ status: WaitStatus) {
        switch status {
        case .stopped:
            var held = heldChildren[child] ?? HeldChild(isVFork: nil, firstStopSeen: false, parentThread: nil)
            held.firstStopSeen = true
            heldChildren[child] = held
        case .exited, .killed:
            heldChildren[child] = nil
        }
    }

    private func threadEnded(_ thread: Int32, _ status: WaitStatus, kind: TraceEvent.Kind) -> TraceEvent {
        threadRecords[thread] = nil
        guardian?.threadEnded(thread, in: self)
        guard thread == processID else { return TraceEvent(thread: thread, kind: .threadExited(status)) }
        guardian?.release(self)
        // The first thread is reaped last: the process has ended, and its memory with it.
        exitEvent = kind
        breakpoints.forgetAll()
        scratchPage = nil
        threadRecords = [:]
        memory.close()
        return TraceEvent(thread: thread, kind: kind)
    }

    private func resumeQuietly(_ thread: Int32, _ record: ThreadRecord) throws(PtraceError) {
        record.state = .stopped(.interrupted)
        try resume(thread: thread)
    }

    private func stopped(_ thread: Int32, _ record: ThreadRecord, signal: Int32, event: Int32) throws(PtraceError) -> TraceEvent? {
        let ptraceThread = PtraceThread(thread)
        let entered = record.systemCallEntered
        record.systemCallEntered = false
        do {
            if event == PtraceEvent.stop.rawValue {
                if SignalNumber.stopSignals.contains(signal) {
                    record.interruptRequested = false
                    if case .listening = record.state, collectingStops {
                        record.state = .stopped(.groupStop(signal))   // interrupted while listening
                        return nil
                    }
                    record.state = .stopped(.groupStop(signal))
                    return TraceEvent(thread: thread, kind: .groupStop(signal: signal))
                }
                // PTRACE_INTERRUPT's stop, a new thread's first, or a listener continued.
                record.interruptRequested = false
                if collectingStops {
                    record.state = .stopped(.interrupted)
                } else {
                    try resumeQuietly(thread, record)
                }
                return nil
            }
            if let ptraceEvent = PtraceEvent(rawValue: event) {
                record.state = .stopped(.event(ptraceEvent))
                switch ptraceEvent {
                case .clone:
                    let newThread = Int32(truncatingIfNeeded: try ptraceThread.eventMessage())
                    if threadRecords[newThread] == nil { threadRecords[newThread] = ThreadRecord(state: .starting) }
                    return TraceEvent(thread: thread, kind: .threadCreated(newThread))
                case .fork, .vfork:
                    let child = Int32(truncatingIfNeeded: try ptraceThread.eventMessage())
                    var held = heldChildren[child] ?? HeldChild(isVFork: nil, firstStopSeen: false, parentThread: nil)
                    held.isVFork = ptraceEvent == .vfork
                    held.parentThread = thread
                    heldChildren[child] = held
                    return TraceEvent(thread: thread, kind: .forked(child: child, isVFork: ptraceEvent == .vfork))
                case .vforkDone:
                    if vforkParentsWithBreakpointsLifted.remove(thread) != nil && vforkParentsWithBreakpointsLifted.isEmpty {
                        try breakpoints.rearm(in: memory)
                    }
                    return TraceEvent(thread: thread, kind: .vforkDone)
                case .exec:
                    let former = Int32(truncatingIfNeeded: try ptraceThread.eventMessage())
                    return execed(thread: thread, formerThread: former)
                case .seccomp:
                    record.state = .stopped(.systemCall)
                    record.systemCallEntered = true
                    if case .seccomp(let number, let arguments, let data) = try ptraceThread.systemCallStop() {
                        return TraceEvent(thread: thread, kind: .seccomp(number: number, arguments: arguments, data: data))
                    }
                    let data = UInt32(truncatingIfNeeded: try ptraceThread.eventMessage())
                    return TraceEvent(thread: thread, kind: .seccomp(number: 0, arguments: [], data: data))
                case .exit, .stop:
                    try resumeQuietly(thread, record)
                    return nil
                }
            }
            if signal == SignalNumber.trap | 0x80 {
                record.state = .stopped(.systemCall)
                // Straight from its entry stop, a system-call stop is the call's exit.
                if entered && !readsSystemCallExits { return TraceEvent(thread: thread, kind: .systemCallExitUnread) }
                switch try ptraceThread.systemCallStop() {
                case .entry(let number, let arguments):
                    record.systemCallEntered = true
                    return TraceEvent(thread: thread, kind: .systemCallEntry(number: number, arguments: arguments))
                case .exit(let value, let isError): return TraceEvent(thread: thread, kind: .systemCallExit(returnValue: value, isError: isError))
                case .seccomp(let number, let arguments, let data): return TraceEvent(thread: thread, kind: .seccomp(number: number, arguments: arguments, data: data))
                case .none:
                    try resumeQuietly(thread, record)
                    return nil
                }
            }
            if signal == SignalNumber.trap && !record.singleStepRequested {
                // The common case first, without the siginfo: rip just past an int3 of
                // ours is that int3's trap (an int3 executed traps before anything else).
                let registers = try ptraceThread.registers()
                let address = registers.rip &- 1
                if breakpoints.isArmed(at: address) {
                    record.state = .stopped(.breakpoint(address: address))
                    return TraceEvent(thread: thread, kind: .breakpoint(address: address, registers: registers))
                }
            }
            let info = try ptraceThread.signalInfo()
            if signal == SignalNumber.trap {
                if record.singleStepRequested && (info.code == StopSignalInfo.codeTrace || info.code == StopSignalInfo.codeBreakpoint) {
                    record.singleStepRequested = false
                    record.state = .stopped(.trapped)
                    return TraceEvent(thread: thread, kind: .singleStep)
                }
                if info.code == StopSignalInfo.codeKernel || info.code == StopSignalInfo.codeBreakpoint {
                    let registers = try ptraceThread.registers()
                    let address = registers.rip &- 1
                    if breakpoints.isArmed(at: address) {
                        record.state = .stopped(.breakpoint(address: address))
                        return TraceEvent(thread: thread, kind: .breakpoint(address: address, registers: registers))
                    }
                    if breakpoints.removedAddresses.contains(address),
                       let byte = try? memory.read(address: address, count: 1).first, byte != BreakpointTable.trapInstruction {
                        // It trapped on a breakpoint taken away since: run the original instruction.
                        try ptraceThread.setProgramCounter(address)
                        try resumeQuietly(thread, record)
                        return nil
                    }
                }
            }
            record.state = .stopped(.signal(signal))
            record.deliverOnResume = info
            // Taken from the program: if dtrace dies before the resume delivers it, the
            // guardian sends it again.
            guardian?.publish(.owed(signal: signal), thread: thread, in: self)
            return TraceEvent(thread: thread, kind: .signal(info))
        } catch let error as PtraceError {
            throw error
        } catch let error as SystemError {
            if error.code == ErrorNumber.noSuchProcess {
                // Killed while we looked (SIGKILL, or another thread's exec): its end follows.
                record.state = .running
                return nil
            }
            throw .system(error)
        } catch {
            throw .unexpected("\(error)")
        }
    }

    private func execed(thread: Int32, formerThread: Int32) -> TraceEvent {
        // Only the exec'ing thread is left, under the process's id; the others are gone.
        for other in threadRecords.keys where other != thread { departedThreads.insert(other) }
        departedThreads.remove(thread)
        let record = threadRecords[thread] ?? ThreadRecord(state: .stopped(.event(.exec)))
        record.state = .stopped(.event(.exec))
        record.queuedSignals = []
        record.deliverOnResume = nil
        threadRecords = [thread: record]
        pendingEvents.removeAll { $0.thread != thread }
        vforkParentsWithBreakpointsLifted = []
        breakpoints.forgetAll()
        scratchPage = nil
        scratchImage = []
        jumpBackCopies = [:]
        systemCallSite = nil
        memory.reopen()
        guardian?.imageReplaced(in: self)
        return TraceEvent(thread: thread, kind: .exec(formerThread: formerThread))
    }
}
