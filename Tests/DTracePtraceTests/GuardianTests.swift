// DTracePtraceTests/GuardianTests: a process traced with -p stays healthy when dtrace dies
// without detaching — guardian-demo (TracedProcess.attach, a breakpoint on a function 4
// threads call, 3 of them in a tight loop, every hit stepped out of line, under a
// Guardian) SIGKILLed at random moments, 20 times per function: the process must run on
// and finish with every result right and exit status 0, never killed by SIGTRAP, with the
// code bytes the file's again and no thread traced while it still runs — for a function
// that starts with the one-byte push %rbp (a thread just past the int3 and one whose
// instruction already ran look alike) and one that starts with a longer instruction; a
// clean detach dismisses the guardian and leaves nothing behind (trap handler and scratch
// page unmapped, the program's SIGTRAP action back); the program's own SIGTRAPs (raise and
// int3) reach its own handler through the guardian's, with dtrace alive or killed; and all
// of it as an unprivileged user.

@testable import DTracePtrace
import DTraceELF
import DTraceSystem
import Foundation
import Testing

@Suite(.serialized) struct GuardianTests {
    /// A function of a running process's executable: its address there, and its first bytes
    /// in the file.
    static func function(_ name: String, inProcess pid: Int32) throws -> (address: UInt64, fileBytes: [UInt8]) {
        guard case .success(let objects) = ProcessMappings.mappedObjects(pid: pid) else { throw PtraceError.unexpected("no mappings of \(pid)") }
        let executable = try #require(objects.objects.first { $0.isExecutable })
        let function = try #require(executable.object.functions.first { $0.name == name })
        let bytes = try #require(ELFObject.load(path: executable.path).get().bytes(atFileOffset: function.fileOffset, count: 16))
        return (function.address &+ executable.loadBias, bytes)
    }

