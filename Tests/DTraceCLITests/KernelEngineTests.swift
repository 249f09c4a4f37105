// DTraceCLITests/KernelEngineTests: the kernel engine end to end on the real kernel —
// exact syscall counts of a known child started with -c, return values and errno, real
// tracepoint arguments, profile probes firing, listing, bad input — and the conformance
// corpus run under both engines with identical results (differential tests).
// These need root (BPF, perf events, tracefs). Outside CI a non-root run skips them;
// under CI=true they always run, so a missing kernel interface fails the suite.

import DTraceSystem
import Foundation
import Testing

enum KernelHarness {
    static var available: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true" || geteuid() == 0
    }

    /// The workload program (workload/workload.c beside Package.swift; its modes are listed
    /// there), built with frame pointers so user stacks read traced_getpid, then main; and
    /// beside it `ia32` (workload/ia32.s), a 32-bit program for the compat filter.
    static let workload: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Removed when the test process exits (a forked child has another PID: removes nothing).
        atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-tests-\(getpid())")) }
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../workload").standardized
        let binary = directory.appendingPathComponent("workload").path
        let assembler = Process()
        assembler.executableURL = URL(fileURLWithPath: "/bin/sh")
        assembler.arguments = ["-c", "as --32 -o '\(directory.path)/ia32.o' '\(sources.path)/ia32.s' && ld -m elf_i386 -o '\(directory.path)/ia32' '\(directory.path)/ia32.o'"]
        try? assembler.run()
        assembler.waitUntilExit()
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-O1", "-fno-omit-frame-pointer", "-fcf-protection=full", "-o", binary, sources.appendingPathComponent("workload.c").path]
        try? compiler.run()
        compiler.waitUntilExit()
        return binary
    }()
}

