// DTracePtraceTests/TracedProcessTests: tracee control on real processes — exact hit
// counts at plain_sum in the workload launched through a shell's exec, and in 8 threads
// (and no call lost when the breakpoint goes while they run);
// fork and vfork children that run clean of breakpoints; signals delivered unchanged,
// including those that arrive during out-of-line steps; system-call and seccomp stops; group-stops
// with PTRACE_LISTEN; attach to a running multi-threaded process and detach from it,
// with the code bytes in /proc/PID/mem the file's again and the process going on; and
// the same tracing as an unprivileged user (setpriv, when run as root). Every process a
// test starts is killed (SIGKILL) if the test leaves it running.

@testable import DTracePtrace
import DTraceELF
import DTraceSystem
import Foundation
import Testing

@Suite(.serialized) struct TracedProcessTests {
    @Test func launchedWorkloadCountsEveryPlainSumCall() throws {
        let output = PtracePrograms.outputPath("workload")
        // Through a shell that execs the workload: the second exec is reported, the
        // breakpoint goes into the workload's image.
        let process = try TracedProcess.launch(arguments: ["/bin/sh", "-c", "exec \(PtracePrograms.workload) calls 2000 > \(output)"])
        defer { process.kill() }
        try process.resumeAll()
        var execEvent: TraceEvent?
        while execEvent == nil {
            let event = try process.waitForEvent(deadline: SystemClock.monotonicNanoseconds() + 10_000_000_000)
            if case .exec = event.kind { execEvent = event; break }
            #expect(event.kind != .timedOut)
            if case .timedOut = event.kind { return }
            try process.resume(thread: event.thread)
        }
        #expect(execEvent?.thread == process.processID)
        let plainSum = try functionInExecutable("plain_sum", of: process)
        let breakpoint = try SteppedBreakpoint(at: plainSum.address, in: process)
        let page = try #require(process.scratchPage)
        // Near the code, so RIP-relative instructions copied there reach their targets.
        #expect(page.address > plainSum.address ? page.address - plainSum.address < ScratchPlacement.reach : plainSum.address - page.address < ScratchPlacement.reach)
        // Readers see the original byte through the breakpoint.
        #expect(try process.readRawMemory(at: plainSum.address, count: 1) == [0xCC])
        #expect(try process.readMemory(at: plainSum.address, count: 1) == [0x55])   // push %rbp
        try process.resume(thread: process.processID)
        let run = try runUntilEnd(process, breakpoint: breakpoint)
        #expect(run.hits == 2000)
        #expect(run.end == .exited(code: 0))
        #expect(run.signals.isEmpty)
        #expect(PtracePrograms.report(output) == "")
        #expect(throws: PtraceError.processEnded) { try process.waitForEvent(deadline: TraceeWait.now) }
    }

    @Test func eightThreadsCountExactly() throws {
        let output = PtracePrograms.outputPath("threads")
        let process = try TracedProcess.launch(arguments: [PtracePrograms.subject, "threads", output])
        defer { process.kill() }
        let work = try functionInExecutable("work", of: process)
        let breakpoint = try SteppedBreakpoint(at: work.address, in: process)
        try process.resumeAll()
        let run = try runUntilEnd(process, breakpoint: breakpoint)
        #expect(run.hits == 80_000)
        #expect(run.hitsByThread.count == 8)
        #expect(run.hitsByThread.values.allSatisfy { $0 == 10_000 })
        #expect(run.events.filter { if case .threadCreated = $0 { return true } else { return false } }.count == 8)
        #expect(run.events.filter { if case .threadExited = $0 { return true } else { return false } }.count == 8)
        #expect(run.end == .exited(code: 0))
        #expect(PtracePrograms.report(output) == "threads 8 of 8 right")
    }