    /// `program` with `arguments`, run as `user` through setpriv when one is given.
    static func process(_ program: String, _ arguments: [String], asUser user: String?) -> Process {
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user)", "--regid=nogroup", "--clear-groups", program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        return process
    }

    /// Starts the C subject in `mode` and waits until it runs its own program, its
    /// executable mapped.
    static func startSubject(_ arguments: [String], output: String, asUser user: String? = nil) throws -> Process {
        let subject = process(PtracePrograms.subject, [arguments[0], output] + arguments.dropFirst(), asUser: user)
        try subject.run()
        let pid = subject.processIdentifier
        let patience = SystemClock.monotonicNanoseconds() + 10_000_000_000
        func loaded() -> Bool {
            guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == PtracePrograms.subject,
                  case .success(let objects) = ProcessMappings.mappedObjects(pid: pid) else { return false }
            return objects.objects.contains { $0.isExecutable }
        }
        while !loaded() && subject.isRunning && SystemClock.monotonicNanoseconds() < patience { usleep(1000) }
        return subject
    }

    /// guardian-demo on `pid`, and its first line of output (nil if it said nothing in 20 s).
    static func startDemo(_ arguments: [String], asUser user: String? = nil) throws -> (demo: Process, output: FileHandle, firstLine: String?) {
        let demo = process(PtracePrograms.guardianDemo, arguments, asUser: user)
        let pipe = Pipe()
        demo.standardOutput = pipe
        try demo.run()
        let reader = pipe.fileHandleForReading
        var text = ""
        let patience = SystemClock.monotonicNanoseconds() + 20_000_000_000
        while !text.contains("\n") && SystemClock.monotonicNanoseconds() < patience {
            let data = reader.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let line = text.split(separator: "\n").first.map(String.init)
        return (demo, reader, line)
    }

    /// `key=value` fields of a line.
    static func fields(_ line: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in line.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { result[String(pair[0])] = String(pair[1]) }
        }
        return result
    }

    /// Waits until the file at `path` holds a whole line (the guardian's report).
    static func waitForLine(_ path: String, seconds: Int64 = 10) -> String {
        let patience = SystemClock.monotonicNanoseconds() + seconds * 1_000_000_000
        while SystemClock.monotonicNanoseconds() < patience {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            usleep(2000)
        }
        return ""
    }

    /// Whether process `pid` is gone (or a zombie nobody reaps: the guardian's parent is init).
    static func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = SystemFiles.readSmallTextFile("/proc/\(pid)/stat"), let end = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(end, offsetBy: 2)] == "Z"
    }

    static func waitUntilEnded(_ pid: Int32, seconds: Int64 = 10) -> Bool {
        let patience = SystemClock.monotonicNanoseconds() + seconds * 1_000_000_000
        while !hasEnded(pid) && SystemClock.monotonicNanoseconds() < patience { usleep(2000) }
        return hasEnded(pid)
    }

    /// One run: the subject traced by guardian-demo, which is SIGKILLed `delay` µs after it
    /// has seen `readyAfter` hits. Returns whether the subject survived, and what was seen.
    static func killMidTrace(function name: String, readyAfter: Int, delay: UInt32, asUser user: String? = nil) throws -> (survived: Bool, account: String) {
        let output = PtracePrograms.outputPath("guarded")
        let reportPath = PtracePrograms.outputPath("guardian-report")
        if user != nil {
            // Files the unprivileged programs may write in the test directory.
            for path in [output, reportPath] {
                FileManager.default.createFile(atPath: path, contents: nil)
                chmod(path, 0o666)
            }
        }
        let subject = try startSubject(["guarded", "1500", name], output: output, asUser: user)
        defer { if subject.isRunning { kill(subject.processIdentifier, SIGKILL) }; subject.waitUntilExit() }
        let pid = subject.processIdentifier
        let function = try function(name, inProcess: pid)
        let (demo, _, line) = try startDemo([name, "\(pid)", "--ready-after", "\(readyAfter)", "--report", reportPath], asUser: user)
        defer { if demo.isRunning { kill(demo.processIdentifier, SIGKILL) }; demo.waitUntilExit() }
        let ready = try #require(line, "guardian-demo said nothing")
        try #require(ready.hasPrefix("ready "), "\(ready)")
        let seen = fields(ready)
        #expect(seen["holds"] == "1")
        #expect(seen["handler"] != "none")
        #expect(seen["address"] == "0x" + String(function.address, radix: 16))
        usleep(delay)
        kill(demo.processIdentifier, SIGKILL)
        demo.waitUntilExit()
        #expect(demo.terminationReason == .uncaughtSignal && demo.terminationStatus == SIGKILL)
        let report = waitForLine(reportPath)
        #expect(report.hasPrefix("guardian recovered pid=\(pid) held=1 handler=1 restored=1 "), "\(report)")
        // While it still runs: the code is the file's again, and no thread is traced.
        #expect(subject.isRunning, "it ended before it could be looked at: \(report)")
        let memory = ProcessMemory(processID: pid)
        #expect(try memory.readThroughFile(address: function.address, count: 16) == function.fileBytes)
        let tracers = ProcessThreads.threadIDs(of: pid).compactMap { ProcessThreads.status(of: $0, inProcess: pid)?.tracerProcessID }
        #expect(!tracers.isEmpty && tracers.allSatisfy { $0 == 0 }, "tracers \(tracers)")
        if let guardian = Int32(seen["guardian"] ?? "") { #expect(waitUntilEnded(guardian), "the guardian stayed") }
        subject.waitUntilExit()
        let result = PtracePrograms.report(output)
        let survived = subject.terminationReason == .exit && subject.terminationStatus == 0 && result == "guarded right"
        let ending = subject.terminationReason == .exit ? "exit \(subject.terminationStatus)" : "signal \(subject.terminationStatus)"
        return (survived, "\(ending) \"\(result)\"; \(report)")
    }

    @Test(arguments: ["framed_work", "work"]) func processSurvivesDtraceKilledMidTrace(function: String) throws {
        // The first instruction: framed_work's is the one-byte push %rbp.
        let output = PtracePrograms.outputPath("first-byte")
        let probe = try Self.startSubject(["guarded", "200", function], output: output)
        let firstByte = try Self.function(function, inProcess: probe.processIdentifier).fileBytes[0]
        probe.waitUntilExit()
        #expect((firstByte == 0x55) == (function == "framed_work"))

        let iterations = 20
        var survivors = 0
        var accounts: [String] = []
        for iteration in 0..<iterations {
            let (survived, account) = try Self.killMidTrace(function: function, readyAfter: Int.random(in: 50...400), delay: UInt32.random(in: 0...30_000))
            if survived { survivors += 1 }
            accounts.append("\(iteration): \(survived ? "survived" : "HARMED") \(account)")
        }
        print("guardian, \(function): \(survivors) of \(iterations) survived dtrace's SIGKILL\n" + accounts.joined(separator: "\n"))
        #expect(survivors == iterations, "\(accounts.joined(separator: "\n"))")
    }

    @Test func unprivilegedUserIsGuardedToo() throws {
        // As root, both programs run as nobody (the guardian seizes a thread of its own
        // user's process); otherwise as the user running the tests.
        let user = geteuid() == 0 ? "nobody" : nil
        var accounts: [String] = []
        for _ in 0..<5 {
            let (survived, account) = try Self.killMidTrace(function: "framed_work", readyAfter: Int.random(in: 50...300),
                                                            delay: UInt32.random(in: 0...20_000), asUser: user)
            accounts.append("\(survived ? "survived" : "HARMED") \(account)")
        }
        #expect(accounts.allSatisfy { $0.hasPrefix("survived") }, "\(accounts.joined(separator: "\n"))")
    }

    @Test func detachDismissesTheGuardianAndLeavesNothing() throws {
        let output = PtracePrograms.outputPath("guarded-detached")
        let reportPath = PtracePrograms.outputPath("guardian-dismissed")
        let subject = try Self.startSubject(["guarded", "1500", "framed_work"], output: output)
        defer { if subject.isRunning { kill(subject.processIdentifier, SIGKILL) }; subject.waitUntilExit() }
        let pid = subject.processIdentifier
        let function = try Self.function("framed_work", inProcess: pid)
        let (demo, reader, line) = try Self.startDemo(["framed_work", "\(pid)", "--ready-after", "100", "--detach-after", "2000", "--report", reportPath])
        defer { if demo.isRunning { kill(demo.processIdentifier, SIGKILL) }; demo.waitUntilExit() }
        let ready = try #require(line)
        try #require(ready.hasPrefix("ready "), "\(ready)")
        let seen = Self.fields(ready)
        let handlerPage = try #require(seen["handler"].flatMap { UInt64($0.dropFirst(2), radix: 16) })
        // While traced: SIGTRAP is caught (the guardian's handler).
        let caught = { () -> UInt64? in
            guard let text = SystemFiles.readSmallTextFile("/proc/\(pid)/status"),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }) else { return nil }
            return UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        let trapBit = UInt64(1) << UInt64(SIGTRAP - 1)
        #expect((caught() ?? 0) & trapBit != 0)
        let rest = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        demo.waitUntilExit()
        #expect(demo.terminationStatus == 0)
        #expect(rest.contains("detached hits=2000"), "\(rest)")
        #expect(Self.waitForLine(reportPath) == "guardian dismissed")
        #expect(subject.isRunning)
        let memory = ProcessMemory(processID: pid)
        #expect(try memory.readThroughFile(address: function.address, count: 16) == function.fileBytes)
        #expect(ProcessThreads.threadIDs(of: pid).allSatisfy { ProcessThreads.status(of: $0, inProcess: pid)?.tracerProcessID == 0 })
        // The program's own SIGTRAP action (the default) is back; the handler's page is gone.
        #expect((caught() ?? trapBit) & trapBit == 0)
        // No mapping covers the page (its address may still end the mapping below it).
        let maps = SystemFiles.readSmallTextFile("/proc/\(pid)/maps") ?? ""
        let covering = maps.split(separator: "\n").filter { line in
            let bounds = line.prefix { $0 != " " }.split(separator: "-").compactMap { UInt64($0, radix: 16) }
            return bounds.count == 2 && handlerPage >= bounds[0] && handlerPage < bounds[1]
        }
        #expect(covering.isEmpty, "\(covering)")
        if let guardian = Int32(seen["guardian"] ?? "") { #expect(Self.waitUntilEnded(guardian)) }
        subject.waitUntilExit()
        #expect(subject.terminationReason == .exit && subject.terminationStatus == 0)
        #expect(PtracePrograms.report(output) == "guarded right")
    }

    @Test(arguments: [false, true]) func programsOwnTrapsReachItsHandler(dtraceKilled: Bool) throws {
        let output = PtracePrograms.outputPath("own-traps")
        let reportPath = PtracePrograms.outputPath("guardian-own-traps")
        let subject = try Self.startSubject(["own-traps"], output: output)
        defer { if subject.isRunning { kill(subject.processIdentifier, SIGKILL) }; subject.waitUntilExit() }
        let pid = subject.processIdentifier
        let (demo, reader, line) = try Self.startDemo(["work", "\(pid)", "--ready-after", "300", "--report", reportPath])
        defer { if demo.isRunning { kill(demo.processIdentifier, SIGKILL) }; demo.waitUntilExit() }
        let ready = try #require(line)
        try #require(ready.hasPrefix("ready "), "\(ready)")
        if dtraceKilled {
            kill(demo.processIdentifier, SIGKILL)
            demo.waitUntilExit()
            #expect(Self.waitForLine(reportPath).hasPrefix("guardian recovered pid=\(pid) held=1 handler=1 "))
        } else {
            let rest = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
            demo.waitUntilExit()
            // Every call after the attach was a hit (some ran before it).
            let hits = Int(Self.fields(rest.trimmingCharacters(in: .whitespacesAndNewlines))["hits"] ?? "") ?? 0
            #expect(rest.hasPrefix("ended status=exited:0 ") && hits > 1000 && hits <= 2000, "\(rest)")
        }
        subject.waitUntilExit()
        #expect(subject.terminationReason == .exit && subject.terminationStatus == 0)
        #expect(PtracePrograms.report(output) == "traps 40 of 40, wrong 0")
    }
}
