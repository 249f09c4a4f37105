// DTracePtraceTests/SeccompTracingTests: dtrace -c's target released from its gate with
// the seccomp filter for the traced system calls (`TargetProcess.release(installing:)`),
// seized by `TracedProcess.adopt` with PTRACE_O_TRACESECCOMP — it stops exactly at the
// listed calls, as many times as it makes them (100 getpid, 1 write), with dtrace's data,
// every call still doing its work; the stops are the very calls PTRACE_SYSCALL sees, for
// a few numbers and for the filter of every number; without a tracer the listed calls
// fail with ENOSYS (why the filter is only for traced processes); and the same as an
// unprivileged user through setpriv (no_new_privs set for the filter, which root's child
// does without).

@testable import DTracePtrace
import DTraceELF
import DTraceSystem
import Foundation
import Testing

/// What a run of a held target showed its tracer.
struct HeldTargetRun {
    var seccompNumbers: [UInt64] = []
    var seccompData: Set<UInt32> = []
    var systemCallEntries: [UInt64] = []
    var end: TraceEvent.Kind?
    var filterState: TargetProcess.SystemCallFilterState = .notSent
    /// /proc/PID/status when the command had just exec'd.
    var statusAtExec: ProcessThreads.Status?
}

/// Starts `command` as dtrace -c does, seizes it with seccomp stops, releases it (with
/// `filter`, if any), and runs it to its end, resuming every stop — with PTRACE_SYSCALL
/// when `systemCallStops`.
func runHeldTarget(_ command: String, filter: SeccompFilter?, systemCallStops: Bool = false) throws -> HeldTargetRun {
    let target = try TargetProcess.spawn(command)
    let process: TracedProcess
    do {
        process = try TracedProcess.adopt(heldProcessID: target.processID, name: command, options: TraceOptions(seccompStops: true),
                                          release: { if let filter { target.release(installing: filter) } else { target.release() } })
    } catch {
        target.abandon()
        throw error
    }
    defer { process.kill() }
    target.noteTraced()
    var run = HeldTargetRun()
    run.filterState = target.systemCallFilterState()
    run.statusAtExec = ProcessThreads.status(of: process.processID)
    process.tracesSystemCalls = systemCallStops
    try process.resumeAll()
    let deadline = SystemClock.monotonicNanoseconds() + 60_000_000_000
    while true {
        let event = try process.waitForEvent(deadline: deadline)
        switch event.kind {
        case .seccomp(let number, _, let data):
            run.seccompNumbers.append(number)
            run.seccompData.insert(data)
        case .systemCallEntry(let number, _):
            run.systemCallEntries.append(number)
        case .exited, .killed:
            run.end = event.kind
            return run
        case .timedOut:
            Issue.record("timed out")
            return run
        default:
            break
        }
        try process.resume(thread: event.thread)
    }
}

@Suite(.serialized) struct SeccompTracingTests {
    static let getpid: UInt64 = 39
    static let write: UInt64 = 1

    @Test func filteredTargetStopsOnlyAtTheListedCalls() throws {
        let output = PtracePrograms.outputPath("seccomp-filter")
        let filter = try SeccompFilter(tracing: [Int(Self.getpid), Int(Self.write)])
        let run = try runHeldTarget("\(PtracePrograms.subject) system-calls \(output)", filter: filter)
        #expect(run.end == .exited(code: 0))
        #expect(run.filterState == .installed)
        // 100 getpid() and the one write of the report at fclose; no other stop of any kind.
        #expect(run.seccompNumbers.filter { $0 == Self.getpid }.count == 100)
        #expect(run.seccompNumbers.filter { $0 == Self.write }.count == 1)
        #expect(run.seccompNumbers.count == 101, "\(run.seccompNumbers)")
        #expect(run.seccompData == [UInt32(SeccompFilter.dtraceTraceData)])
        #expect(run.systemCallEntries.isEmpty)
        // Each call ran as it would have: getpid gave the pid, the report was written.
        #expect(PtracePrograms.report(output) == "getpid right 100 enosys 0")
        let status = try #require(run.statusAtExec)
        #expect(status.seccompMode == 2 && status.seccompFilters == 1)
        // Root's child needs no no_new_privs (CAP_SYS_ADMIN), so set-user-ID programs keep working.
        #expect(status.noNewPrivileges == (geteuid() != 0))
    }

