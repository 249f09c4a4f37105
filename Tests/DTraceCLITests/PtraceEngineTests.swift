// DTraceCLITests/PtraceEngineTests: the ptrace engine end to end — pid entry, return and
// offset probes, arguments, return values, syscall probes with errno, on a -c command
// and a -p process, forced as root with -x engine=ptrace and chosen by itself for an
// unprivileged user (setpriv to nobody); the same output as the kernel engine on the
// same scripts (differential); eight threads hitting one probe a million times with an
// exact count and unchanged results; fork children left without breakpoints; a -p
// process left running with its code as the file has it; and the one-line refusals.
// Dropping to nobody and the kernel engine's half need root; under CI=true they run.

import DTraceSystem
import Foundation
import Testing

@Suite(.enabled(if: KernelHarness.available, "needs root to compare with the kernel engine and to drop to nobody; runs always under CI=true"))
struct PtraceEngineTests {
    static let calls = 1000

    static let entryAndReturn = """
    pid$target:a.out:sum8:entry { @entries = count(); @sixth = sum(arg6); @seventh = max(arg7); @first = sum(arg0); }
    pid$target:a.out:sum8:return { @returns = count(); @values = sum(arg1); @offsets = max(arg0); }
    pid$target:a.out:plain_sum:entry, pid$target:libc.so.6:labs:return { @[probefunc, probename] = count(); }
    syscall::exit_group:entry /pid == $target/ { @code = max(arg0); }
    END { printa("%@d %@d %@d %@d %@d %@d %@d\\n", @entries, @returns, @sixth, @seventh, @first, @values, @offsets); printa(@code); }
    """

    /// What the entry/return script prints for `calls` calls of the workload.
    static func expectedEntryAndReturn(_ n: Int) -> String {
        "\(n) \(n) \(60 * n) 70 \(n * (n - 1) / 2) \(n * (n - 1) / 2 + 145 * n) 0\n\n                0\n\n"
            + "  labs                                                return                                                         \(n)\n"
            + "  plain_sum                                           entry                                                          \(n)\n"
    }

    @Test func entryReturnArgumentsAndValuesAsTheKernelEngineGivesThem() throws {
        let command = "\(KernelHarness.workload) calls \(Self.calls)"
        let traced = try Harness.run(["-x", "engine=ptrace", "-qn", Self.entryAndReturn, "-c", command], pinned: false)
        let kernel = try Harness.run(["-qn", Self.entryAndReturn, "-c", command], pinned: false)
        #expect(traced.stdout == Self.expectedEntryAndReturn(Self.calls), "\(traced.stderr)")
        #expect(traced.stdout == kernel.stdout)
        #expect(traced.status == 0 && kernel.status == 0)
        #expect(traced.stderr == "" && kernel.stderr == "", "\(traced.stderr)\(kernel.stderr)")
    }

    @Test func unprivilegedUserTracesTheirOwnCommand() throws {
        let scratch = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result = try Unprivileged.run(["-qn", Self.entryAndReturn, "-c", "\(KernelHarness.workload) calls \(Self.calls)"], in: scratch)
        #expect(result.stdout == Self.expectedEntryAndReturn(Self.calls), "\(result.stderr)")
        #expect(result.stderr == "", "\(result.stderr)")
        #expect(result.status == 0)
        // The platform report still says the kernel engine is out of reach.
        let report = try Unprivileged.run(["-x", "platform"], in: scratch)
        #expect(report.stdout.contains("\n  bpf             FAIL  "))
    }

    @Test func systemCallsWithErrnoAndOffsetsOnSteppedInstructions() throws {
        // close(-1) fails with EBADF (9) each time; sum8's offsets 5 (mov %rsp,%rbp) and
        // 8 (add) are instructions the kernel steps out of line.
        let syscalls = try Harness.run(["-x", "engine=ptrace", "-qn",
                                        "syscall::close:entry /(int)arg0 == -1/ { @entries = count(); } syscall::close:return /errno == 9/ { @failed = count(); @value = min(arg1); }",
                                        "-c", "\(KernelHarness.workload) badclose 250"], pinned: false)
        #expect(syscalls.stdout == "\n              250\n              250\n               -1\n", "\(syscalls.stderr)")
        #expect(syscalls.status == 0)
        let offsets = try Harness.run(["-x", "engine=ptrace", "-qn", "pid$target:a.out:sum8:5, pid$target:a.out:sum8:8 { @[probename] = count(); }",
                                       "-c", "\(KernelHarness.workload) calls \(Self.calls)"], pinned: false)
        #expect(offsets.stdout == "\n  5                                                              \(Self.calls)\n  8                                                              \(Self.calls)\n")
        #expect(offsets.status == 0)
    }