@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct KernelEngineTests {
    @Test func countsExactGetpidCallsOfTarget() throws {
        let result = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { @calls[probefunc] = count(); }",
                                      "-c", "\(KernelHarness.workload) getpid 12345"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "\n  getpid                                                        12345\n")
        #expect(result.stderr == "", "a normal end goes unremarked, as in Oracle's dtrace")
    }

    /// Both ways of attaching system call probes (raw_syscalls for a few, the syscalls
    /// tracepoints otherwise) count, read arguments and return values alike.
    @Test(arguments: ["raw", "tracepoint"])
    func syscallProbesAttachedEitherWay(_ choice: String) throws {
        let counted = try Harness.run(["-x", "syscallprobes=\(choice)", "-qn", "syscall::getpid:entry /pid == $target/ { @calls[probefunc] = count(); }",
                                       "-c", "\(KernelHarness.workload) getpid 4321"], pinned: false)
        #expect(counted.status == 0)
        #expect(counted.stdout == "\n  getpid                                                         4321\n")
        let closes = try Harness.run(["-x", "syscallprobes=\(choice)", "-qn", "syscall::close:entry /pid == $target && (int)arg0 == -1/ { @entry = count(); } syscall::close:return /pid == $target && errno != 0/ { @[arg0, arg1, errno] = count(); }",
                                      "-c", "\(KernelHarness.workload) badclose 5"], pinned: false)
        #expect(closes.status == 0)
        #expect(closes.stdout == "\n                5\n               -1               -1        9                5\n")
    }

    /// progenyof($target) holds in the target and in the child it forks (the kernel
    /// engine walks real_parent), not in other processes.
    @Test func progenyofFollowsTheParents() throws {
        let result = try Harness.run(["-qn", "syscall::exit_group:entry /progenyof($target)/ { @[pid == $target ? \"parent\" : \"child\"] = count(); }",
                                      "-c", "\(KernelHarness.workload) forks 10"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("\n  child                                                             1\n  parent                                                            1\n"), "\(result.stdout)")
    }

    @Test func manySyscallProbesStayOnTracepoints() throws {
        // More than eight probes: each on its own syscalls tracepoint.
        let result = try Harness.run(["-qn", "syscall::get*:entry /pid == $target/ { @calls[probefunc] = count(); }",
                                      "-c", "\(KernelHarness.workload) getpid 777"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout.contains("\n  getpid                                                          777\n"))
        let few = try Harness.run(["-S", "-qn", "syscall::getpid:entry /pid == $target/ { @ = count(); }", "-c", "\(KernelHarness.workload) getpid 1"], pinned: false)
        #expect(few.stderr.contains("r0 = *(u64 *)(r6 +8)\n   2: if r0 != 0x27 goto"))
    }

    @Test func compatSystemCallsAreNotCountedAsNativeOnes() throws {
        let ia32 = URL(fileURLWithPath: KernelHarness.workload).deletingLastPathComponent().appendingPathComponent("ia32").path
        try #require(FileManager.default.isExecutableFile(atPath: ia32), "as/ld could not build the 32-bit test program")
        for choice in ["raw", "tracepoint"] {
            let result = try Harness.run(["-x", "syscallprobes=\(choice)", "-qn", "syscall::getpid:entry /pid == $target/ { @calls = count(); } END { printa(\"calls %@d\\n\", @calls); }", "-c", ia32], pinned: false)
            #expect(result.status == 0)
            #expect(result.stdout == "\n", "\(choice): \(result.stdout)")
        }
    }

    @Test func flowIndentShowsEntriesAndReturns() throws {
        let result = try Harness.run(["-F", "-n", "syscall::getpid:entry,syscall::getpid:return /pid == $target/ { }", "-c", "\(KernelHarness.workload) getpid 2"], pinned: true)
        #expect(result.status == 0)
        let entry = "  0  -> getpid" + String(repeating: " ", count: 31) + " \n"
        let exit = "  0  <- getpid" + String(repeating: " ", count: 31) + " \n"
        #expect(result.stdout == "CPU FUNCTION" + String(repeating: " ", count: 33) + "\n" + entry + exit + entry + exit + "\n")
    }

    @Test func kernelStacksAreSymbolized() throws {
        let result = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { stack(); exit(0); }", "-c", "\(KernelHarness.workload) getpid 3"], pinned: false)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "")
        let frames = lines.filter { !$0.isEmpty }
        #expect(frames.count >= 2)
        #expect(frames.allSatisfy { $0.hasPrefix(String(repeating: " ", count: 14) + "vmlinux`") })
        // The system call's own path is there, the tracing machinery is not.
        #expect(frames.contains { $0.contains("do_syscall_64") })
        #expect(!frames.contains { $0.contains("bpf_prog_") || $0.contains("bpf_trace_run") })
        let limited = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { stack(1); exit(0); }", "-c", "\(KernelHarness.workload) getpid 3"], pinned: false)
        #expect(limited.stdout.split(separator: "\n").count == 1)
        // As an aggregation key: the stack, then its count on the last frame's line.
        let keyed = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { @[stack()] = count(); }", "-c", "\(KernelHarness.workload) getpid 30"], pinned: false)
        #expect(keyed.status == 0)
        #expect(keyed.stdout.hasPrefix("\n\n" + String(repeating: " ", count: 14) + "vmlinux`"))
        #expect(keyed.stdout.hasSuffix("\n               30\n"))
        let bad = try Harness.run(["-qn", "BEGIN { stack(0); }"], pinned: false)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("stack( ) argument #1 must be a non-zero positive integer constant"))
    }

    @Test func userStacksAndAddressesAreSymbolized() throws {
        let indent = String(repeating: " ", count: 14)
        // As a record: named while the process runs, from its own symbol table.
        let record = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { ustack(); exit(0); }", "-c", "\(KernelHarness.workload) stack 3"], pinned: false)
        #expect(record.status == 0)
        let frames = record.stdout.split(separator: "\n").map(String.init)
        #expect(frames.count >= 2)
        #expect(frames.first?.hasPrefix(indent + "workload`traced_getpid+0x") == true)
        #expect(frames.dropFirst().first?.hasPrefix(indent + "workload`main+0x") == true)
        // As aggregation keys, printed after the process has exited: its mappings were read
        // when it was first seen. usym() and umod() keys naming one symbol merge; uaddr() keeps
        // the offset.
        let keyed = try Harness.run(["-qn", """
            syscall::getpid:entry /pid == $target/ { @stacks[ustack(1)] = count(); @symbols[usym(arg0)] = count(); @modules[umod(arg0)] = count(); @addresses[uaddr(arg0)] = count(); }
            """, "-c", "\(KernelHarness.workload) stack 30"], pinned: false)
        #expect(keyed.status == 0)
        func field(_ text: String) -> String { "  " + text + String(repeating: " ", count: 50 - text.count) }
        func row(_ text: String, _ count: Int) -> String { field(text) + String(repeating: " ", count: 17 - String(count).count) + String(count) + "\n" }
        #expect(keyed.stdout.contains("\n\n" + indent + "workload`traced_getpid+0x"))
        #expect(keyed.stdout.contains("\n               30\n"))
        // The aggregations one after another, without blank lines between (as DTrace).
        #expect(keyed.stdout.hasSuffix("\n               30\n" + row("workload`traced_getpid", 30) + row("workload", 30)
                                       + row("workload`traced_getpid+0x1", 10) + row("workload`traced_getpid+0x2", 10) + row("workload`traced_getpid+0x3", 10)))
        // The actions print the names in DTrace's "  %-50s".
        let named = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { usym(arg0); umod(arg0); uaddr(arg0); printf(\"\\n\"); exit(0); }",
                                     "-c", "\(KernelHarness.workload) stack 3"], pinned: false)
        #expect(named.stdout == field("workload`traced_getpid") + field("workload") + field("workload`traced_getpid+0x1") + "\n\n")
        // printa's %k prints a stack key, %A a user symbol key.
        let formatted = try Harness.run(["-qn", """
            syscall::getpid:entry /pid == $target/ { @s[ustack(1)] = count(); @u[usym(arg0)] = count(); }
            END { printa("stack:%k count=%@d\\n", @s); printa("symbol=[%A] %@d\\n", @u); }
            """, "-c", "\(KernelHarness.workload) stack 5"], pinned: false)
        #expect(formatted.status == 0)
        #expect(formatted.stdout.hasPrefix("stack:\n" + indent + "workload`traced_getpid+0x"))
        #expect(formatted.stdout.contains("\n count=5\nsymbol=[workload`traced_getpid] 5\n"))
    }

    /// C++ and Swift frames are named demangled in ustack(), usym(), ufunc() and uaddr()
    /// (-x mangled: as the files write them). The C++ program is built with g++ here (under
    /// CI=true a missing g++ fails the test); the Swift frames are dtrace's own, traced
    /// while it writes.
    @Test func userFramesAreDemangled() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-demangle-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("boxes.cpp").path, program = directory.appendingPathComponent("boxes").path
        try """
            #include <unistd.h>
            #include <string>
            #include <vector>
            namespace boxes {
            template <typename T> struct Box {
                T value;
                __attribute__((noinline)) long open(int n) { return getpid() + n + (long)value.size(); }
            };
            __attribute__((noinline)) long unpack(const std::string &s, std::vector<int> &v) {
                Box<std::string> box{s};
                return box.open((int)v.size());
            }
            }
            int main() {
                std::vector<int> v{1, 2, 3};
                long total = 0;
                for (int i = 0; i < 20; i++) { total += boxes::unpack("x", v); usleep(50000); }
                return total == 0;
            }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let built = try Harness.runProgram("/usr/bin/env", ["g++", "-O1", "-fno-omit-frame-pointer", "-o", program, source])
        if built.status != 0 && ProcessInfo.processInfo.environment["CI"] != "true" && built.stderr.contains("No such file") { return }
        try #require(built.status == 0, "g++ failed: \(built.stderr)")
        let box = "boxes::Box<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > >::open(int)"
        let unpack = "boxes::unpack(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&, std::vector<int, std::allocator<int> >&)"
        let script = "pid$target:a.out:*Box*open*:entry { ustack(3); usym(uregs[R_RIP]); ufunc(uregs[R_RIP]); uaddr(uregs[R_RIP] + 1); printf(\"\\n\"); exit(0); }"
        let demangled = try Harness.run(["-qn", script, "-c", program], pinned: false)
        #expect(demangled.status == 0)
        let indent = String(repeating: " ", count: 14)
        func field(_ text: String) -> String { "  " + text + String(repeating: " ", count: max(0, 50 - text.count)) }
        #expect(demangled.stdout.hasPrefix("\n" + indent + "boxes`" + box + "\n" + indent + "boxes`" + unpack + "+0x"))
        #expect(demangled.stdout.hasSuffix(field("boxes`" + box) + field("boxes`" + box) + field("boxes`" + box + "+0x1") + "\n\n"))
        #expect(!demangled.stdout.contains("_Z"))
        let mangled = try Harness.run(["-x", "mangled", "-qn", script, "-c", program], pinned: false)
        #expect(mangled.stdout.hasPrefix("\n" + indent + "boxes`_ZN5boxes3BoxINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEE4openEi\n"))
        #expect(mangled.stdout.contains("boxes`_ZN5boxes6unpackERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERSt6vectorIiSaIiEE+0x"))
        // An aggregation keyed by usym() keeps one key per function, printed demangled.
        let keyed = try Harness.run(["-qn", "pid$target:a.out:*unpack*:entry { @[usym(uregs[R_RIP])] = count(); }", "-c", program], pinned: false)
        #expect(keyed.stdout == "\n" + field("boxes`" + unpack) + "               20\n")
        // dtrace's own Swift frames, while it writes its output.
        let swift = try Harness.run(["-qn", "syscall::write:entry /pid == $target/ { ustack(); exit(0); }",
                                     "-c", "\(Harness.binary) -o /dev/null -qn tick-50ms{trace(1)}tick-3s{exit(0)}"], pinned: false)
        #expect(swift.status == 0)
        #expect(swift.stdout.contains(indent + "dtrace`DTraceSystem.OutputSink.flush() -> ()+0x"))
        #expect(!swift.stdout.contains("`$s"))
    }

    /// -F with -c: the command's flow starts cleanly, nothing of the launcher before it —
    /// no return from the read() that held the child at its gate (whose entry was never
    /// seen), no close() of the gate. In the kernel engine the first lines are the
    /// command's own exec; the ptrace engine seizes the child at its gate and sees it
    /// from its first instruction. Every return follows its entry, so the indentation never
    /// goes below the first column.
    @Test(arguments: [("kernel", "syscall:::entry /pid == $target/ {} syscall:::return /pid == $target/ {}"),
                      ("ptrace", "syscall::read:entry,syscall::read:return,syscall::close:entry,syscall::close:return,syscall::brk:entry,syscall::brk:return {}")])
    func flowOfCommandStartsCleanly(_ engine: String, _ script: String) throws {
        let result = try Harness.runProgram("/usr/bin/env", ["_DTRACE_TESTING=t", Harness.binary, "-x", "engine=\(engine)", "-x", "evaltime=exec", "-F", "-n", script,
                                                             "-c", "\(KernelHarness.workload) getpid 3"])
        #expect(result.status == 0)
        let flow = result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("-> ") || $0.hasPrefix("<- ") }
        try #require(flow.count >= 4, "no flow in \(result.stdout)")
        #expect(flow[0].hasPrefix("-> "), "starts with \(flow[0])")
        if engine == "kernel" {
            #expect(flow[0].hasPrefix("-> execve") && flow[1].hasPrefix("<- execve"), "starts with \(flow[0]), \(flow[1])")
        }
        var depth = 0
        for line in flow {
            depth += line.hasPrefix("->") ? 1 : -1
            #expect(depth >= 0, "a return without its entry: \(line)")
            if depth < 0 { break }
        }
    }

    @Test func kernelAddressesAsSymbols() throws {
        let result = try Harness.run(["-qn", "profile-997 /arg0/ { @m[mod(arg0)] = count(); @s[sym(arg0)] = count(); printf(\"[%a]\\n\", arg0); sym(arg0); printf(\"\\n\"); exit(0); }"], pinned: false)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // A sample in kernel mode names its symbol (usually in vmlinux, possibly a module).
        #expect(lines.first?.hasPrefix("[") == true && lines.first?.contains("`") == true)
        #expect(lines.count > 1 && lines[1].hasPrefix("  ") && lines[1].contains("`") && lines[1].count >= 52)
        // The module key (no "`"), counted once per CPU that sampled before exit() stopped them.
        #expect(lines.contains { $0.hasPrefix("  ") && !$0.contains("`") && (1...SystemCPUs.possible).contains(Int($0.split(separator: " ").last ?? "") ?? 0) })
    }

    @Test func speculationsKeepOnlyFailedCalls() throws {
        let script = """
        syscall::close:entry /pid == $target/ { self->spec = speculation(); speculate(self->spec); printf("close %d\\n", (int)arg0); }
        syscall::close:return /self->spec && errno != 0/ { commit(self->spec); self->spec = 0; }
        syscall::close:return /self->spec/ { discard(self->spec); self->spec = 0; }
        """
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) badclose 3"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "close -1\nclose -1\nclose -1\n\n")
    }

    @Test func parentProcessIDFromTheKernel() throws {
        // The -c target's parent is dtrace itself.
        let target = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { @[ppid == $pid] = count(); }",
                                      "-c", "\(KernelHarness.workload) getpid 9"], pinned: false)
        #expect(target.status == 0)
        #expect(target.stdout == "\n        1                9\n")
        // BEGIN runs in dtrace under both engines: the same parent.
        let kernel = try Harness.run(["-x", "engine=kernel", "-qn", "BEGIN { printf(\"%d\\n\", ppid); exit(0); }"], pinned: false)
        let user = try Harness.run(["-x", "engine=user", "-qn", "BEGIN { printf(\"%d\\n\", ppid); exit(0); }"], pinned: false)
        #expect(kernel.status == 0 && user.status == 0)
        #expect(kernel.stdout == user.stdout)
        #expect(kernel.stdout == "\(getpid())\n\n")
    }

    /// print() of a kernel pointer copies the structure with probe reads (the clause needs
    /// the kernel engine) and lays it out by its BTF type, anonymous unions as declared.
    @Test func printShowsAKernelStructure() throws {
        let result = try Harness.run(["-qn", "BEGIN { print(curthread); printf(\"pid %d\\n\", pid); exit(0); }"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let indent = String(repeating: " ", count: 44)
        #expect(lines.first?.hasPrefix("0xffff") == true && lines.first?.hasSuffix(" = *") == true)
        #expect(lines.dropFirst().first == indent + "(struct task_struct) {")
        let pid = try #require(lines.last.flatMap { $0.hasPrefix("pid ") ? String($0.dropFirst(4)) : nil })
        #expect(lines.contains(indent + " .pid = (pid_t)\(pid),"))
        #expect(lines.contains { $0.hasPrefix(indent + "  (union) {") }, "an anonymous union of a member")
        #expect(lines.dropLast().last == indent + "}")
    }

    /// A kernel address kept in a D variable (clause-local, global, thread-local) points
    /// into the kernel when read back, as in DTrace: `*p` and stringof(p) read the task's
    /// comm; a user address read that way still faults.
    @Test func kernelPointersKeptInVariables() throws {
        let script = """
            typedef char name48_t[48];
            BEGIN { this->p = (char *)curthread->comm; g = (char *)curthread->comm; self->p = (char *)curthread->comm; }
            BEGIN { printf("%c %c %c %s [%s]\\n", *this->p, *g, *self->p, stringof(g), stringof(*(name48_t *)self->p)); }
            BEGIN { this->u = (int *)8; trace(*this->u); }
            BEGIN { exit(0); }
            """
        let result = try Harness.run(["-qn", script], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "d d d dtrace [dtrace]\n\n", "the record, then the blank line of the end")
        #expect(result.stderr.contains("invalid address (0x8)"), "\(result.stderr)")
    }

    /// copyinstr() at a system call's entry of a path in a page the process never touched
    /// (the kernel faults it in during the call; BPF cannot): the string is read again at
    /// the call's return, so no path is lost to "invalid address", and they come in order.
    /// Known defect: once, in the whole suite's parallel run, one path of the 100,000 was
    /// missing with nothing said (not seen in 18 runs alone or beside busy loops since;
    /// cause not found): the count allows 10 such, each still a failure to explain.
    @Test func freshPathsAreNotLost() throws {
        // A buffer that holds every record: no drop however slowly the output is read. The
        // output goes to a file of its own (-o): on the pipe it would share with the
        // workload, the workload's last line can land inside one of dtrace's 64 KB writes
        // (a pipe write that blocks part-way is not atomic), splitting a path in two.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-fresh-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("paths").path
        let result = try Harness.run(["-b", "64m", "-o", output, "-qn", "syscall::openat:entry /pid == $target/ { printf(\"%s\\n\", copyinstr(arg1)); }",
                                      "-c", "\(KernelHarness.workload) freshpaths 10000 10"], pinned: false)
        #expect(result.status == 0, "\(result.stderr.prefix(300))")
        #expect(result.stderr == "", "no invalid address, no drop: \(result.stderr.prefix(300))")
        #expect(result.stdout.contains("opens=100000 enoent=100000"), "\(result.stdout.suffix(300))")
        let printed = try String(contentsOfFile: output, encoding: .utf8)
        let expected = (0..<10).flatMap { round in (0..<10000).map { "/nonexistent/fresh-\(round)-\($0)" } }
        // Every path opened, in order, each once (the workload also opens its file in /dev/shm).
        let paths = printed.split(separator: "\n").filter { !$0.hasPrefix("/dev/shm/") }.map(String.init)
        #expect(paths == expected, "\(paths.count) paths, first difference at \(paths.indices.first { $0 >= expected.count || paths[$0] != expected[$0] } ?? paths.count)")
        // More calls deferring than have their own exit tracepoint read: the strings are
        // read at raw_syscalls' sys_exit instead, as well.
        let calls = ["openat", "newfstatat", "faccessat", "faccessat2", "readlinkat", "unlinkat", "mkdirat", "statx", "fchmodat"]
        let manyOutput = directory.appendingPathComponent("many").path
        let many = try Harness.run(["-b", "16m", "-o", manyOutput, "-qn", calls.map { "syscall::\($0):entry" }.joined(separator: ",") + " /pid == $target/ { printf(\"%s\\n\", copyinstr(arg1)); }",
                                    "-c", "\(KernelHarness.workload) freshpaths 2000 2"], pinned: false)
        #expect(many.status == 0 && many.stderr == "", "\(many.stderr.prefix(300))")
        let manyPaths = try String(contentsOfFile: manyOutput, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("/nonexistent/fresh-") }
        #expect(manyPaths.count == 4000)
    }

    /// A string kept in a variable or used as an aggregation key at the entry: the clause
    /// runs again at the call's return when its read finds the page absent
    /// (ReplayedClauses), before the call's return probes fire.
    @Test func freshPathsKeptOrKeyedAreNotLost() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-replay-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let expected = (0..<2).flatMap { round in (0..<5000).map { "/nonexistent/fresh-\(round)-\($0)" } }
        let keyedOutput = directory.appendingPathComponent("keyed").path
        let keyed = try Harness.run(["-o", keyedOutput, "-qn", "syscall::openat:entry /pid == $target/ { @[copyinstr(arg1)] = count(); } END { printa(\"%s %@d\\n\", @); }",
                                     "-c", "\(KernelHarness.workload) freshpaths 5000 2"], pinned: false)
        #expect(keyed.status == 0 && keyed.stderr == "", "\(keyed.stderr.prefix(300))")
        let counted = try String(contentsOfFile: keyedOutput, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("/nonexistent/") }.map(String.init)
        #expect(counted.sorted() == expected.map { $0 + " 1" }.sorted(), "\(counted.count) keys")
        let keptOutput = directory.appendingPathComponent("kept").path
        let kept = try Harness.run(["-o", keptOutput, "-qn", """
            syscall::openat:entry /pid == $target/ { self->path = copyinstr(arg1); }
            syscall::openat:return /self->path != NULL/ { printf("%s %d\\n", self->path, arg1); self->path = 0; }
            """, "-c", "\(KernelHarness.workload) freshpaths 5000 2"], pinned: false)
        #expect(kept.status == 0 && kept.stderr == "", "\(kept.stderr.prefix(300))")
        let returned = try String(contentsOfFile: keptOutput, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("/nonexistent/") }.map(String.init)
        #expect(returned == expected.map { $0 + " -1" }, "\(returned.count) paths at the return")
    }

    /// A clause run again at the return sees the entry's time: an open of a FIFO from a
    /// fresh page, which blocks until a writer comes a second after the test starts, takes long
    /// by the timestamp noted at the entry (set before the path is read; at the return it
    /// would give about 0).
    @Test func replayedClausesSeeTheEntrysTime() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-replay-time-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "sleep 1; : > '\(fifo)'"]
        try writer.run()
        defer { writer.waitUntilExit() }
        let result = try Harness.run(["-qn", """
            syscall::openat:entry /pid == $target/ { self->ts = timestamp; self->path = copyinstr(arg1); }
            syscall::openat:return /self->ts/ { printf("%s %d\\n", self->path, (timestamp - self->ts) / 1000000); self->ts = 0; }
            """, "-c", "\(KernelHarness.workload) freshopen \(fifo)"], pinned: false)
        #expect(result.status == 0 && result.stderr == "", "\(result.stderr)")
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix(fifo + " ") }
        let milliseconds = line.map { $0.split(separator: " ").dropFirst().compactMap { Int($0) } } ?? []
        #expect(milliseconds.count == 1 && milliseconds.allSatisfy { $0 >= 100 && $0 < 5000 }, "\(result.stdout)")
    }

    /// A string read again at the return that fails there too (an unmapped address), or
    /// whose call has not returned when tracing ends (a FIFO no one opens for writing), is
    /// the entry's fault: DTrace's error line, and ERROR fires.
    /// Output's lines (empty ones included), sorted.
    static func linesInAnyOrder(_ output: String) -> [String] {
        output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).sorted()
    }

    @Test func stringsUnreadableAtReturnAreTheEntrysFault() throws {
        let script = "syscall::openat:entry /pid == $target/ { printf(\"%s\\n\", copyinstr(arg1)); } ERROR { printf(\"ERROR %d\\n\", arg4); }"
        let unmapped = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) badpath"], pinned: false)
        #expect(unmapped.status == 0)
        // The workload's line and dtrace's share the pipe: either may come first.
        #expect(Self.linesInAnyOrder(unmapped.stdout) == ["", "", "ERROR 1", "errno=14"], "\(unmapped.stdout)")
        #expect(unmapped.stderr.hasPrefix("dtrace: error in dt_clause_0 for probe ID ") && unmapped.stderr.contains("(syscall:vmlinux:openat:entry): invalid address (0x"),
                "\(unmapped.stderr)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-fifo-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let blocked = try Harness.run(["-qn", script + " tick-1s { exit(0); }", "-c", "\(KernelHarness.workload) freshopen \(fifo)"], pinned: false)
        #expect(blocked.status == 0)
        #expect(blocked.stdout.hasSuffix("ERROR 1\n\n"), "\(blocked.stdout)")
        #expect(!blocked.stdout.contains(fifo), "the FIFO's path was never read")
        #expect(blocked.stderr.contains("(syscall:vmlinux:openat:entry): invalid address (0x"), "\(blocked.stderr)")
        // The same for a clause run again at the return (ReplayedClauses).
        let keyed = "syscall::openat:entry /pid == $target/ { @[copyinstr(arg1)] = count(); } ERROR { printf(\"ERROR %d\\n\", arg4); }"
        let keyedUnmapped = try Harness.run(["-qn", keyed, "-c", "\(KernelHarness.workload) badpath"], pinned: false)
        #expect(keyedUnmapped.status == 0)
        #expect(Self.linesInAnyOrder(keyedUnmapped.stdout) == ["", "", "ERROR 1", "errno=14"], "\(keyedUnmapped.stdout)")
        #expect(keyedUnmapped.stderr.hasPrefix("dtrace: error in dt_clause_0 for probe ID ") && keyedUnmapped.stderr.contains("(syscall:vmlinux:openat:entry): invalid address (0x"),
                "\(keyedUnmapped.stderr)")
        let keyedBlocked = try Harness.run(["-qn", keyed + " tick-1s { exit(0); }", "-c", "\(KernelHarness.workload) freshopen \(fifo)"], pinned: false)
        #expect(keyedBlocked.status == 0)
        #expect(keyedBlocked.stdout.hasPrefix("ERROR 1\n") && !keyedBlocked.stdout.contains(fifo), "\(keyedBlocked.stdout)")
        #expect(keyedBlocked.stderr.contains("(syscall:vmlinux:openat:entry): invalid address (0x"), "\(keyedBlocked.stderr)")
    }

    /// aggrate: printa() shows the aggregations' latest snapshot, taken at most that
    /// often (by printa or between records), so values repeat until the next one; without
    /// it every printa() shows the count at that moment.
    @Test func printaSnapshotsAtTheAggregationRate() throws {
        func counts(_ options: [String]) throws -> [Int] {
            let result = try Harness.run(options + ["-x", "switchrate=100ms", "-qn", "syscall::getpid:entry /pid == $target/ { @ = count(); printa(\"%@d\\n\", @); }",
                                                    "-c", "\(KernelHarness.workload) paced 4 2"], pinned: false)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        let live = try counts([])
        #expect(live.prefix(8) == [1, 2, 3, 4, 5, 6, 7, 8], "\(live)")
        let paced = try counts(["-x", "aggrate=1s"])
        #expect(paced.count >= 8 && paced.first == 1, "\(paced)")
        #expect(zip(paced, paced.dropFirst()).allSatisfy { $0 <= $1 }, "\(paced)")
        #expect(Set(paced.prefix(8)).count <= 4, "snapshots a second apart over two seconds: \(paced)")
    }

    @Test func virtualAndWallClockTimestamps() throws {
        // The target spends its CPU time in the loop of getpid calls: the CPU time
        // between the first and the last call is positive and no more than the elapsed
        // time (plus a scheduler tick or two of accounting lag).
        let script = """
        self uint64_t first, start;
        syscall::getpid:entry /pid == $target && self->first == 0/ { self->first = vtimestamp; self->start = timestamp; }
        syscall::getpid:entry /pid == $target/ { self->last = vtimestamp; self->end = timestamp; }
        syscall::exit_group:entry /pid == $target/ { printf("%d %d %d\\n", self->last - self->first, self->end - self->start, walltimestamp); }
        """
        let before = Int64(Date().timeIntervalSince1970 * 1e9)
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) getpid 300000"], pinned: false)
        let after = Int64(Date().timeIntervalSince1970 * 1e9)
        #expect(result.status == 0, "\(result.stderr)")
        let numbers = result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int64($0) }
        #expect(numbers.count == 3)
        guard numbers.count == 3 else { return }
        #expect(numbers[0] > 0)
        #expect(numbers[0] <= numbers[1] + 20_000_000)
        #expect(numbers[2] >= before && numbers[2] <= after)
    }

    @Test func execnameComparedWithLiteralsAsTheInterpreterDoes() throws {
        // The kernel compares execname with a short literal as two words; every ordering
        // must be the interpreter's (shorter, longer, equal, high bytes, empty, 16 and more).
        let literals = ["workload", "workloa", "workloadx", "a", "zzzzzzzz", "", "work\\xffx", "workload-and-more", "workload1234567"]
        func comparisons(_ subject: String) -> String {
            literals.map { "\(subject) == \"\($0)\", \(subject) != \"\($0)\", \(subject) < \"\($0)\", \"\($0)\" < \(subject), \(subject) >= \"\($0)\", \"\($0)\" >= \(subject)" }.joined(separator: ", ")
        }
        let format = Array(repeating: "%d", count: literals.count * 6).joined(separator: " ")
        let kernel = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { printf(\"\(format)\\n\", \(comparisons("execname"))); exit(0); }",
                                      "-c", "\(KernelHarness.workload) getpid 3"], pinned: false)
        let user = try Harness.run(["-x", "engine=user", "-qn", "BEGIN { name = \"workload\"; printf(\"\(format)\\n\", \(comparisons("name"))); exit(0); }"], pinned: false)
        #expect(kernel.status == 0 && user.status == 0, "\(kernel.stderr)\(user.stderr)")
        #expect(!kernel.stdout.isEmpty)
        #expect(kernel.stdout == user.stdout)
    }

    @Test func stoppingKeepsGlobalsClausesWrote() throws {
        // Tracing stops while the target still counts: the global and the aggregation,
        // updated in the same firings, must agree in END (stopping writes the exit flag
        // alone, never a stale copy of the globals).
        let result = try Harness.run(["-qn", """
            syscall::getpid:entry /pid == $target/ { n++; @calls = count(); }
            tick-200ms { exit(0); }
            END { printf("%d ", n); printa("%@d\\n", @calls); }
            """, "-c", "\(KernelHarness.workload) getpid 50000000"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let numbers = result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        #expect(numbers.count == 2 && numbers[0] == numbers[1] && numbers[0] > 0, "\(result.stdout)")
    }

    @Test func noClauseRunsBeforeBEGIN() throws {
        // Probes are enabled before BEGIN runs; until it has, their clauses must return, so
        // none sees a variable BEGIN has yet to set. BEGIN here is slow (many assignments)
        // and profile-4999 fires on every CPU meanwhile.
        let assignments = (0..<200).map { "\tv[\($0)] = \($0 + 1);" }.joined(separator: "\n")
        let script = "BEGIN\n{\n\(assignments)\n\tready = 1;\n}\nprofile-4999\n{\n\t@[ready] = count();\n}\ntick-100ms\n{\n\texit(0);\n}\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-begin-\(getpid()).d").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for _ in 0..<3 {
            let result = try Harness.run(["-qs", path], pinned: false)
            #expect(result.status == 0, "\(result.stderr)")
            let keys = result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
            #expect(keys == ["1"], "\(result.stdout)")
        }
        // exit() in BEGIN: no other clause runs at all.
        let stopped = try Harness.run(["-qn", "BEGIN { exit(0); } profile-4999 { @ = count(); } END { printa(\"%@d\\n\", @); }"], pinned: false)
        #expect(stopped.status == 0)
        #expect(stopped.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "")
    }

    @Test func targetExitWakesTheConsumerAtSlowRates() throws {
        // With every rate at 10 s the consumer sleeps on the ring buffer and the target's
        // pidfd: the target's exit ends the run long before the next switch.
        let started = Date()
        let result = try Harness.run(["-x", "switchrate=10s", "-x", "statusrate=10s", "-x", "aggrate=10s",
                                      "-qn", "syscall::getpid:entry /pid == $target/ { @ = count(); }",
                                      "-c", "\(KernelHarness.workload) getpid 3"], pinned: false)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(result.status == 0)
        #expect(result.stdout == "\n                3\n")
        let bad = try Harness.run(["-x", "switchrate=often", "-n", "BEGIN { exit(0); }"], pinned: false)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("switchrate"))
    }

    @Test func onCPUClausesRunAsTheNextThread() throws {
        // sched_switch fires in the thread leaving the CPU; on-cpu's clauses must see the
        // thread arriving (arg0 is its pid), off-cpu's the one leaving (its arg0 is the
        // arriving task, as DTrace's off-cpu passes it).
        let result = try Harness.run(["-qn", "sched:::on-cpu { @on[arg0 == tid] = count(); } sched:::off-cpu { @off[((struct task_struct *)arg0)->pid != tid] = count(); } tick-300ms { exit(0); }"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let keys = result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first }
        #expect(keys.count == 2)
        #expect(keys.allSatisfy { $0 == "1" })
        // The target arriving on a CPU: its pid, its name once it has exec'd, its parent.
        let target = try Harness.run(["-qn", "sched:::on-cpu /pid == $target/ { @[execname, ppid == $pid] = count(); }",
                                      "-c", "\(KernelHarness.workload) sleep 30"], pinned: false)
        #expect(target.status == 0)
        let rows = target.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains { $0.count == 3 && $0[0] == "workload" && $0[1] == "1" })
        // Its credentials too: run as nobody, it arrives as uid and gid 65534, whoever left
        // the CPU (mostly root's threads or the idle task).
        let credentials = try Harness.run(["-qn", "sched:::on-cpu /pid == $target/ { @[execname, uid, gid] = count(); }",
                                           "-c", "setpriv --reuid=65534 --regid=65534 --clear-groups \(KernelHarness.workload) sleep 30"], pinned: false)
        #expect(credentials.status == 0, "\(credentials.stderr)")
        let identities = credentials.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(identities.contains { $0.count == 4 && $0[0] == "workload" && $0[1] == "65534" && $0[2] == "65534" },
                "stdout: \(credentials.stdout) stderr: \(credentials.stderr)")
        #expect(!identities.contains { $0.count == 4 && $0[0] == "workload" && $0[1] != "65534" })
    }

    @Test func syscallReturnValueAndErrno() throws {
        let result = try Harness.run(["-qn", "syscall::close:return /pid == $target && errno != 0/ { @[arg0, errno] = count(); }",
                                      "-c", "\(KernelHarness.workload) badclose 7"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "\n               -1        9                7\n")
    }

    @Test func printfRecordsFromKernelAndTargetMacro() throws {
        let result = try Harness.run(["-qn", "syscall::getpid:return /pid == $target/ { printf(\"%d %s\\n\", arg0 == $target, execname); }",
                                      "-c", "\(KernelHarness.workload) getpid 3"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "1 workload\n1 workload\n1 workload\n\n")
    }

    @Test func sdtTracepointFiresWithArguments() throws {
        // sched_process_exec fires once when the held target execs; its fields are
        // filename, pid and old_pid, so arg1 is the pid.
        let result = try Harness.run(["-x", "evaltime=exec", "-qn", "sdt:sched::sched_process_exec /pid == $target/ { @[execname, arg1 == $target] = count(); }",
                                      "-c", "\(KernelHarness.workload) sleep 1"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "\n  workload                                                  1                1\n")
    }

    @Test func typedTracepointArgumentsWithDataLocation() throws {
        // sched_process_exec: filename is a __data_loc string, pid and old_pid integers.
        let result = try Harness.run(["-x", "evaltime=exec", "-qn", "sdt:sched::sched_process_exec /pid == $target/ { printf(\"%s %d %d\\n\", stringof(args->filename), args->pid == $target, args->old_pid == $target); }",
                                      "-c", "\(KernelHarness.workload) getpid 1"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "\(KernelHarness.workload) 1 1\n\n")
    }

    @Test func typedTracepointCharacterArrays() throws {
        // sched_switch away from the target: prev_comm is a char[16], prev_pid its pid.
        // (Before its exec the held child is still called dtrace.)
        let result = try Harness.run(["-qn", "sdt:sched::sched_switch /args->prev_pid == $target && args->prev_comm != \"dtrace\"/ { @[stringof(args->prev_comm), args->prev_comm == \"workload\"] = max(1); printf(\"%s\\n\", args->prev_comm); exit(0); }",
                                      "-c", "\(KernelHarness.workload) sleep 100"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "workload\n\n  workload                                                  1                1\n")
    }

    @Test func typedArgumentsBadInput() throws {
        let member = try Harness.run(["-n", "sdt:sched::sched_switch { trace(args->no_such_field); }"], pinned: false)
        #expect(member.status == 1)
        #expect(member.stderr == "dtrace: invalid probe specifier sdt:sched::sched_switch { trace(args->no_such_field); }: in action list: no_such_field is not a member of struct sched_sched_switch_args\n")
        let untyped = try Harness.run(["-n", "BEGIN { trace(args->x); }"], pinned: false)
        #expect(untyped.status == 1)
        #expect(untyped.stderr.hasSuffix("array 'args' may not be referenced as scalar\n"))
        // Descriptions whose records differ: the clause is compiled for each, and the one
        // without the member says so.
        let mixed = try Harness.run(["-n", "sdt:sched::sched_switch, sdt:sched::sched_process_exec { trace(args->pid); }"], pinned: false)
        #expect(mixed.status == 1)
        #expect(mixed.stderr.hasSuffix("in action list: pid is not a member of struct sched_sched_switch_args\n"), "\(mixed.stderr)")
        let both = try Harness.run(["-e", "-n", "sdt:sched::sched_process_exec, sdt:sched::sched_process_exit { trace(args->pid); }"], pinned: false)
        #expect(both.status == 0, "\(both.stderr)")
    }

    @Test func profileProbesFire() throws {
        let result = try Harness.run(["-qn", "profile-997 { @samples = count(); } tick-300ms { exit(0); } END { printf(\"done\\n\"); }"], pinned: false)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "done")
        let samples = Int(lines.dropFirst().first { !$0.isEmpty }?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
        #expect(samples > 10)
    }

    /// profile-N samples every CPU all the time, idle ones included: the kernel stops a
    /// cpu-clock event that fires 400 times (perf_event_max_sample_rate / HZ) with no
    /// scheduler tick between, until that CPU's next tick — on an idle CPU, seconds later
    /// (at 4999 Hz bpftrace gets 14-48% of the samples here) — and dtrace restarts it.
    @Test func profileSamplesEveryCPUWithoutGaps() throws {
        let script = """
            uint64_t last[int];
            profile-4999 /last[cpu]/ { @gap[cpu] = max(timestamp - last[cpu]); }
            profile-4999 { last[cpu] = timestamp; @n[cpu] = count(); @first[cpu] = min(timestamp); @last[cpu] = max(timestamp); }
            tick-1500ms { exit(0); }
            END { printa("%d %@d %@d %@d %@d\\n", @n, @first, @last, @gap); }
            """
        let result = try Harness.run(["-qn", script], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: " ").compactMap { Int64($0) } }.filter { $0.count == 5 }
        let online = SystemCPUs.online
        #expect(Set(rows.map { Int($0[0]) }) == Set(online), "every online CPU sampled: \(result.stdout)")
        for row in rows {
            let (samples, span, gap) = (row[1], row[3] - row[2], row[4])
            // Sampled through the whole run, nearly every 200 µs period, no long silence.
            #expect(span >= 1_000_000_000, "CPU \(row[0]): \(span) ns between its first and last sample")
            #expect(Double(samples) >= 0.9 * Double(span) / 200_204, "CPU \(row[0]): \(samples) samples in \(span) ns")
            #expect(gap < 50_000_000, "CPU \(row[0]): a \(gap) ns gap")
        }
    }

    @Test func exitInKernelClauseStopsTracing() throws {
        let result = try Harness.run(["-qn", "syscall::getpid:entry /pid == $target/ { @n = count(); exit(3); }",
                                      "-c", "\(KernelHarness.workload) getpid 1000"], pinned: false)
        #expect(result.status == 3)
        let count = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(count >= 1 && count < 1000)
    }

    @Test func listsSyscallProbes() throws {
        let result = try Harness.run(["-l", "-n", "syscall::getpid:"], pinned: false)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].hasSuffix("syscall           vmlinux                            getpid entry"))
        #expect(lines[2].hasSuffix("syscall           vmlinux                            getpid return"))
    }

    @Test func verboseListingOfKernelProbesShowsTheirArgumentTypes() throws {
        let read = try Harness.run(["-lv", "-n", "syscall::read:entry"], pinned: false)
        #expect(read.status == 0)
        #expect(read.stdout.hasSuffix("\tArgument Types\n\t\targs[0]: unsigned int\n\t\targs[1]: char *\n\t\targs[2]: size_t\n\n"))
        #expect(read.stdout.contains("\tProbe Description Attributes\n\t\tIdentifier Names: Evolving\n"))
        let exec = try Harness.run(["-lv", "-n", "sdt:sched::sched_process_exec"], pinned: false)
        #expect(exec.status == 0)
        #expect(exec.stdout.hasSuffix("\tArgument Types\n\t\targs[0]: uint32_t\n\t\targs[1]: pid_t\n\t\targs[2]: pid_t\n\n\tArgument Record\n\t\targs->filename: __data_loc char[]\n\t\targs->pid: pid_t\n\t\targs->old_pid: pid_t\n\n"))
    }

    @Test func missingProbeIsReported() throws {
        let result = try Harness.run(["-n", "syscall::no_such_call:entry { }"], pinned: false)
        #expect(result.status == 1)
        #expect(result.stderr == "dtrace: invalid probe specifier syscall::no_such_call:entry { }: probe description syscall::no_such_call:entry does not match any probes\n")
    }

    /// The consumer wakes at switchrate or when the buffer fills, not for every record:
    /// printing 20,000 events a second for two seconds, dtrace switched tens of thousands
    /// of times when every record woke it (and printing every sched_switch showed mostly
    /// dtrace itself); now it wakes a few times and drains the buffer in batches. Counted:
    /// the times dtrace went to sleep (not its preemptions, which other tests' load makes),
    /// with its output in a file (no reader's pipe to wait for).
    @Test func dtraceDoesNotFloodItsOwnTrace() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-flood-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try Harness.run(["-o", output.path, "-qn", """
            syscall::getpid:entry /pid == $target/ { printf("%d\\n", arg0); }
            sdt:sched::sched_switch /pid == $pid && args->prev_state != 0/ { @own = count(); }
            END { printa("own %@d\\n", @own); }
            """, "-c", "\(KernelHarness.workload) paced 20000 2"], pinned: false)
        #expect(result.status == 0)
        let lines = ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(lines.count > 30_000)
        let own = lines.last { $0.hasPrefix("own ") }.flatMap { Int($0.dropFirst(4)) } ?? 0
        #expect(own < 2_000, "dtrace switched \(own) times while printing \(lines.count) lines")
    }

    /// dtrace is gone right after its output at any number of probes: the perf events'
    /// slow closes (an RCU grace period each; 360 took ~27 s) go to a background child.
    @Test func exitIsPromptWithEverySyscallProbe() throws {
        let start = Date()
        let result = try Harness.run(["-qn", "syscall:::entry { @calls = count(); } tick-1s { exit(0); }"], pinned: false)
        let elapsed = Date().timeIntervalSince(start)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("\n "))
        #expect(elapsed < 6, "dtrace with every syscall entry probe took \(elapsed) s to exit")
    }

    /// Many system call probes share one raw_syscalls program per clause and end: each
    /// call finds its probe by its number, so counts, arguments, return values and errno
    /// are the probe's own; the few calls dtrace has no number for keep their tracepoints.
    @Test func everySyscallProbeSharesOneProgram() throws {
        let script = """
            syscall:::entry /pid == $target/ { @entries[probefunc] = count(); }
            syscall:::return /pid == $target && probefunc == "getpid"/ { @getpid[arg1 == pid] = count(); }
            syscall:::return /pid == $target && probefunc == "close"/ { @close[arg1, errno] = count(); }
            syscall::close:entry /pid == $target/ { @fd[(int)arg0] = count(); }
            END { printa("getpid entries %@d\\n", @entries); printa("getpid returns %d %@d\\n", @getpid); printa("close %d %d %@d\\n", @close); printa("fd %d %@d\\n", @fd); }
            """
        let result = try Harness.run(["-S", "-qn", script, "-c", "\(KernelHarness.workload) badclose 37"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let programs = result.stderr.components(separatedBy: "BPF program for ").count - 1
        #expect(programs < 20, "\(programs) BPF programs for every system call probe")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("close -1 9 37") && lines.contains("fd -1 37"), "\(result.stdout)")
        let pidResult = try Harness.run(["-qn", "syscall:::entry /pid == $target && probefunc == \"getpid\"/ { @n = count(); } syscall:::return /pid == $target && probefunc == \"getpid\"/ { @r = sum(arg1 == pid); } END { printa(\"%@d \", @n); printa(\"%@d\\n\", @r); }",
                                         "-c", "\(KernelHarness.workload) getpid 4321"], pinned: false)
        #expect(pidResult.stdout == "4321 4321\n\n", "\(pidResult.stderr)")
    }

    /// A record holding exit() wakes the consumer at once.
    @Test func exitInAKernelClauseIsSeenAtOnce() throws {
        let start = Date()
        let result = try Harness.run(["-qn", "profile-97 { printf(\"bye\\n\"); exit(0); }"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("bye\n"))
        #expect(Date().timeIntervalSince(start) < 0.8, "exit() took \(Date().timeIntervalSince(start)) s to be seen")
    }

    @Test func listingSaysWhatMatchedNothing() throws {
        // As Oracle's dtrace: the others are listed, each failure named, and the status is 0.
        let result = try Harness.run(["-l", "-n", "nosuch:::", "-f", "fight", "-n", "syscall::getpid:entry"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("   ID   PROVIDER            MODULE                          FUNCTION NAME\n"))
        #expect(result.stdout.contains(" syscall ") && result.stdout.hasSuffix("getpid entry\n"))
        // ::fight:: could name a kernel function, but only a description naming fbt itself
        // says why fbt lists nothing (tracefs's list of functions cannot be read).
        #expect(result.stderr == "dtrace: failed to match nosuch:::: No probe matches description\ndtrace: failed to match ::fight:: No probe matches description\n")
        if let problem = FBTCommandTests.functionListProblem {
            let named = try Harness.run(["-l", "-n", "fbt::fight:"], pinned: false)
            #expect(named.status == 0)
            #expect(named.stderr == "dtrace: the fbt provider is not listed: /sys/kernel/tracing/available_filter_functions cannot be read: \(problem)\ndtrace: failed to match fbt::fight:: No probe matches description\n")
        }
        let clean = try Harness.run(["-l", "-n", "syscall::getpid:entry"], pinned: false)
        #expect(clean.status == 0)
        #expect(clean.stderr == "")
    }

    @Test(arguments: [
        ("tracepoint:sched::sched_switch", "tracepoint is bpftrace's name: kernel tracepoints are DTrace's sdt:GROUP::EVENT"),
        ("uprobe::main:entry", "uprobe is bpftrace's name: user functions are DTrace's pid provider (pid$target:MODULE:FUNCTION:entry)"),
        ("kprobe::vfs_read:entry", "kprobe is bpftrace's name: kernel functions are DTrace's fbt provider (fbt::FUNCTION:entry)"),
    ])
    func providersNotBuiltYetSayWhy(_ description: String, _ reason: String) throws {
        let result = try Harness.run(["-n", description], pinned: false)
        #expect(result.status == 1)
        #expect(result.stderr == "dtrace: invalid probe specifier \(description): probe description \(description) does not match any probes: \(reason)\n")
    }

    @Test func userEngineRefusesKernelProbes() throws {
        let result = try Harness.run(["-x", "engine=user", "-n", "syscall::getpid:entry { }"], pinned: false)
        #expect(result.status == 1)
        #expect(result.stderr.hasSuffix("dtrace: probe syscall:vmlinux:getpid:entry needs the kernel engine (-x engine=user was given)\n"))
    }

    @Test func showsBPFWithDashS() throws {
        let result = try Harness.run(["-S", "-qn", "syscall::getpid:entry /pid == $target/ { @ = count(); }", "-c", "\(KernelHarness.workload) getpid 1"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stderr.contains("BPF program for enabled probe ID 1 (syscall:vmlinux:getpid:entry)"))
        #expect(result.stderr.contains("call get_current_pid_tgid"))
        #expect(result.stderr.contains("exit\n"))
    }

    /// The clauses of one tick probe run as one firing: a timer for the first clause,
    /// whose program tail-calls the next clause's, and so on (one timer per clause would
    /// make each clause a firing of its own). A probe with one clause calls nothing.
    @Test func tickClausesAreChained() throws {
        let chained = try Harness.run(["-x", "engine=kernel", "-S", "-qn", "tick-1ms { n++; } tick-1ms { m++; } tick-1ms /n == 3/ { exit(0); }"], pinned: false)
        #expect(chained.status == 0, "\(chained.stderr)")
        let programs = chained.stderr.components(separatedBy: "BPF program for enabled probe ID ").dropFirst()
        #expect(programs.count == 3)
        #expect(programs.map { $0.contains("call tail_call") } == [true, true, false], "\(chained.stderr)")
        let single = try Harness.run(["-x", "engine=kernel", "-S", "-qn", "tick-1ms { exit(0); }"], pinned: false)
        #expect(single.status == 0)
        #expect(!single.stderr.contains("tail_call"))
    }

    /// Generated inputs the BPF routines must render exactly as the interpreter does:
    /// IPv6 addresses with zero groups in every pattern (runs, ties, IPv4 forms), and
    /// paths made of "/", ".", ".." and names in random order.
    @Test func generatedAddressesAndPathsMatchTheInterpreter() throws {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var lines: [String] = []
        for index in 0..<120 {
            var groups = (0..<8).map { _ in next() % 3 == 0 ? UInt64(0) : next() & (next() % 2 == 0 ? 0xff : 0xffff) }
            if index % 10 == 1 { groups = [0, 0, 0, 0, 0, 0xffff, next() & 0xffff, next() & 0xffff] }
            if index % 10 == 2 { groups = [0, 0, 0, 0, 0, 0, next() & 0xffff, next() & 0xffff] }
            let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | $1 }, low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | $1 }
            lines.append("\thigh[\(index)] = htonll(\(high)); low[\(index)] = htonll(\(low));")
        }
        let parts = ["/", "/", ".", "..", "a", "bc", "/.", "/..", "..x", "//"]
        for index in 0..<120 {
            let path = (0..<Int(next() % 9)).map { _ in parts[Int(next() % UInt64(parts.count))] }.joined()
            lines.append("\tpath[\(index)] = \"\(path)\";")
        }
        let script = """
        BEGIN
        {
        \(lines.joined(separator: "\n"))
        \ti = 0;
        }
        tick-1ms
        /i < 120/
        {
        \tthis->a = (uint64_t *)alloca(16);
        \tthis->a[0] = high[i]; this->a[1] = low[i];
        \tprintf("%s %s [%s] [%s]\\n", inet_ntop(10, (void *)this->a), inet_ntoa6((void *)this->a), path[i], cleanpath(path[i]));
        \ti++;
        }
        tick-1ms
        /i == 120/
        {
        \texit(0);
        }
        """
        let user = try Harness.run(["-x", "engine=user", "-qn", script], pinned: false)
        let kernel = try Harness.run(["-x", "engine=kernel", "-qn", script], pinned: false)
        #expect(user.status == 0, "\(user.stderr)")
        #expect(kernel.status == 0, "\(kernel.stderr)")
        #expect(user.stdout.split(separator: "\n").count == 120)
        #expect(kernel.stdout == user.stdout)
        #expect(kernel.stderr == user.stderr)
    }

    /// A tick-N clause reading arg0/arg1 runs in the kernel engine (unasked), where one
    /// of them is the PC the timer interrupted, as in DTrace.
    @Test func tickReadingItsPCsRunsInTheKernel() throws {
        let script = "tick-1 { printf(\"%d\\n\", (arg0 != 0) != (arg1 != 0)); exit(0); }"
        let result = try Harness.run(["-qn", script], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1\n\n")
    }

    /// Conformance cases the kernel engine cannot run yet; every other case must give
    /// identical output under both engines, except those named tst.kernel.*, which read
    /// kernel memory and only the kernel engine runs.
    static let kernelUnsupported: Set<String> = []

    @Test(arguments: Harness.cases)
    func differentialConformance(_ name: String) throws {
        let extra = Harness.expected(name, ".args")?.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) ?? []
        let user = try Harness.run(["-x", "engine=user"] + extra + ["-s", name], directory: Harness.conformanceDirectory)
        let kernel = try Harness.run(["-x", "engine=kernel"] + extra + ["-s", name], directory: Harness.conformanceDirectory)
        if name.contains(".kernel.") {
            // Reads kernel memory: the kernel engine's output is the case's own
            // (ConformanceTests); the user engine refuses it in one line.
            #expect(user.status == 1)
            #expect(user.stderr.hasSuffix("needs the kernel engine (-x engine=user was given)\n"), "\(user.stderr)")
            #expect(kernel.status == 0, "\(kernel.stderr)")
            return
        }
        if Self.kernelUnsupported.contains(name) {
            #expect(kernel.status == 1)
            #expect(kernel.stderr.contains("is not supported by the kernel engine yet"))
            return
        }
        #expect(kernel.status == user.status, "exit status of \(name)")
        #expect(kernel.stdout == user.stdout, "stdout of \(name)")
        #expect(kernel.stderr == user.stderr, "stderr of \(name)")
    }
}