    @Test func removingTheBreakpointWhileThreadsRunLosesNoCall() throws {
        let output = PtracePrograms.outputPath("threads-removed")
        let process = try TracedProcess.launch(arguments: [PtracePrograms.subject, "threads", output])
        defer { process.kill() }
        let work = try functionInExecutable("work", of: process)
        let breakpoint = try SteppedBreakpoint(at: work.address, in: process)
        try process.resumeAll()
        let before = try runUntilEnd(process, breakpoint: breakpoint) { $0.hits >= 2000 }
        // The event just handled was resumed; other threads may have trapped already.
        try process.removeBreakpoint(at: work.address)
        #expect(try process.readRawMemory(at: work.address, count: 1) == process.readMemory(at: work.address, count: 1))
        let after = try runUntilEnd(process, breakpoint: breakpoint)
        #expect(before.hits + after.hits < 80_000)
        #expect(after.end == .exited(code: 0))
        #expect(after.signals.isEmpty)
        #expect(PtracePrograms.report(output) == "threads 8 of 8 right")
    }

    @Test(arguments: ["fork", "vfork"]) func childrenRunWithoutBreakpoints(mode: String) throws {
        let output = PtracePrograms.outputPath(mode)
        let process = try TracedProcess.launch(arguments: [PtracePrograms.subject, mode, output])
        defer { process.kill() }
        let work = try functionInExecutable("work", of: process)
        let breakpoint = try SteppedBreakpoint(at: work.address, in: process)
        try process.resumeAll()
        let run = try runUntilEnd(process, breakpoint: breakpoint)
        // The parent's calls only: 100 before the fork, 50 after.
        #expect(run.hits == 150)
        let forks = run.events.compactMap { if case .forked(_, let isVFork) = $0 { return isVFork } else { return nil } }
        #expect(forks == [mode == "vfork"])
        if mode == "vfork" { #expect(run.events.contains(.vforkDone)) }
        #expect(run.end == .exited(code: 0))
        // The child's 20 calls ran clean: no SIGTRAP, its own exit status.
        #expect(PtracePrograms.report(output) == "child exited 7 signaled 0 parent right")
        #expect(process.breakpoints.count == 0)   // forgotten with the process
    }

    @Test func signalsAreDeliveredUnchangedEvenDuringSteps() throws {
        let output = PtracePrograms.outputPath("signals")
        let process = try TracedProcess.launch(arguments: [PtracePrograms.subject, "signals", output])
        defer { process.kill() }
        let work = try functionInExecutable("work", of: process)
        let breakpoint = try SteppedBreakpoint(at: work.address, in: process)
        try process.resumeAll()
        let run = try runUntilEnd(process, breakpoint: breakpoint)
        #expect(run.end == .exited(code: 0))
        // Every SIGUSR1 reached the handler, whether it came at a stop or during a step.
        let report = PtracePrograms.report(output)
        #expect(report.hasPrefix("handled 200 of 200, calls \(run.hits), wrong 0"), "\(report); \(run.hits) hits")
        // Those reported at a stop were passed on; the others came during steps.
        #expect(run.signals.filter { $0 == SignalNumber.user1 }.count <= 200)
    }

    /// Runs `workload getpid 100` with system-call stops (`readsSystemCallExits` as asked),
    /// handing each event but the last to `body`; returns how the process ended.
    static func runWithSystemCallStops(readingExits: Bool, _ body: (TracedProcess, TraceEvent) throws -> Void) throws -> TraceEvent.Kind {
        let process = try TracedProcess.launch(arguments: [PtracePrograms.workload, "getpid", "100"])
        defer { process.kill() }
        process.tracesSystemCalls = true
        process.readsSystemCallExits = readingExits
        try process.resumeAll()
        while true {
            let event = try process.waitForEvent(deadline: SystemClock.monotonicNanoseconds() + 30_000_000_000)
            switch event.kind {
            case .exited, .timedOut, .killed: return event.kind
            default: try body(process, event)
            }
            try process.resume(thread: event.thread)
        }
    }

    @Test func systemCallStops() throws {
        var entries = 0, exits = 0, inGetpid = false
        let end = try Self.runWithSystemCallStops(readingExits: true) { process, event in
            switch event.kind {
            case .systemCallEntry(let number, _):
                inGetpid = number == 39
                if inGetpid { entries += 1 }
            case .systemCallExit(let value, let isError):
                if inGetpid {
                    exits += 1
                    #expect(value == Int64(process.processID) && !isError)
                }
                inGetpid = false
            default: break
            }
        }
        #expect(end == .exited(code: 0))
        #expect(entries == 100 && exits == 100)
    }

    /// With `readsSystemCallExits` off, an exit stop straight after its entry is reported
    /// unread, and its registers hold the call's return value.
    @Test func unreadSystemCallExits() throws {
        var entries = 0, exits = 0, read = 0, inGetpid = false, inCall = false
        let end = try Self.runWithSystemCallStops(readingExits: false) { process, event in
            switch event.kind {
            case .systemCallEntry(let number, let arguments):
                #expect(!inCall, "an entry stop taken for an exit")
                #expect(arguments.count == 6)
                inCall = true
                inGetpid = number == 39
                if inGetpid { entries += 1 }
            case .systemCallExitUnread:
                #expect(inCall, "an exit without its entry")
                if inGetpid {
                    exits += 1
                    let value = try process.registers(of: event.thread).rax
                    #expect(value == UInt64(process.processID))
                }
                inCall = false
                inGetpid = false
            case .systemCallExit:
                // Read only when the tracer could not tell it from an entry (after an exec).
                read += 1
                inCall = false
                inGetpid = false
            default: break
            }
        }
        #expect(end == .exited(code: 0))
        #expect(entries == 100 && exits == 100)
        #expect(read <= 1, "\(read) exit stops read")
    }

    @Test func seccompStops() throws {
        let output = PtracePrograms.outputPath("seccomp")
        let process = try TracedProcess.launch(arguments: [PtracePrograms.subject, "seccomp", output], options: TraceOptions(seccompStops: true))
        defer { process.kill() }
        try process.resumeAll()
        let run = try runUntilEnd(process, breakpoint: nil)
        let stops = run.events.filter { if case .seccomp(110, _, 0x42) = $0 { return true } else { return false } }
        #expect(stops.count == 3, "\(run.events)")
        #expect(run.end == .exited(code: 0))
        #expect(PtracePrograms.report(output) == "seccomp getppid ok")
    }

    @Test func groupStopListensUntilContinued() throws {
        let process = try TracedProcess.launch(arguments: [PtracePrograms.workload, "sleep", "300"])
        defer { process.kill() }
        try process.resumeAll()
        _ = kill(process.processID, SIGSTOP)
        var sawStop = false, sawGroupStop = false
        while true {
            let event = try process.waitForEvent(deadline: SystemClock.monotonicNanoseconds() + 10_000_000_000)
            switch event.kind {
            case .signal(let info) where info.signal == SIGSTOP:
                sawStop = true
            case .groupStop(let signal):
                #expect(signal == SIGSTOP)
                sawGroupStop = true
                try process.resume(thread: event.thread)
                #expect(process.state(of: event.thread) == .listening)
                // Stopped for real: /proc says so.
                #expect(SystemFiles.readSmallTextFile("/proc/\(process.processID)/stat")?.contains(") t ") == true)
                _ = kill(process.processID, SIGCONT)
                continue
            case .exited(let code):
                #expect(code == 0)
                #expect(sawStop && sawGroupStop)
                return
            case .timedOut, .killed:
                Issue.record("\(event.kind)")
                return
            default: break
            }
            try process.resume(thread: event.thread)
        }
    }

    @Test func attachThenDetachLeavesTheProcessAsItWas() throws {
        let output = PtracePrograms.outputPath("loop")
        let subject = Process()
        subject.executableURL = URL(fileURLWithPath: PtracePrograms.subject)
        subject.arguments = ["loop", output]
        try subject.run()
        defer { if subject.isRunning { kill(subject.processIdentifier, SIGKILL) }; subject.waitUntilExit() }
        let pid = subject.processIdentifier
        usleep(100_000)
        let process = try TracedProcess.attach(pid: pid)
        #expect(process.threads.count == 5)
        #expect(process.threads.allSatisfy { process.state(of: $0) == .stopped(.interrupted) })
        let work = try functionInExecutable("work", of: process)
        let fileBytes = try #require(ELFObject.load(path: work.path).get().bytes(atFileOffset: work.fileOffset, count: 16))
        let breakpoint = try SteppedBreakpoint(at: work.address, in: process)
        try process.resumeAll()
        let run = try runUntilEnd(process, breakpoint: breakpoint) { $0.hits >= 400 }
        #expect(run.hits >= 400)
        #expect(run.hitsByThread.count >= 2)
        try process.detach()
        #expect(process.breakpoints.isEmpty)
        // The code is the file's again, and the scratch page is gone.
        let memory = ProcessMemory(processID: pid)
        #expect(try memory.readThroughFile(address: work.address, count: 16) == fileBytes)
        let maps = SystemFiles.readSmallTextFile("/proc/\(pid)/maps") ?? ""
        #expect(!maps.contains(String(breakpoint.scratchAddress, radix: 16)))
        // It runs on untraced and ends as it should.
        #expect(ProcessThreads.status(of: pid)?.tracerProcessID == 0)
        usleep(50_000)
        kill(pid, SIGUSR1)
        let patience = SystemClock.monotonicNanoseconds() + 10_000_000_000
        while subject.isRunning && SystemClock.monotonicNanoseconds() < patience { usleep(10_000) }
        #expect(!subject.isRunning, "it did not end on SIGUSR1")
        if subject.isRunning { kill(pid, SIGKILL) }
        subject.waitUntilExit()
        #expect(subject.terminationReason == .exit && subject.terminationStatus == 0)
        #expect(PtracePrograms.report(output) == "loop stopped, wrong 0")
    }

    @Test func detachFromLaunchedProcessMidRun() throws {
        let output = PtracePrograms.outputPath("threads-detached")
        let process = try TracedProcess.launch(arguments: [PtracePrograms.subject, "threads", output])
        defer { process.kill() }
        let pid = process.processID
        let work = try functionInExecutable("work", of: process)
        let breakpoint = try SteppedBreakpoint(at: work.address, in: process)
        try process.resumeAll()
        _ = try runUntilEnd(process, breakpoint: breakpoint) { $0.hits >= 1000 }
        try process.detach()
        // Our child still: wait for it ourselves; it must finish right, not die of SIGTRAP.
        let ended = try TraceeWait.take(processID: pid, deadline: SystemClock.monotonicNanoseconds() + 30_000_000_000)
        #expect(ended?.status == .exited(code: 0))
        #expect(PtracePrograms.report(output) == "threads 8 of 8 right")
    }

    @Test func detachWhileTheFirstThreadIsAZombie() throws {
        let output = PtracePrograms.outputPath("leader-exits")
        let process = try TracedProcess.launch(arguments: [PtracePrograms.subject, "leader-exits", output])
        defer { process.kill() }
        let pid = process.processID
        let work = try functionInExecutable("work", of: process)
        let breakpoint = try SteppedBreakpoint(at: work.address, in: process)
        try process.resumeAll()
        let run = try runUntilEnd(process, breakpoint: breakpoint) { $0.hits >= 500 }
        #expect(run.hits == 500)
        #expect(ProcessThreads.status(of: pid)?.hasExited == true)
        try process.detach()
        let ended = try TraceeWait.take(processID: pid, deadline: SystemClock.monotonicNanoseconds() + 30_000_000_000)
        #expect(ended?.status == .exited(code: 0))
        #expect(PtracePrograms.report(output) == "late right")
    }

    @Test func execFailureIsReported() {
        #expect(throws: PtraceError.execFailed(command: "/nonexistent/program", errorNumber: ErrorNumber.noSuchEntry)) {
            _ = try TracedProcess.launch(arguments: ["/nonexistent/program"])
        }
    }

    @Test func unprivilegedUserTracesItsOwnProcess() throws {
        let runner = Process()
        if geteuid() == 0 {
            runner.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            runner.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", PtracePrograms.counter, "plain_sum", PtracePrograms.workload, "calls", "500"]
        } else {
            runner.executableURL = URL(fileURLWithPath: PtracePrograms.counter)
            runner.arguments = ["plain_sum", PtracePrograms.workload, "calls", "500"]
        }
        runner.currentDirectoryURL = PtracePrograms.directory
        let pipe = Pipe()
        runner.standardOutput = pipe
        try runner.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        runner.waitUntilExit()
        #expect(runner.terminationStatus == 0)
        #expect(text.hasPrefix("hits=500 status=exited:0 run_ns="), "\(text)")
    }
}