    @Test func userStacksWalkTheTracedThreadsFrames() throws {
        // At a system call the stack is the kernel engine's; at a function's entry the
        // caller (main) comes from the top of the stack, the frame not being made yet.
        let script = "syscall::getpid:entry /pid == $target/ { @[ustack()] = count(); }"
        let traced = try Harness.run(["-x", "engine=ptrace", "-qn", script, "-c", "\(KernelHarness.workload) stack 3"], pinned: false)
        let kernel = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) stack 3"], pinned: false)
        let frames = traced.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(frames.count >= 3 && frames[0].hasPrefix("workload`traced_getpid+") && frames[1].hasPrefix("workload`main+") && frames.last == "3", "\(traced.stdout)")
        let normalized = { (text: String) in text.replacingOccurrences(of: #"libc\.so\.6`0x[0-9a-f]+"#, with: "libc", options: .regularExpression) }
        #expect(normalized(traced.stdout) == normalized(kernel.stdout))
        let entry = try Harness.run(["-x", "engine=ptrace", "-qn", "pid$target:a.out:traced_getpid:entry /arg0 == 1/ { ustack(2); }",
                                     "-c", "\(KernelHarness.workload) stack 3"], pinned: false)
        let entryFrames = entry.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(entryFrames.count == 2 && entryFrames[0].hasPrefix("workload`traced_getpid+") && entryFrames[1].hasPrefix("workload`main+"), "\(entry.stdout)")
    }

    @Test func usdtProbesWithSemaphoresAsTheKernelEngineGivesThem() throws {
        // The app's tick fires only while its semaphore is raised (written in the tracee);
        // Python's function-entry too; the two engines count the same.
        let app = """
        myapp$target:::tick { @ticks = count(); @sum = sum(arg0); @names[copyinstr(arg1)] = count(); }
        myapp$target:::counted { @counted = sum(arg0); }
        END { printa("%@d %@d %@d\\n", @ticks, @sum, @counted); printa("%s %@d\\n", @names); }
        """
        let traced = try Harness.run(["-x", "engine=ptrace", "-qn", app, "-c", "\(USDTHarness.app) 100"], pinned: false)
        #expect(traced.stdout == "100 4950 5650\n\(USDTHarness.app) 100\n\n", "\(traced.stderr)")
        #expect(traced.status == 0)
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-ptrace-gc-\(getpid()).py")
        try "import gc\nfor _ in range(7):\n    gc.collect()\n".write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let python = "python$target:::gc-start /arg0 == 2/ { @collections = count(); } python$target:::function-entry { @calls = count(); }"
        let pythonTraced = try Harness.run(["-x", "engine=ptrace", "-qn", python, "-c", "\(USDTHarness.python) \(script.path)"], pinned: false)
        let pythonKernel = try Harness.run(["-qn", python, "-c", "\(USDTHarness.python) \(script.path)"], pinned: false)
        #expect(pythonTraced.stdout == pythonKernel.stdout && pythonTraced.status == 0 && pythonKernel.status == 0, "\(pythonTraced.stderr)")
        let counts = pythonTraced.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] >= 7 && counts[1] > 0, "\(pythonTraced.stdout)")
    }

    /// Scripts on the workload's probes, each run by both engines: the same output, messages and status.
    static let differentialScripts: [(script: String, command: String)] = [
        (#"pid$target:a.out:traced_getpid:entry { printf("%s:%s %d %d %s %d\n", probefunc, probename, arg0 == uregs[R_RDI], tid == pid, execname, pid == $target); }"#, "stack 3"),
        (#"pid$target:a.out:sum8:entry { @q[arg0 % 3] = lquantize(arg0, 0, 1000, 100); @a = avg(arg1 + arg6); @s = stddev(arg0); }"#, "calls 500"),
        (#"pid$target:a.out:sum8:entry { self->first = arg0; } pid$target:a.out:sum8:return /self->first/ { @d = sum(arg1 - self->first); @n = count(); self->first = 0; }"#, "calls 300"),
        (#"syscall::close:entry /pid == $target/ { self->fd = (int)arg0; } syscall::close:return /self->fd == -1/ { @[errno, arg0, arg1] = count(); self->fd = 0; }"#, "badclose 20"),
        (#"syscall::openat:entry /pid == $target/ { printf("%s\n", copyinstr(arg1)); }"#, "getpid 1"),
        (#"pid$target:a.out:sum8:entry /arg0 < 4/ { self->s = speculation(); } pid$target:a.out:sum8:entry /arg0 < 4/ { speculate(self->s); printf("spec %d\n", arg0); } "#
            + #"pid$target:a.out:sum8:entry /arg0 < 4 && arg0 % 2 == 0/ { commit(self->s); } pid$target:a.out:sum8:entry /arg0 < 4 && arg0 % 2/ { discard(self->s); }"#, "calls 10"),
        (#"pid$target:a.out:sum8:entry /arg0 == 2/ { printf("%d\n", *(int *)arg0); }"#, "calls 5"),
        (#"pid$target:libc.so.6:labs:return /arg1 > 996/ { printf("%d %s\n", arg1, probemod); }"#, "calls 1000"),
        (#"pid$target:a.out:sum8:entry /arg0 == 1/ { printf("%d %d %d %d %d\n", ppid == $pid, uid, gid, vtimestamp > 0, cpu >= 0); }"#, "calls 3"),
        (#"pid$target:a.out:sum8:entry /arg0 == 1/ { printf("%d %x %x %x\n", uregs[R_FS] != 0, uregs[R_GS], uregs[R_DS], uregs[R_ES]); }"#, "calls 3"),
        // evaltime=postinit (the default): neither engine sees the dynamic linker's opens.
        (#"syscall::openat:entry /pid == $target/ { n++; } pid$target:a.out:sum8:entry /arg0 == 1/ { printf("%d opens before sum8\n", n); }"#, "calls 3"),
    ]

    @Test(arguments: 0..<differentialScripts.count)
    func sameOutputAsTheKernelEngine(_ index: Int) throws {
        let (script, command) = Self.differentialScripts[index]
        let arguments = ["-qn", script, "-c", "\(KernelHarness.workload) \(command)"]
        let traced = try Harness.run(["-x", "engine=ptrace"] + arguments, pinned: false)
        let kernel = try Harness.run(["-x", "engine=kernel"] + arguments, pinned: false)
        let pids = { (text: String) in
            text.replacingOccurrences(of: #"pid [0-9]+ "#, with: "pid N ", options: .regularExpression)
                .replacingOccurrences(of: #"pid[0-9]+:"#, with: "pidN:", options: .regularExpression)
        }
        #expect(traced.status == 0 && kernel.status == 0, "\(traced.stderr) \(kernel.stderr)")
        #expect(!traced.stdout.isEmpty || traced.stderr.contains("error in dt_clause_"))
        #expect(traced.stdout == kernel.stdout)
        #expect(pids(traced.stderr) == pids(kernel.stderr))
    }

    @Test func eightThreadsOnOneProbeCountExactly() throws {
        let result = try Harness.run(["-x", "engine=ptrace", "-qn", "pid$target:a.out:sum8:entry { @ = count(); }",
                                      "-c", "\(KernelHarness.workload) threads 8 1000000"], pinned: false)
        #expect(result.stdout == "threads=8 bad=0\n\n          1000000\n", "\(result.stderr)")
        #expect(result.status == 0)
    }

    @Test func forkedChildrenRunWithoutTheBreakpoints() throws {
        // Only the traced process's own 500 calls count; the child, a copy of its memory,
        // exits 3 after its calls, and neither ever sees a SIGTRAP.
        let result = try Harness.run(["-x", "engine=ptrace", "-qn", "pid$target:a.out:sum8:entry { @ = count(); } pid$target:a.out:sum8:return { @r = sum(arg1); }",
                                      "-c", "\(KernelHarness.workload) forks 500"], pinned: false)
        #expect(result.stdout == "child=3 sigtrap=0\n\n              500\n           197250\n", "\(result.stderr)")
        #expect(result.status == 0)
        // With system call probes the command runs under a seccomp filter that its child
        // inherits: the child stays traced, so its filtered calls (exit_group, wait4) work.
        let filtered = try Harness.run(["-x", "engine=ptrace", "-qn", "syscall::exit_group:entry, syscall::wait4:return { @[probefunc] = count(); }",
                                        "-c", "\(KernelHarness.workload) forks 500"], pinned: false)
        #expect(filtered.stdout == "child=3 sigtrap=0\n\n  exit_group                                                        1\n  wait4                                                             1\n",
                "\(filtered.stderr)")
        #expect(filtered.status == 0)
    }

    @Test func librariesAreProbedBeforeTheirInitializersRun() throws {
        // __libc_early_init runs in the dynamic linker, before the program's entry point:
        // seen from the exec on (evaltime=exec or preinit; postinit, the default, starts after it).
        let script = "pid$target:libc.so.6:__libc_early_init:entry, pid$target:a.out:main:entry { @[probefunc] = count(); }"
        let traced = try Harness.run(["-x", "engine=ptrace", "-x", "evaltime=preinit", "-qn", script, "-c", "\(KernelHarness.workload) calls 1"], pinned: false)
        #expect(traced.stdout == "\n  __libc_early_init                                                 1\n  main                                                              1\n", "\(traced.stderr)")
        #expect(traced.status == 0)
    }

    @Test func signalsPassThroughUnchanged() throws {
        // 500 SIGUSR1s the workload sends itself reach its handler; no SIGTRAP ever does.
        let result = try Harness.run(["-x", "engine=ptrace", "-qn", "pid$target:a.out:sum8:entry { @calls = count(); } syscall::kill:return /arg1 == 0/ { @kills = count(); }",
                                      "-c", "\(KernelHarness.workload) signals 500"], pinned: false)
        #expect(result.stdout == "handled=500 sigtrap=0\n\n              500\n              500\n", "\(result.stderr)")
        #expect(result.status == 0)
    }

    @Test func execRetiresThePidProbes() throws {
        // 500 calls, then the workload execs itself for 500 more: DTrace's pid probes do
        // not follow a process into a new program; the execve's return is seen in it.
        let result = try Harness.run(["-x", "engine=ptrace", "-qn", "pid$target:a.out:sum8:entry { @calls = count(); } syscall::execve:return { @execs[arg1] = count(); }",
                                      "-c", "\(KernelHarness.workload) reexec 500"], pinned: false)
        #expect(result.stdout == "\n              500\n                0                1\n", "\(result.stderr)")
        #expect(result.status == 0)
    }

    @Test func runningProcessTracedAndLeftAsItWas() throws {
        let workload = try PidProviderTests.pacedWorkload(rate: 500)
        defer { kill(workload.processIdentifier, SIGKILL); workload.waitUntilExit() }
        let pid = workload.processIdentifier
        let description = "pid\(pid):libc.so.6:syscall:entry"
        let fileOffset = try PidProviderTests.probedFileOffset(description)
        let result = try Harness.run(["-x", "engine=ptrace", "-qn", "\(description) { @ = count(); } syscall::getpid:return { @calls = count(); } tick-500ms { exit(0); }",
                                      "-p", "\(pid)"], pinned: false)
        let counts = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] > 50 && counts[0] < 2000 && abs(counts[0] - counts[1]) <= 1, "\(result.stdout) \(result.stderr)")
        #expect(result.status == 0)
        // Detached at once: the code is the file's again, nothing traces the process, it runs on.
        let code = try PidProviderTests.code(pid: pid, library: "libc.so.6", fileOffset: fileOffset)
        #expect(code.memory == code.file)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("\nTracerPid:\t0\n"))
        usleep(100_000)
        #expect(workload.isRunning)
    }

    /// -p's system calls stop twice (PTRACE_SYSCALL): the entry's arguments come with its
    /// stop and agree with the registers read when a clause asks for them; the exit stop is
    /// read only for a return probe, whose value and errno come from the registers.
    @Test func attachedProcessSystemCallsKeepArgumentsAndValues() throws {
        let workload = try PidProviderTests.pacedWorkload(rate: 1000)
        defer { kill(workload.processIdentifier, SIGKILL); workload.waitUntilExit() }
        let script = #"""
            syscall::getpid:entry { @agree = min(arg0 == uregs[R_RDI] && arg1 == uregs[R_RSI] && arg3 == uregs[R_R10] && uregs[R_RIP] != 0); @entries = count(); }
            syscall::getpid:return { @value = min(arg1 == $target && arg0 == $target && errno == 0); @returns = count(); }
            tick-400ms { exit(0); }
            END { printa("agree %@d value %@d\n", @agree, @value); printa("%@d %@d\n", @entries, @returns); }
            """#
        let result = try Harness.run(["-x", "engine=ptrace", "-qn", script, "-p", "\(workload.processIdentifier)"], pinned: false)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "agree 1 value 1", "\(result.stdout) \(result.stderr)")
        let counts = lines.dropFirst().first?.split(separator: " ").compactMap { Int($0) } ?? []
        #expect(counts.count == 2 && counts[0] > 100 && abs(counts[0] - counts[1]) <= 1, "\(result.stdout)")
        #expect(result.status == 0)
        // Left as it was, though the thread was caught at a system-call stop when dtrace let
        // go: no SIGTRAP handler of the guardian's, no page of dtrace's, nobody tracing it.
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let pid = workload.processIdentifier
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("\nTracerPid:\t0\n"))
        #expect(status.contains("\nSigCgt:\t0000000000000000\n"), "\(status)")
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
        let anonymousCode = maps.split(separator: "\n").filter { $0.contains(" r-xp ") && $0.split(separator: " ").count == 5 }
        #expect(anonymousCode.isEmpty, "\(maps)")
        usleep(50_000)
        #expect(workload.isRunning)
    }

    /// Ctrl-C and SIGTERM end tracing the ordinary way (END, the aggregations) and leave a
    /// -p process as it was: its code the file's, untraced, running.
    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedDtraceLeavesTheProcessAsItWas(_ signal: Int32) throws {
        let workload = try PidProviderTests.pacedWorkload(rate: 2000)
        defer { kill(workload.processIdentifier, SIGKILL); workload.waitUntilExit() }
        let pid = workload.processIdentifier
        let dtrace = Process()
        dtrace.executableURL = URL(fileURLWithPath: Harness.binary)
        dtrace.arguments = ["-x", "engine=ptrace", "-qn", "pid\(pid):libc.so.6:syscall:entry { @calls = count(); } pid\(pid):libc.so.6:syscall:return { @returns = count(); } END { printf(\"end\\n\"); }",
                            "-p", "\(pid)"]
        let out = Pipe()
        dtrace.standardOutput = out
        dtrace.standardError = FileHandle.nullDevice
        try dtrace.run()
        usleep(700_000)
        kill(dtrace.processIdentifier, signal)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        dtrace.waitUntilExit()
        #expect(dtrace.terminationStatus == 0)
        let lines = stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "end", "\(stdout)")
        let counts = lines.compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] > 100 && abs(counts[0] - counts[1]) <= 1, "\(stdout)")
        let fileOffset = try PidProviderTests.probedFileOffset("pid\(pid):libc.so.6:syscall:entry")
        let code = try PidProviderTests.code(pid: pid, library: "libc.so.6", fileOffset: fileOffset)
        #expect(code.memory == code.file)
        #expect(try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8).contains("\nTracerPid:\t0\n"))
        usleep(100_000)
        #expect(workload.isRunning)
    }

    /// Every syscall probe has its call's number (the tracepoints named otherwise than the
    /// calls — sendfile64, umount, uprobe — included), so `syscall:::entry` runs here too.
    @Test func everySystemCallProbe() throws {
        let result = try Harness.run(["-x", "engine=ptrace", "-qn", "syscall:::entry /probefunc == \"exit_group\"/ { @ = count(); }", "-c", "/bin/true"], pinned: false)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(result.stdout) \(result.stderr)")
        #expect(result.status == 0)
    }

    /// tick-N clauses fire on time while the traced process stops all the time: the wait
    /// between stops is woken by one timer moved to the next tick, not armed per wait.
    @Test func ticksKeepTimeBetweenStops() throws {
        let result = try Harness.run(["-x", "engine=ptrace", "-qn",
                                      "pid$target:a.out:plain_sum:entry { @hits = count(); } tick-50ms { @ticks = count(); } tick-1s { exit(0); } END { printa(\"%@d %@d\\n\", @ticks, @hits); }",
                                      "-c", "\(KernelHarness.workload) calls 2000000000"], pinned: true)
        let fields = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(fields.count == 2, "\(result.stdout) \(result.stderr)")
        // About 19 ticks of 50 ms before the 1 s one ends it (a loaded machine may lose one or two); many thousands of hits.
        #expect(fields.count == 2 && (15...21).contains(fields[0]) && fields[1] > 10_000, "\(result.stdout)")
        #expect(result.status == 0)
    }

    /// The guardian traces dtrace's tracing thread, so a signal sent to dtrace stops it for
    /// the guardian: the stops of dtrace's tracee must not each send dtrace a SIGCHLD (the
    /// guardian would wake twice for each of them). It sleeps through a busy trace.
    @Test func guardianSleepsThroughTheTracesStops() throws {
        let workload = try PidProviderTests.pacedWorkload(rate: 2000)
        defer { kill(workload.processIdentifier, SIGKILL); workload.waitUntilExit() }
        // Started with no signal blocked, as from a shell (the test runner's threads block
        // SIGCHLD, and a child inherits the mask).
        let dtrace = Process()
        dtrace.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        dtrace.arguments = ["-e", "use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec @ARGV", Harness.binary,
                            "-x", "engine=ptrace", "-qn", "syscall::getpid:entry { @calls = count(); } tick-1500ms { exit(0); }",
                            "-p", "\(workload.processIdentifier)"]
        let out = Pipe()
        dtrace.standardOutput = out
        dtrace.standardError = FileHandle.nullDevice
        try dtrace.run()
        defer { if dtrace.isRunning { kill(dtrace.processIdentifier, SIGKILL) }; dtrace.waitUntilExit() }
        func field(_ name: String, of pid: Int32) -> Int? {
            guard let text = SystemFiles.readSmallTextFile("/proc/\(pid)/status"),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return Int(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        var guardian: Int32 = 0
        for _ in 0..<200 where guardian == 0 {
            usleep(5_000)
            guardian = Int32(field("TracerPid", of: dtrace.processIdentifier) ?? 0)
        }
        try #require(guardian != 0, "no guardian traces dtrace")
        let before = (field("voluntary_ctxt_switches", of: guardian) ?? 0) + (field("nonvoluntary_ctxt_switches", of: guardian) ?? 0)
        usleep(700_000)
        let after = (field("voluntary_ctxt_switches", of: guardian) ?? 0) + (field("nonvoluntary_ctxt_switches", of: guardian) ?? 0)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        dtrace.waitUntilExit()
        let calls = Int(stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        // ~1,400 calls (2,800 stops) in those 0.7 s; the guardian wakes for a few signals.
        #expect(calls > 1000, "\(stdout)")
        #expect(after - before < 100, "the guardian was switched to \(after - before) times")
        #expect(dtrace.terminationStatus == 0)
    }

    /// dtrace SIGKILLed while it traces a -p process whose four threads hit the probe
    /// non-stop: the guardian restores the process, which finishes with every result
    /// right, never killed by a SIGTRAP (five kills at different moments).
    @Test func killedDtraceLeavesTheProcessHealthy() throws {
        for attempt in 0..<5 {
            let workload = Process()
            workload.executableURL = URL(fileURLWithPath: KernelHarness.workload)
            workload.arguments = ["threads", "4", "200000000"]
            let out = Pipe()
            workload.standardOutput = out
            try workload.run()
            usleep(100_000)
            let dtrace = Process()
            dtrace.executableURL = URL(fileURLWithPath: Harness.binary)
            dtrace.arguments = ["-x", "engine=ptrace", "-qn", "pid$target:a.out:sum8:entry { @ = count(); }", "-p", "\(workload.processIdentifier)"]
            dtrace.standardOutput = FileHandle.nullDevice
            dtrace.standardError = FileHandle.nullDevice
            try dtrace.run()
            usleep(UInt32(400_000 + 150_000 * attempt))
            kill(dtrace.processIdentifier, SIGKILL)
            dtrace.waitUntilExit()
            let report = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            workload.waitUntilExit()
            #expect(workload.terminationReason == .exit && workload.terminationStatus == 0, "attempt \(attempt): \(workload.terminationReason) \(workload.terminationStatus)")
            #expect(report == "threads=4 bad=0\n", "attempt \(attempt)")
        }
    }

    @Test func unprivilegedUserCannotGrabAnotherUsersProcess() throws {
        let scratch = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // init is root's: refused before anything is said of the probes.
        let result = try Unprivileged.run(["-n", "syscall::read:entry", "-p", "1"], in: scratch)
        #expect(result.stderr == "dtrace: failed to grab pid 1: Operation not permitted\n")
        #expect(result.stdout == "")
        #expect(result.status == 1)
    }

    /// copyinstr(address, size): size counts the NUL, as in DTrace — at most size - 1
    /// characters — in both engines.
    @Test func copyinstrSizeCountsTheNul() throws {
        let script = "syscall::openat:entry /pid == $target && copyinstr(arg1) == \"/etc/hostname\"/ { printf(\"%s|%s|%s|\\n\", copyinstr(arg1, 5), copyinstr(arg1, 1), copyinstr(arg1, 64)); }"
        for engine in ["ptrace", "kernel"] {
            let result = try Harness.run(["-x", "engine=\(engine)", "-qn", script, "-c", "/bin/cat /etc/hostname"], pinned: false)
            #expect(result.stdout.contains("/etc||/etc/hostname|\n"), "\(engine): \(result.stdout) \(result.stderr)")
        }
    }

    /// copyout/copyoutstr write the process's buffer before write(2) reads it: the
    /// string with its NUL, or only `size` bytes of it. The kernel engine writes with
    /// bpf_probe_write_user, which a locked-down kernel withholds: then it says so.
    @Test(arguments: [("copyoutstr(s, arg1, 64)", "HELLO WORLD|-----"), ("copyoutstr(s, arg1, 8)", "HELLO WO---------"),
                      ("copyout(s, arg1, 5)", "HELLO------------"), ("copyout(s, arg1, 12)", "HELLO WORLD|-----")])
    func copyoutWritesTheProcessMemory(_ call: String, _ expected: String) throws {
        let script = "syscall::write:entry /pid == $target && arg0 != 1/ { s = \"HELLO WORLD\"; \(call); }"
        let command = "\(KernelHarness.workload) overwrite 1"
        // The process's line, then dtrace's blank line at its end.
        let expectedLine = expected + String(repeating: "-", count: 63 - expected.count) + "\n\n"
        let traced = try Harness.run(["-x", "engine=ptrace", "-qw", "-n", script, "-c", command], pinned: false)
        #expect(traced.stdout == expectedLine, "\(traced.stderr)")
        #expect(traced.status == 0)
        let kernel = try Harness.run(["-qw", "-n", script, "-c", command], pinned: false)
        if kernel.status == 0 {
            #expect(kernel.stdout == expectedLine)
        } else {
            #expect(kernel.stderr == "dtrace: copyout() and copyoutstr() cannot work in the kernel engine here: the kernel refuses BPF writes to user memory (kernel lockdown); with -c or -p, -x engine=ptrace writes the process's memory\n")
        }
        let refused = try Harness.run(["-x", "engine=ptrace", "-q", "-n", script, "-c", command], pinned: false)
        #expect(refused.stderr == "dtrace: could not enable tracing: Destructive actions not allowed\n")
        #expect(refused.status == 1)
    }

    @Test(arguments: [
        (["-x", "engine=ptrace", "-n", "BEGIN { exit(0); } syscall::getpid:entry { }"],
         "dtrace: the ptrace engine traces only a process named with -c or -p: none was given\n"),
        (["-x", "engine=ptrace", "-n", "sched:::on-cpu { }", "-c", "WORKLOAD getpid 1"],
         "dtrace: probe sched:vmlinux::on-cpu cannot be traced with ptrace: only pid, usdt and syscall probes of the -c or -p process can\n"),
    ])
    func refusalsInOneLine(_ arguments: [String], _ expected: String) throws {
        let result = try Harness.run(arguments.map { $0.replacingOccurrences(of: "WORKLOAD", with: KernelHarness.workload) }, pinned: false)
        #expect(result.stderr == expected)
        #expect(result.status == 1)
    }
}
