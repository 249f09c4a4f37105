// DTraceCLITests/ConformanceTests: runs every D script in Conformance/ through the real
// dtrace binary and compares stdout, stderr and the exit status with the expected files
// beside it (NAME.d.out, NAME.d.err, NAME.d.status, extra arguments in NAME.d.args).
// The process is pinned to CPU 0 so that the CPU column is deterministic.

import Foundation
import Testing

enum Harness {
    static let conformanceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Conformance")
    static let binary: String = {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = products
        for _ in 0..<4 {
            let path = candidate.appendingPathComponent("dtrace").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
            candidate = candidate.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/dtrace").standardized.path
    }()

    struct Result {
        var stdout: String; var stderr: String; var status: Int32
        /// Standard output byte for byte (`stdout` has invalid UTF-8 replaced).
        var stdoutBytes: [UInt8] = []
    }

    static func run(_ arguments: [String], directory: URL? = nil, pinned: Bool = true, input: String? = nil) throws -> Result {
        try runProgram(pinned ? "/usr/bin/taskset" : binary, pinned ? ["-c", "0", binary] + arguments : arguments, directory: directory)
    }

    /// Runs any program to completion with no input, collecting its output and status.
    static func runProgram(_ executable: String, _ arguments: [String], directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Both pipes are drained at once: a child filling one while we wait on the
        // other would otherwise block forever.
        let errorReader = PipeDrain(err.fileHandleForReading)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = errorReader.wait()
        process.waitUntilExit()
        return Result(stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self), status: process.terminationStatus,
                      stdoutBytes: [UInt8](stdout))
    }

    /// Reads a pipe to its end on another thread.
    final class PipeDrain: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }
        func wait() -> Data { done.wait(); return data }
    }

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: conformanceDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".d") }.sorted()
    }

    static func expected(_ name: String, _ suffix: String) -> String? {
        try? String(contentsOf: conformanceDirectory.appendingPathComponent(name + suffix), encoding: .utf8)
    }

    /// An expected file's bytes, whatever they are (traced data need not be UTF-8).
    static func expectedBytes(_ name: String, _ suffix: String) -> [UInt8]? {
        (try? Data(contentsOf: conformanceDirectory.appendingPathComponent(name + suffix))).map { [UInt8]($0) }
    }
}

@Suite struct ConformanceTests {
    @Test func corpusIsPresent() {
        #expect(Harness.cases.count >= 10)
    }

    @Test(arguments: Harness.cases)
    func script(_ name: String) throws {
        let extra = Harness.expected(name, ".args")?.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) ?? []
        let result = try Harness.run(extra + ["-s", name], directory: Harness.conformanceDirectory)
        let status = Int32(Harness.expected(name, ".status")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "0") ?? 0
        #expect(result.status == status, "exit status of \(name)")
        if let out = Harness.expectedBytes(name, ".out") { #expect(result.stdoutBytes == out, "stdout of \(name): \(result.stdout)") }
        #expect(result.stderr == (Harness.expected(name, ".err") ?? ""), "stderr of \(name)")
    }
}

