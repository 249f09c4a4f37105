// DTraceCLITests/PidProviderTests: the pid provider end to end on the real kernel — exact
// entry and return counts on the workload's functions (one beginning with endbr64, one
// with push %rbp, one in libc), arguments from registers and the stack, return values,
// offset probes on instructions the kernel steps out of line, listings with -c, tracing a
// running process with -p and leaving its code as it was, and DTrace's messages for
// missing processes, functions, modules and 32-bit programs. Needs root (BPF, uprobes);
// always runs under CI=true.

import DTraceSystem
import DTraceELF
import Foundation
import Testing

@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct PidProviderTests {
    static let calls = 1000

    /// Through uprobe_multi links, and as one perf event per probe (older kernels).
    @Test(arguments: ["multi", "perf"])
    func entryAndReturnCountsArgumentsAndReturnValues(_ attachment: String) throws {
        let script = """
        pid$target:a.out:sum8:entry { @entries = count(); @sixth = sum(arg6); @seventh = max(arg7); @first = sum(arg0); }
        pid$target:a.out:sum8:return { @returns = count(); @values = sum(arg1); @offsets = max(arg0); }
        END { printa("%@d %@d %@d %@d %@d %@d %@d\\n", @entries, @returns, @sixth, @seventh, @first, @values, @offsets); }
        """
        let result = try Harness.run(["-x", "uprobes=\(attachment)", "-qn", script, "-c", "\(KernelHarness.workload) calls \(Self.calls)"], pinned: false)
        let n = Self.calls
        // sum8(i, 1, 2, 3, 4, 5, 60, 70) returns i + 145; arg0 of a return probe is 0, as Oracle's DTrace gives it.
        #expect(result.stdout == "\(n) \(n) \(60 * n) 70 \(n * (n - 1) / 2) \(n * (n - 1) / 2 + 145 * n) 0\n\n")
        #expect(result.status == 0)
    }

    /// The kernel runs a uprobe's programs newest first; clauses still run in program
    /// order, so a thread-local set by one clause is seen by the next in the same firing.
    @Test(arguments: ["multi", "perf"])
    func clausesRunInProgramOrder(_ attachment: String) throws {
        let script = """
        pid$target:a.out:sum8:entry /arg0 < 2/ { self->s = arg0 + 5; printf("one "); }
        pid$target:a.out:sum8:entry /arg0 < 2/ { printf("two %d ", self->s); }
        pid$target:a.out:sum8:entry /arg0 < 2/ { printf("three\\n"); }
        pid$target:a.out:sum8:return /arg1 < 147/ { printf("r1 "); }
        pid$target:a.out:sum8:return /arg1 < 147/ { printf("r2\\n"); }
        """
        let result = try Harness.run(["-x", "uprobes=\(attachment)", "-qn", script, "-c", "\(KernelHarness.workload) calls 5"], pinned: false)
        #expect(result.stdout == "one two 5 three\nr1 r2\none two 6 three\nr1 r2\n\n", "\(result.stderr)")
        #expect(result.status == 0)
    }

    @Test func probeNamesAndEachKindOfFirstInstruction() throws {
        // sum8 begins with endbr64 (the probe goes after it), plain_sum with push %rbp,
        // labs is libc's; each clause shares one program across its probes.
        let script = """
        pid$target:a.out:sum8:entry, pid$target:a.out:plain_sum:entry, pid$target:libc.so.6:labs:entry, pid$target::labs:return
        { @[probeprov == strjoin("pid", lltostr($target)) ? "pid$target" : probeprov, probemod, probefunc, probename] = count(); }
        """
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) calls \(Self.calls)"], pinned: false)
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.sorted() == ["pid$target libc.so.6 labs entry \(Self.calls)", "pid$target libc.so.6 labs return \(Self.calls)",
                                  "pid$target workload plain_sum entry \(Self.calls)", "pid$target workload sum8 entry \(Self.calls)"])
        #expect(result.status == 0)
    }

    @Test func userRegistersByOracleNames() throws {
        // At sum8's entry (i = 5): rdi = 5, rsi = 1, r9 = 5 (the sixth argument); R_PC is
        // R_RIP and R_EDI R_RDI (Oracle's aliases); R_FS and R_GS are the thread's fsbase (glibc's
        // thread pointer) and gsbase (unused by x86-64 programs: 0).
        let script = "pid$target:a.out:sum8:entry /arg0 == 5/ { "
            + "printf(\"%d %d %d %d %d %d %d\\n\", uregs[R_RDI], uregs[R_RSI], uregs[R_R9], uregs[R_PC] == uregs[R_RIP], uregs[R_EDI], uregs[R_GS], uregs[R_FS] != 0); }"
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) calls 10"], pinned: false)
        #expect(result.stdout == "5 1 5 1 5 0 1\n\n")
        #expect(result.status == 0)
    }

    @Test func verboseListingSaysWhichSitesAreSteppedOutOfLine() throws {
        let result = try Harness.run(["-lv", "-n", "pid$target:a.out:sum8:4,pid$target:a.out:sum8:5", "-c", "\(KernelHarness.workload) calls 1"], pinned: false)
        let sites = result.stdout.components(separatedBy: "\tProbe Site\n").dropFirst().map { $0.split(separator: "\n")[1].trimmingCharacters(in: .whitespaces) }
        #expect(sites == ["instruction emulated by the kernel's uprobes (cheap)",
                          "instruction single-stepped out of line by the kernel (costly: several microseconds a hit)"])
        #expect(result.status == 0)
    }

    @Test func everyLibcFunctionInOneClause() throws {
        let result = try Harness.run(["-qn", "pid$target:libc.so.6::entry /probefunc == \"labs\"/ { @[probefunc] = count(); }",
                                      "-c", "\(KernelHarness.workload) calls \(Self.calls)"], pinned: false)
        #expect(result.stdout == "\n  labs                                                           \(Self.calls)\n")
        #expect(result.status == 0)
    }

    @Test func offsetProbesOnSteppedInstructions() throws {
        // sum8: endbr64 (0), push %rbp (4), mov %rsp,%rbp (5), add %rsi,%rdi (8): the mov
        // and the add are stepped out of line by the kernel.
        let listing = try Harness.run(["-l", "-n", "pid$target:a.out:sum8:", "-c", "\(KernelHarness.workload) calls 1"], pinned: false)
        let names = listing.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(Array(names.prefix(6)) == ["entry", "return", "0", "4", "5", "8"])
        let result = try Harness.run(["-qn", "pid$target:a.out:sum8:5, pid$target:a.out:sum8:8 { @[probename] = count(); }",
                                      "-c", "\(KernelHarness.workload) calls \(Self.calls)"], pinned: false)
        #expect(result.stdout == "\n  5                                                              \(Self.calls)\n  8                                                              \(Self.calls)\n")
        #expect(result.status == 0)
    }

    @Test func listingWithTarget() throws {
        let result = try Harness.run(["-l", "-n", "pid$target:a.out:sum8:entry,pid$target:a.out:sum8:return", "-c", "\(KernelHarness.workload) calls 1"], pinned: false)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "   ID   PROVIDER            MODULE                          FUNCTION NAME")
        #expect(lines.count == 3)
        for (line, name) in zip(lines.dropFirst(), ["entry", "return"]) {
            let fields = line.split(separator: " ").map(String.init)
            #expect(fields.count == 5 && fields[1].hasPrefix("pid") && fields[2] == "workload" && fields[3] == "sum8" && fields[4] == name, "\(line)")
        }
        #expect(result.status == 0)
    }

    /// The workload calling getpid through libc's syscall() `rate` times a second for a
    /// minute (the caller kills it once checked), started 200 ms ago.
    static func pacedWorkload(rate: Int) throws -> Process {
        let workload = Process()
        workload.executableURL = URL(fileURLWithPath: KernelHarness.workload)
        workload.arguments = ["paced", "\(rate)", "60"]
        try workload.run()
        usleep(200_000)
        return workload
    }

    /// The file offset in libc.so.6 of the probe `description` of process `pid` (dtrace
    /// -lv names the file and offset).
    static func probedFileOffset(_ description: String) throws -> UInt64 {
        let listing = try Harness.run(["-lv", "-n", description], pinned: false)
        let site = try #require(listing.stdout.split(separator: "\n").first { $0.contains(" at file offset 0x") })
        return try #require(UInt64(site.split(separator: " ").last!.dropFirst(2), radix: 16))
    }

    @Test func runningProcessTracedAndLeftAsItWas() throws {
        let workload = try Self.pacedWorkload(rate: 500)
        defer { kill(workload.processIdentifier, SIGKILL); workload.waitUntilExit() }
        let pid = workload.processIdentifier
        let description = "pid\(pid):libc.so.6:syscall:entry"
        let fileOffset = try Self.probedFileOffset(description)
        let before = try Self.code(pid: pid, library: "libc.so.6", fileOffset: fileOffset)
        let result = try Harness.run(["-qn", "\(description) { @ = count(); } tick-500ms { exit(0); }", "-p", "\(pid)"], pinned: false)
        let count = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(count > 50 && count < 2000, "\(result.stdout) \(result.stderr)")
        #expect(result.status == 0)
        // The breakpoint is gone (the links close in dtrace's background child, within a
        // second): the probed instruction is the file's again. (The whole text is not
        // compared: other tracers on the machine may have breakpoints of their own.)
        #expect(workload.isRunning)
        var restored = false
        for _ in 0..<50 where !restored {
            let now = try Self.code(pid: pid, library: "libc.so.6", fileOffset: fileOffset)
            restored = now.memory == now.file
            if !restored { usleep(100_000) }
        }
        #expect(restored)
        #expect(before.memory == before.file)
    }

    /// 16 bytes of `library` at `fileOffset`: as process `pid` has them mapped, and as the file holds them.
    static func code(pid: Int32, library: String, fileOffset: UInt64) throws -> (memory: Data, file: Data) {
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
        for line in maps.split(separator: "\n") where line.contains(library) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let range = fields[0].split(separator: "-").compactMap { UInt64($0, radix: 16) }
            guard fields.count >= 6, range.count == 2, let mappedOffset = UInt64(fields[2], radix: 16),
                  fileOffset >= mappedOffset, fileOffset + 16 <= mappedOffset + (range[1] - range[0]) else { continue }
            let memory = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pid)/mem"))
            try memory.seek(toOffset: range[0] + (fileOffset - mappedOffset))
            let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: String(fields[5])))
            try file.seek(toOffset: fileOffset)
            return (try memory.read(upToCount: 16) ?? Data(), try file.read(upToCount: 16) ?? Data())
        }
        return (Data(), Data([1]))
    }

    /// A C program built here with frame pointers: main -> outer -> middle -> leaf, twice
    /// per iteration, where leaf (written in assembly, so every compiler makes it the same)
    /// makes no frame and begins with lea, not push %rbp or endbr64.
    static func framesProgram(in directory: URL) throws -> String {
        let source = directory.appendingPathComponent("frames.c").path, program = directory.appendingPathComponent("frames").path
        try """
            #include <unistd.h>
            __asm__(".text\\n.globl leaf\\n.type leaf, @function\\nleaf:\\n\\tlea 7(%rdi,%rdi,2), %rax\\n\\tret\\n.size leaf, .-leaf\\n");
            long leaf(long x);
            __attribute__((noinline)) long middle(long x) { long r = leaf(x); return leaf(r) + 1; }
            __attribute__((noinline)) long outer(long x) { return middle(x) + 2; }
            int main(void) { long t = 0; for (int i = 0; i < 20; i++) { t += outer(i); usleep(20000); } return t == 1; }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let built = try Harness.runProgram("/usr/bin/env", ["cc", "-O1", "-fno-omit-frame-pointer", "-fcf-protection=full", "-o", program, source])
        try #require(built.status == 0, "cc failed: \(built.stderr)")
        return program
    }

    /// At a function's entry the function has made no frame yet: ustack() names it, then
    /// its caller (the return address on top of the stack), then the caller's callers;
    /// ucaller is that caller and ustackdepth counts it — whether or not the kernel's own
    /// walk notices the entry (Linux 6.12 does for push %rbp and endbr64, not for leaf's
    /// lea). Return and offset probes keep the kernel's walk. Both engines agree.
    @Test func userStacksAtEntryNameTheCaller() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-frames-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = try Self.framesProgram(in: directory)
        func frames(_ engine: String, _ probe: String) throws -> [String] {
            let script = "pid$target:a.out:\(probe) /probename != \"entry\" || arg0 == 1/ { ustack(4); usym(ucaller); printf(\"\\n%d\\n\", ustackdepth); exit(0); }"
            let result = try Harness.run(["-x", "engine=\(engine)", "-qn", script, "-c", program], pinned: false)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .map { $0.replacingOccurrences(of: #"\+0x[0-9a-f]+$"#, with: "+", options: .regularExpression)
                         .replacingOccurrences(of: #"`0x[0-9a-f]+$"#, with: "`0x", options: .regularExpression) }
        }
        var outputs: [String: [String]] = [:]
        for engine in ["kernel", "ptrace"] {
            // leaf begins with lea: no kernel adds its caller by itself. Lines: four frames,
            // usym(ucaller), ustackdepth.
            let leaf = try frames(engine, "leaf:entry")
            #expect(Array(leaf.prefix(5)) == ["frames`leaf", "frames`middle+", "frames`outer+", "frames`main+", "frames`middle"], "\(engine): \(leaf)")
            // middle begins with endbr64, push %rbp: its caller once, not twice.
            let middle = try frames(engine, "middle:entry")
            #expect(Array(middle.prefix(3)) == ["frames`middle+", "frames`outer+", "frames`main+"] && middle.count == 6 && middle[4] == "frames`outer",
                    "\(engine): \(middle)")
            #expect(leaf.count == 6 && middle.count == 6 && Int(leaf[5]) == Int(middle[5]).map { $0 + 1 }, "\(engine): \(leaf) \(middle)")
            // A return fires at the return address, in the caller; an offset probe past the
            // frame's making walks it.
            let returned = try frames(engine, "middle:return")
            #expect(Array(returned.prefix(2)) == ["frames`outer+", "frames`main+"] && returned.count >= 4 && returned[returned.count - 2] == "frames`main", "\(engine): \(returned)")
            let offset = try frames(engine, "middle:8")
            #expect(Array(offset.prefix(3)) == ["frames`middle+", "frames`outer+", "frames`main+"] && offset[4] == "frames`outer", "\(engine): \(offset)")
            outputs[engine] = leaf + middle + returned + offset
        }
        #expect(outputs["kernel"] == outputs["ptrace"])
        // maxframes caps ustackdepth and ustack(); a stripped libc is named from its
        // build-id debug file (Debian's libc6-dbg, which CI installs).
        let debugInstalled = (try? ELFObject.load(path: "/lib/x86_64-linux-gnu/libc.so.6").get())?.debugFile() != nil
        #expect(debugInstalled || ProcessInfo.processInfo.environment["CI"] != "true", "libc6-dbg is not installed")
        for engine in ["kernel", "ptrace"] {
            let capped = try Harness.run(["-x", "engine=\(engine)", "-x", "maxframes=2", "-qn",
                                          "pid$target:a.out:leaf:entry /arg0 == 1/ { printf(\"%d\\n\", ustackdepth); ustack(); exit(0); }", "-c", program], pinned: false)
            let lines = capped.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            #expect(lines.count == 3 && lines.first == "2" && lines[1] == "frames`leaf", "\(engine): \(capped.stdout) \(capped.stderr)")
            let whole = try Harness.run(["-x", "engine=\(engine)", "-qn", "pid$target:a.out:leaf:entry /arg0 == 1/ { ustack(); exit(0); }", "-c", program], pinned: false)
            if debugInstalled {
                #expect(whole.stdout.contains("libc.so.6`__libc_start_call_main+0x"), "\(engine): \(whole.stdout)")
            }
        }
    }

    @Test(arguments: [
        ("pid999999:::entry", [String](), "dtrace: invalid probe specifier pid999999:::entry: failed to grab process 999999\n"),
        ("pid$target:a.out:nosuch:entry", ["-c", "WORKLOAD"], "dtrace: invalid probe specifier pid$target:a.out:nosuch:entry: failed to lookup 'nosuch' in module 'a.out'\n"),
        ("pid$target:nosuchlib.so::entry", ["-c", "WORKLOAD"], "dtrace: invalid probe specifier pid$target:nosuchlib.so::entry: probe description pidPID:nosuchlib.so::entry does not match any probes\n"),
        ("pid$target:::entry", ["-c", "IA32"], "dtrace: invalid probe specifier pid$target:::entry: process PID cannot be traced: IA32: is a 32-bit ELF file\n"),
    ])
    func badProbesSayWhy(_ description: String, _ options: [String], _ expected: String) throws {
        let ia32 = URL(fileURLWithPath: KernelHarness.workload).deletingLastPathComponent().appendingPathComponent("ia32").path
        let arguments = ["-n", description] + options.map { $0 == "WORKLOAD" ? KernelHarness.workload : $0 == "IA32" ? ia32 : $0 }
        let result = try Harness.run(arguments, pinned: false)
        #expect(result.status == 1)
        let normalized = result.stderr.replacingOccurrences(of: ia32, with: "IA32")
            .replacingOccurrences(of: #"pid[0-9]+:"#, with: "pidPID:", options: .regularExpression)
            .replacingOccurrences(of: #"process [0-9]+ "#, with: "process PID ", options: .regularExpression)
        #expect(normalized == expected.replacingOccurrences(of: "pid999999:", with: "pidPID:"))
    }

    /// A -p process that ends while dtrace matches or places its probes: dtrace says so in
    /// one line and exits 1 (or, ended after its probes were placed, traces it to its end
    /// and exits 0) — never a crash, a hang, or the system call that failed.
    @Test func processEndingWhileProbesArePlaced() throws {
        for delay in ["0.01", "0.05", "0.1", "0.2", "0.4", "0.8", "1.5"] {
            let sleeper = Process()
            sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
            sleeper.arguments = [delay]
            try sleeper.run()
            let pid = sleeper.processIdentifier
            let result = try Harness.run(["-qn", "pid$target:libc.so.6::entry { @ = count(); }", "-p", "\(pid)"], pinned: false)
            sleeper.waitUntilExit()
            let accepted = ["dtrace: invalid probe specifier pid$target:libc.so.6::entry { @ = count(); }: failed to grab process \(pid)\n",
                            "dtrace: No such process\n"]
            if result.status == 1 {
                #expect(accepted.contains(result.stderr) || (result.stderr.hasPrefix("dtrace: failed to enable probe pid\(pid):libc.so.6:")
                            && result.stderr.hasSuffix(": process \(pid) has exited\n") && result.stderr.filter { $0 == "\n" }.count == 1),
                        "sleep \(delay): \(result.stderr)")
            } else {
                #expect(result.status == 0, "sleep \(delay): status \(result.status): \(result.stderr)")
            }
        }
    }
}