    @Test func stopsAreTheCallsPtraceSyscallSees() throws {
        // read, write, close, mmap, getpid, exit_group, openat: the loader's and the program's.
        let numbers: [UInt64] = [0, 1, 3, 9, 39, 231, 257]
        let command = "\(PtracePrograms.subject) system-calls \(PtracePrograms.outputPath("seccomp-compare"))"
        let filtered = try runHeldTarget(command, filter: try SeccompFilter(tracing: numbers.map { Int($0) }))
        let stepped = try runHeldTarget(command, filter: nil, systemCallStops: true)
        #expect(filtered.end == .exited(code: 0) && stepped.end == .exited(code: 0))
        #expect(stepped.filterState == .notSent)
        #expect(stepped.statusAtExec?.seccompMode == 0)
        let expected = stepped.systemCallEntries.filter { numbers.contains($0) }
        #expect(expected.filter { $0 == Self.getpid }.count == 100)
        #expect(Set(expected).isSuperset(of: [3, 9, 39, 231, 257]))
        #expect(filtered.seccompNumbers == expected)
        // The filter spared the tracer every other call.
        #expect(stepped.systemCallEntries.count > expected.count)
    }

    @Test func everyCallTracedStopsAtEveryCall() throws {
        // The filter of every x86-64 number (the longest search the kernel runs).
        let command = "\(PtracePrograms.subject) system-calls \(PtracePrograms.outputPath("seccomp-all"))"
        let filtered = try runHeldTarget(command, filter: try SeccompFilter(tracing: 0..<470))
        let stepped = try runHeldTarget(command, filter: nil, systemCallStops: true)
        #expect(filtered.end == .exited(code: 0))
        #expect(filtered.filterState == .installed)
        #expect(filtered.seccompNumbers.count > 100)
        #expect(filtered.seccompNumbers == stepped.systemCallEntries)
    }

    @Test func withoutATracerTheListedCallsFailWithENOSYS() throws {
        let output = PtracePrograms.outputPath("seccomp-untraced")
        let target = try TargetProcess.spawn("\(PtracePrograms.subject) system-calls \(output)")
        try target.release(tracingSystemCalls: [Int(Self.getpid)])
        for _ in 0..<1000 where target.ending == nil { usleep(10_000) }
        #expect(target.ending == "has exited")
        #expect(target.systemCallFilterState() == .installed)
        #expect(PtracePrograms.report(output) == "getpid right 0 enosys 100")
    }

    @Test(arguments: ["filter", "syscall"]) func unprivilegedUserTracesThroughTheFilter(mode: String) throws {
        let runner = Process()
        let arguments = [mode, "getpid,write", PtracePrograms.workload, "timed-getpid", "100"]
        if geteuid() == 0 {
            runner.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            runner.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", PtracePrograms.seccompCounter] + arguments
        } else {
            runner.executableURL = URL(fileURLWithPath: PtracePrograms.seccompCounter)
            runner.arguments = arguments
        }
        runner.currentDirectoryURL = PtracePrograms.directory
        let pipe = Pipe()
        runner.standardOutput = pipe
        try runner.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        runner.waitUntilExit()
        #expect(runner.terminationStatus == 0)
        // The workload's own line (its one write), then the counter's.
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("loop_ns="), "\(text)")
        if mode == "filter" {
            #expect(lines.last?.hasPrefix("stops=1:1,39:100 other=0 filter=installed no_new_privs=1 seccomp_filters=1 status=exited:0 run_ns=") == true,
                    "\(text)")
        } else {
            // Every other call stopped too; no filter, no no_new_privs.
            let other = lines.last.flatMap { $0.split(separator: " ").first { $0.hasPrefix("other=") } }.flatMap { Int($0.dropFirst(6)) }
            #expect((other ?? 0) > 10, "\(text)")
            #expect(lines.last?.hasPrefix("stops=1:1,39:100 other=") == true, "\(text)")
            #expect(lines.last?.contains(" filter=not-sent no_new_privs=0 seccomp_filters=0 status=exited:0 run_ns=") == true, "\(text)")
        }
    }
}