@Suite struct CommandLineTests {
    @Test func noArgumentsPrintsUsageAndExitsTwo() throws {
        let result = try Harness.run([], pinned: false)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("Usage: dtrace "))
    }

    @Test func helpAndVersion() throws {
        let help = try Harness.run(["--help"], pinned: false)
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("Usage: dtrace "))
        #expect(help.stdout.contains("\t-V  report DTrace API version and this dtrace's version\n"))
        #expect(help.stderr == "")
        let version = try Harness.run(["-V"], pinned: false)
        #expect(version.status == 0)
        #expect(version.stdout == "dtrace: DTrace for Linux in Swift 0.6, D 2.0\n")
    }

    /// -S lists each clause's intermediate code readably, as DTrace lists DIF: a mnemonic,
    /// then operands; helpers by their D names.
    @Test func intermediateCodeListing() throws {
        let result = try Harness.run(["-S", "-qn", "BEGIN { x = 1; trace(x + 2); exit(0); }"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stderr.hasPrefix("DIFO clause 1 (:::BEGIN):\n    0  setx    1, %r0\n    1  lea     globals+0, %r1\n    2  stw     %r0, globals[%r1]\n"), "\(result.stderr)")
        #expect(result.stderr.contains("  add     %r4, %r5, %r6\n"))
        #expect(result.stderr.contains("  call    exit(%r11)\n"))
        #expect(!result.stderr.contains("DTraceIR."))
    }

    /// -S follows a clause's listing with the table of the variables its code uses, as
    /// DTrace's disassembler does (checked as Oracle's tests check it, `dtrace -Sen` with ID
    /// and RANGE left out): a blank line, the heads, a row per variable, a blank line.
    @Test(arguments: [
        ("char dummy; char var; BEGIN { var = 0x12; exit(0); }",
         ["var              1      scl glb w    D type (integer) (size 1)"]),
        ("this char dummy; this struct { int u; long v; short w; } var; BEGIN { this->var.w = 0x1234; exit(0); }",
         ["var              8      scl loc r    D type (struct) by ref (size 18)"]),
        ("self char dummy; self short var[5]; BEGIN { self->var[3] = 0x1234; exit(0); }",
         ["var              0      scl tls r    D type (array) by ref (size 10)"]),
        ("BEGIN { a = \"\"; b = a; exit(0); }",
         ["a                0      scl glb r/w  string (unknown) by ref (size 256)",
          "b                256    scl glb w    string (unknown) by ref (size 256)"]),
    ])
    func variableTableAfterEachClause(_ program: String, _ rows: [String]) throws {
        let result = try Harness.run(["-Sen", program], pinned: false)
        #expect(result.status == 0)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex(of: "NAME             ID   OFFSET KND SCP RANGE       FLAG TYPE"), "\(result.stderr)")
        #expect(lines[header - 1] == "" && lines[header - 2].hasPrefix("   "), "a blank line between the listing and the table")
        let table = lines[(header + 1)...].prefix { !$0.isEmpty }
        #expect(lines.count > header + table.count + 2 && lines[header + table.count + 1] == "", "a blank line ends the table")
        // NAME, OFFSET, KND, SCP, FLAG and TYPE: without ID (17-21) and RANGE (37-48).
        let shown = table.map { line -> String in
            let characters = Array(line)
            return String(characters[0..<17]) + String(characters[22..<37]) + String(characters[49...])
        }
        #expect(shown == rows)
        #expect(!result.stderr.contains(" matched "), "-e enables nothing, so nothing is said to match")
    }

    @Test func unknownOptionExitsTwo() throws {
        let result = try Harness.run(["-K"], pinned: false)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("dtrace: illegal option -- K\nUsage: dtrace"))
        #expect(result.stdout == "")
    }

    /// $sid and $pgid are dtrace's session and process group: its session is the one of
    /// the process that started it (this test); its group, the one ps(1) reports for it.
    @Test func sessionAndProcessGroupMacroVariables() throws {
        let script = "BEGIN { printf(\"%d %d|\", $sid, $pgid); system(\"ps -o pgid= -p %d\", $pid); exit(0); }"
        let result = try Harness.run(["-wqn", script], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let parts = result.stdout.split(separator: "|")
        #expect(parts.count == 2)
        #expect(parts.first.map(String.init) == "\(getsid(0)) \(parts.last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "")", "\(result.stdout)")
    }

    @Test func clusteredQuietAndProbeFlags() throws {
        let result = try Harness.run(["-qn", "BEGIN { printf(\"%s %d\\n\", $$1, $2); exit(0); }", "word", "41"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "word 41\n\n")
        #expect(result.stderr == "")
    }

    @Test func descriptionNoticeAndExitStatus() throws {
        let result = try Harness.run(["-n", "BEGIN { exit(7); }"])
        #expect(result.status == 7)
        #expect(result.stderr == "dtrace: description 'BEGIN ' matched 1 probe\n")
        #expect(result.stdout == "CPU     ID                    FUNCTION:NAME\n  0      1                           :BEGIN \n\n")
    }

    @Test func invalidProbeSpecifierUsesRegion() throws {
        let result = try Harness.run(["-n", "BEGIN { trace(y); }"], pinned: false)
        #expect(result.status == 1)
        #expect(result.stderr == "dtrace: invalid probe specifier BEGIN { trace(y); }: in action list: failed to resolve y: Unknown variable name\n")
    }

    @Test func missingScriptFile() throws {
        let result = try Harness.run(["-s", "/nonexistent/x.d"], pinned: false)
        #expect(result.status == 1)
        #expect(result.stderr == "dtrace: failed to open /nonexistent/x.d: No such file or directory\n")
    }

    @Test func verboseListingShowsAttributesAndArgumentTypes() throws {
        let result = try Harness.run(["-lv", "-n", "dtrace:::BEGIN"])
        #expect(result.status == 0)
        #expect(result.stdout == """
               ID   PROVIDER            MODULE                          FUNCTION NAME
                1     dtrace                                                     BEGIN

            \tProbe Description Attributes
            \t\tIdentifier Names: Stable
            \t\tData Semantics:   Stable
            \t\tDependency Class: Common

            \tArgument Attributes
            \t\tIdentifier Names: Stable
            \t\tData Semantics:   Stable
            \t\tDependency Class: Common

            \tArgument Types
            \t\tNone


            """)
    }

    @Test func preprocessesALargeScript() throws {
        // 20,000 lines through cpp: written and read back at the same time.
        let path = "/tmp/dtrace-cpp-\(getpid()).d"
        let body = (0..<20000).map { "inline int value\($0) = \($0);" }.joined(separator: "\n")
        try (body + "\n#define SHOW(x) printf(\"%d\\n\", x)\nBEGIN { SHOW(value19999); exit(0); }\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Harness.run(["-qC", "-s", path], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "19999\n\n")
    }

    /// With switchrate set, exit() is noticed at the next buffer switch (its record is read
    /// then), and with statusrate at the status check after that, as DTrace notices it: a
    /// BEGIN that exits at once ends after the period, not before.
    @Test func exitIsNoticedAtTheRatesTheProgramSets() throws {
        for option in ["switchrate=2sec", "statusrate=2sec"] {
            let started = Date()
            let result = try Harness.run(["-x", option, "-qn", "BEGIN { printf(\"begun\\n\"); exit(0); } END { printf(\"ended\\n\"); }"], pinned: false)
            #expect(Date().timeIntervalSince(started) >= 1.9, "\(option)")
            #expect(result.status == 0 && result.stdout == "begun\nended\n\n", "\(option): \(result.stdout) \(result.stderr)")
        }
    }

    /// printf widths and precisions of ten million print in full, as in DTrace; one from
    /// an argument (%*d) is held to 16M, and a negative one left-justifies (a width) or is
    /// no precision, as C takes them.
    @Test func printfWidthsAsLargeAsDTraces() throws {
        let script = #"BEGIN { printf("%10000000d\n", 1); printf("%.10000000d\n", 1); printf("%10000000.10000000d\n", 1); "#
            + #"printf("%*d|%.*d|\n", -3, 7, -2, 5); printf("%*d\n", 2000000000000, 1); exit(0); }"#
        let result = try Harness.run(["-qn", script], pinned: false)
        #expect(result.status == 0 && result.stderr == "")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.map(\.count) == [10_000_000, 10_000_000, 10_000_000, 6, 1 << 24, 0, 0])
        #expect(lines.count > 3 && lines[0].hasSuffix(" 1") && lines[1].hasSuffix("01") && lines[3] == "7  |5|")
    }

    /// -p with a process that does not exist says only the grab's error, as Oracle's dtrace;
    /// one that is not a number is an invalid pid.
    @Test func grabFailuresAsOraclesDTraceSaysThem() throws {
        for (pid, message) in [("484837947", "dtrace: No such process\n"), ("99999999999", "dtrace: No such process\n"), ("12x", "dtrace: invalid pid: 12x\n")] {
            let result = try Harness.run(["-p", pid, "-n", "BEGIN { exit(0); }"], pinned: false)
            #expect(result.status == 1 && result.stderr == message, "\(pid): \(result.stderr)")
        }
    }

    @Test func probeByID() throws {
        let listed = try Harness.run(["-l", "-i", "2"], pinned: false)
        #expect(listed.status == 0)
        #expect(listed.stdout == "   ID   PROVIDER            MODULE                          FUNCTION NAME\n    2     dtrace                                                     END\n")
        let run = try Harness.run(["-qi", "1 { printf(\"begin by id\\n\"); exit(0); }"], pinned: false)
        #expect(run.status == 0)
        #expect(run.stdout == "begin by id\n\n")
        let missing = try Harness.run(["-l", "-i", "99999999"], pinned: false)
        #expect(missing.status == 1)
        #expect(missing.stderr == "dtrace: invalid probe specifier 99999999: invalid probe identifier 99999999: Unknown probe identifier\n")
        // -n takes an ID too; listing "2-2" lists probe 2 and names the description -2 that matched nothing.
        let byName = try Harness.run(["-qn", "1 { printf(\"begin by id\\n\"); exit(0); }"], pinned: false)
        #expect(byName.stdout == "begin by id\n\n")
        let pair = try Harness.run(["-l", "-i", "2-2"], pinned: false)
        #expect(pair.status == 0)
        #expect(pair.stdout == "   ID   PROVIDER            MODULE                          FUNCTION NAME\n    2     dtrace                                                     END\n")
        #expect(pair.stderr == "dtrace: failed to match :::-2: No probe matches description\n")
    }

    /// -P, -m and -f read their text as DTrace does: the fields they name counted from the
    /// right, more only when empty; -i text not starting with digits is a probe name.
    @Test(arguments: [
        (["-P", "profile:::"], "dtrace: invalid probe specifier profile:::: invalid probe description \"profile:::\": Overspecified probe description\n"),
        (["-m", "nosuchmod::"], "dtrace: invalid probe specifier nosuchmod::: invalid probe description \"nosuchmod::\": Overspecified probe description\n"),
        (["-f", "dtrace:::BEGIN"], "dtrace: invalid probe specifier dtrace:::BEGIN: invalid probe description \"dtrace:::BEGIN\": Overspecified probe description\n"),
        (["-f", "::nosuchfunc:"], "dtrace: invalid probe specifier ::nosuchfunc:: probe description :nosuchfunc:: does not match any probes\n"),
        (["-f", ":nosuchprov::"], "dtrace: invalid probe specifier :nosuchprov::: probe description nosuchprov::: does not match any probes\n"),
        (["-i", "0"], "dtrace: invalid probe specifier 0: invalid probe identifier 0: Unknown probe identifier\n"),
        (["-i", "-3"], "dtrace: invalid probe specifier -3: probe description :::-3 does not match any probes\n"),
        // An ID is an integer token: what follows it is another description ("2-2" is probe 2, then -2).
        (["-i", "2-2"], "dtrace: invalid probe specifier 2-2: probe description :::-2 does not match any probes\n"),
        (["-f", "4.56"], "dtrace: invalid probe specifier 4.56: probe identifier 4 not permitted when specifying functions\n"),
        (["-m", "7"], "dtrace: invalid probe specifier 7: probe identifier 7 not permitted when specifying modules\n"),
        (["-P", "1:"], "dtrace: invalid probe specifier 1:: probe identifier 1 not permitted when specifying providers\n"),
    ])
    func partialDescriptionsAsDTraceReadsThem(_ arguments: [String], _ expected: String) throws {
        let result = try Harness.run(arguments, pinned: false)
        #expect(result.stderr == expected)
        #expect(result.status == 1)
    }

    @Test func listsDtraceProbes() throws {
        let result = try Harness.run(["-l", "-n", "dtrace:::"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "   ID   PROVIDER            MODULE                          FUNCTION NAME\n    1     dtrace                                                     BEGIN\n    2     dtrace                                                     END\n    3     dtrace                                                     ERROR\n")
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func signalRunsEndAndPrintsAggregations(_ signal: Int32) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["-qn", "BEGIN { printf(\"ready\\n\"); } tick-1ms { @ticks = count(); } END { printf(\"end\\n\"); @once = sum(3); }"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: watchdog)
        defer { watchdog.cancel() }
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("ready\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        Thread.sleep(forTimeInterval: 0.05)
        kill(process.processIdentifier, signal)
        seen.append(out.fileHandleForReading.readDataToEndOfFile())
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stdout = String(decoding: seen, as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: stderr, as: UTF8.self) == "")
        #expect(stdout.hasPrefix("ready\nend\n\n"))
        #expect(stdout.contains("\n                3\n"))
        #expect(stdout.range(of: "^\\s+[1-9][0-9]*$", options: .regularExpression) == nil)
    }

    /// A SIGINT before tracing starts (here: while dtrace waits to read its script from a
    /// FIFO) does not kill it: it compiles, runs BEGIN, stops at once, runs END, exits 0.
    @Test func signalBeforeTracingStartsIsAnOrdinaryStop() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-fifo-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).d").path
        guard mkfifo(fifo, 0o600) == 0 else { Issue.record("mkfifo failed"); return }
        defer { unlink(fifo) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["-qs", fifo]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: watchdog)
        defer { watchdog.cancel() }
        // Wait until dtrace blocks opening the FIFO (openat, system call 257).
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let call = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/syscall", encoding: .utf8)) ?? ""
            if call.hasPrefix("257 ") { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(process.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.05)
        let writer = FileHandle(forWritingAtPath: fifo)
        writer?.write(Data("BEGIN { printf(\"begin\\n\"); } END { printf(\"end\\n\"); }\n".utf8))
        try writer?.close()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(stdout == "begin\nend\n\n")
        #expect(stderr == "")
    }
}
