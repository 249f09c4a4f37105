// DTracePtraceTests/PtraceTestSupport: what the ptrace tests share — the workload and a
// small C program with threads, fork, vfork, signals, seccomp, counted system calls, an
// endless loop, threads spinning on a function until a deadline and a program that traps
// itself, built at test time; the count-breakpoint-hits, count-seccomp-stops and
// guardian-demo tools; a function's address in a traced process (DTraceELF); a breakpoint
// at a function's entry whose displaced instruction is stepped out of line on the scratch
// page (decoded with DTraceX86); and the event loop run until the process ends, counting hits.

import DTraceELF
import DTracePtrace
import DTraceSystem
import DTraceX86
import Foundation
import Testing

enum PtracePrograms {
    static let directory: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-ptrace-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Removed when the test process exits (a forked child has another PID: removes nothing).
        atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-ptrace-tests-\(getpid())")) }
        // Readable by the unprivileged user of the setpriv test.
        chmod(directory.path, 0o755)
        return directory
    }()

    /// workload/workload.c built as the kernel-engine tests build it.
    static let workload: String = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../workload/workload.c").standardized.path
        let binary = directory.appendingPathComponent("workload").path
        compile(["-O1", "-fno-omit-frame-pointer", "-fcf-protection=full", "-o", binary, source])
        return binary
    }()

    /// The C program below: `ptrace-subject MODE OUTPUT`.
    static let subject: String = {
        let source = directory.appendingPathComponent("ptrace-subject.c")
        try? subjectSource.write(to: source, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("ptrace-subject").path
        compile(["-O1", "-fno-omit-frame-pointer", "-pthread", "-o", binary, source.path])
        return binary
    }()

    /// The count-breakpoint-hits tool beside the test bundle.
    static let counter = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../.build/debug/count-breakpoint-hits").standardized.path

    /// The count-seccomp-stops tool beside the test bundle.
    static let seccompCounter = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../.build/debug/count-seccomp-stops").standardized.path

    /// The guardian-demo tool beside the test bundle.
    static let guardianDemo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../.build/debug/guardian-demo").standardized.path

    private static func compile(_ arguments: [String]) {
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc"] + arguments
        try? compiler.run()
        compiler.waitUntilExit()
    }

    /// A fresh path in the test directory for a program's report.
    static func outputPath(_ name: String) -> String {
        directory.appendingPathComponent("\(name)-\(UInt32.random(in: 0...UInt32.max)).out").path
    }

    static func report(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// Every call of work() goes through its entry, where the tests put the breakpoint.
    /// Its reports go to the file named by the second argument.
    static let subjectSource = #"""
    #include <errno.h>
    #include <linux/filter.h>
    #include <linux/seccomp.h>
    #include <pthread.h>
    #include <signal.h>
    #include <stddef.h>
    #include <sys/prctl.h>
    #include <sys/syscall.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/wait.h>
    #include <time.h>
    #include <unistd.h>

    __attribute__((noipa, noinline)) long work(long a) { return a * 3 + 1; }
    /* Not a leaf: it keeps a frame, so it starts with the one-byte push %rbp. */
    __attribute__((noinline)) void step(void) { __asm__ volatile("" ::: "memory"); }
    __attribute__((noipa, noinline)) long framed_work(long a) { step(); return a * 3 + 1; }

    static long work_total(long n, long seed) { long t = 0; for (long i = 0; i < n; i++) t += work(i + seed); return t; }
    static long expected_total(long n, long seed) { long t = 0; for (long i = 0; i < n; i++) t += (i + seed) * 3 + 1; return t; }
    static FILE *out;
    static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }

    /* threads: 8 threads, 10000 calls each. */
    static void *thread_calls(void *argument) {
        long seed = (long)argument * 100000;
        return (void *)(long)(work_total(10000, seed) == expected_total(10000, seed));
    }

    /* signals: a thread sends the main thread SIGUSR1 200 times, each once the last was handled. */
    static volatile long handled;
    static volatile int sending_done;
    static pthread_t main_thread;
    static void on_usr1(int s) { (void)s; __atomic_add_fetch(&handled, 1, __ATOMIC_SEQ_CST); }
    static void *send_signals(void *unused) {
        (void)unused;
        for (long i = 0; i < 200; i++) {
            pthread_kill(main_thread, SIGUSR1);
            long long give_up = now_ns() + 5000000000LL;
            while (__atomic_load_n(&handled, __ATOMIC_SEQ_CST) <= i && now_ns() < give_up) sched_yield();
        }
        sending_done = 1;
        return 0;
    }

    /* loop: 4 threads call work() until SIGUSR1. */
    static volatile sig_atomic_t stop_looping;
    static void on_stop(int s) { (void)s; stop_looping = 1; }
    static void *loop_calls(void *argument) {
        long bad = 0;
        while (!stop_looping) { if (work((long)argument) != (long)argument * 3 + 1) bad++; usleep(200); }
        return (void *)bad;
    }

    /* leader-exits: the first thread exits; another calls work() 3000 times, then exits the process. */
    static void *late_calls(void *unused) {
        (void)unused;
        usleep(50000);
        long t = work_total(3000, 1);
        fprintf(out, "late %s\n", t == expected_total(3000, 1) ? "right" : "wrong");
        fclose(out);
        exit(0);
    }

    /* guarded OUTPUT MILLISECONDS FUNCTION: 3 threads call FUNCTION (work or framed_work) in a
       tight loop, a fourth every 300 us, for MILLISECONDS; each checks every result. */
    static long long guarded_until;
    static long (*guarded_function)(long);
    static void *guarded_calls(void *argument) {
        long paced = (long)argument, bad = 0, calls = 0;
        while (now_ns() < guarded_until) {
            if (guarded_function(calls) != calls * 3 + 1) bad++;
            calls++;
            if (paced) usleep(300);
        }
        return (void *)(bad ? -1 : calls);
    }

    /* own-traps: the program's SIGTRAP handler must see each trap it raises itself. */
    static volatile long own_traps;
    static void on_own_trap(int s, siginfo_t *info, void *context) { (void)s; (void)info; (void)context; own_traps++; }

    int main(int argc, char **argv) {
        if (argc < 3) return 2;
        sigset_t none;   /* started by a test thread that blocks signals */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, 0);
        out = fopen(argv[2], "w");
        if (!out) return 3;
        const char *mode = argv[1];
        if (strcmp(mode, "threads") == 0) {
            pthread_t threads[8];
            for (long i = 0; i < 8; i++) pthread_create(&threads[i], 0, thread_calls, (void *)i);
            int good = 0;
            for (int i = 0; i < 8; i++) { void *ok; pthread_join(threads[i], &ok); good += ok != 0; }
            fprintf(out, "threads %d of 8 right\n", good);
        } else if (strcmp(mode, "fork") == 0 || strcmp(mode, "vfork") == 0) {
            int use_vfork = strcmp(mode, "vfork") == 0;
            long before = work_total(100, 0);
            pid_t child = use_vfork ? vfork() : fork();
            if (child == 0) _exit(work_total(20, 7) == expected_total(20, 7) ? 7 : 9);
            int status = 0;
            waitpid(child, &status, 0);
            long after = work_total(50, 3);
            fprintf(out, "child exited %d signaled %d parent %s\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                    before == expected_total(100, 0) && after == expected_total(50, 3) ? "right" : "wrong");
        } else if (strcmp(mode, "signals") == 0) {
            signal(SIGUSR1, on_usr1);
            main_thread = pthread_self();
            pthread_t sender;
            pthread_create(&sender, 0, send_signals, 0);
            long calls = 0, bad = 0;
            while (!sending_done) { if (work(calls) != calls * 3 + 1) bad++; calls++; }
            pthread_join(sender, 0);
            fprintf(out, "handled %ld of 200, calls %ld, wrong %ld\n", handled, calls, bad);
        } else if (strcmp(mode, "loop") == 0) {
            signal(SIGUSR1, on_stop);
            pthread_t threads[4];
            for (long i = 0; i < 4; i++) pthread_create(&threads[i], 0, loop_calls, (void *)i);
            long bad = 0;
            for (int i = 0; i < 4; i++) { void *b; pthread_join(threads[i], &b); bad += (long)b; }
            fprintf(out, "loop stopped, wrong %ld\n", bad);
        } else if (strcmp(mode, "leader-exits") == 0) {
            pthread_t late;
            pthread_create(&late, 0, late_calls, 0);
            pthread_exit(0);
        } else if (strcmp(mode, "guarded") == 0 && argc > 4) {
            guarded_until = now_ns() + atol(argv[3]) * 1000000LL;
            guarded_function = strcmp(argv[4], "framed_work") == 0 ? framed_work : work;
            pthread_t threads[4];
            for (long i = 0; i < 4; i++) pthread_create(&threads[i], 0, guarded_calls, (void *)(i == 3));
            long calls = 0, wrong = 0;
            for (int i = 0; i < 4; i++) { void *c; pthread_join(threads[i], &c); if ((long)c < 0) wrong = 1; else calls += (long)c; }
            fprintf(out, wrong ? "guarded wrong\n" : "guarded right\n");
            fclose(out);
            return wrong;
        } else if (strcmp(mode, "own-traps") == 0) {
            /* 2000 calls of work(); after every 100th a raise(SIGTRAP), after every 100th + 50
               an int3 of its own: 40 traps, each for its handler. */
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_sigaction = on_own_trap;
            action.sa_flags = SA_SIGINFO;
            sigaction(SIGTRAP, &action, 0);
            long bad = 0;
            for (long i = 0; i < 2000; i++) {
                if (work(i) != i * 3 + 1) bad++;
                if (i % 100 == 0) raise(SIGTRAP);
                if (i % 100 == 50) __asm__ volatile("int3");
                usleep(100);
            }
            fprintf(out, "traps %ld of 40, wrong %ld\n", own_traps, bad);
        } else if (strcmp(mode, "seccomp") == 0) {
            /* getppid() goes to the tracer (SECCOMP_RET_TRACE, data 0x42), 3 times. */
            struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x42),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog program = { 4, filter };
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) return 4;
            long parent = 1;
            for (int i = 0; i < 3; i++) parent = parent && syscall(SYS_getppid) > 0;
            fprintf(out, "seccomp getppid %s\n", parent ? "ok" : "failed");
        } else if (strcmp(mode, "system-calls") == 0) {
            /* 100 getpid() calls, each checked against gettid() (the same in the first thread):
             * what a seccomp filter's RET_TRACE does to them, with a tracer and without. */
            long self = syscall(SYS_gettid), right = 0, enosys = 0;
            for (int i = 0; i < 100; i++) {
                long result = syscall(SYS_getpid);
                if (result == self) right++;
                else if (result == -1 && errno == ENOSYS) enosys++;
            }
            fprintf(out, "getpid right %ld enosys %ld\n", right, enosys);
        } else {
            return 2;
        }
        fclose(out);
        return 0;
    }
    """#
}

/// A function of a traced process's executable: its address there, and the file offset
/// of its first byte.
func functionInExecutable(_ name: String, of process: TracedProcess) throws -> (address: UInt64, fileOffset: UInt64, path: String) {
    guard case .success(let objects) = ProcessMappings.mappedObjects(pid: process.processID) else { throw PtraceError.unexpected("no mappings") }
    let executable = try #require(objects.objects.first { $0.isExecutable })
    let function = try #require(executable.object.functions.first(where: { $0.name == name }))
    return (function.address &+ executable.loadBias, function.fileOffset, executable.path)
}

/// A breakpoint at `address` whose instruction is stepped out of line on the scratch page
/// (as DTraceX86's `OutOfLineCopy` prepares it).
struct SteppedBreakpoint {
    var address: UInt64
    var copy: OutOfLineCopy
    var scratchAddress: UInt64 { copy.scratchAddress }

    /// Maps the scratch page near `address`, copies the instruction there for out-of-line
    /// steps and inserts the int3.
    init(at address: UInt64, in process: TracedProcess) throws {
        let code = try process.readMemory(at: address, count: X86Decoder.maximumInstructionLength)
        let page = try process.mapScratchPage(near: address)
        copy = try OutOfLineCopy(instructionBytes: code, originalAddress: address, scratchAddress: page.address)
        try process.insertBreakpoint(at: address)
        self.address = address
    }

    func step(_ thread: Int32, in process: TracedProcess) throws {
        #expect(try process.stepOutOfLine(thread: thread, copy: copy) == .stepped(programCounter: address + UInt64(copy.length)))
    }
}

/// What a run of the event loop saw.
struct TracedRun {
    var hits = 0
    var hitsByThread: [Int32: Int] = [:]
    var end: TraceEvent.Kind?
    var events: [TraceEvent.Kind] = []
    var signals: [Int32] = []
}

/// Runs the event loop until the process ends (or `stop` says so, or 60 s pass), stepping
/// every hit of `breakpoint` out of line, cleaning fork children, resuming every stop.
func runUntilEnd(_ process: TracedProcess, breakpoint: SteppedBreakpoint?, stop: (TracedRun) -> Bool = { _ in false }) throws -> TracedRun {
    var run = TracedRun()
    let deadline = SystemClock.monotonicNanoseconds() + 60_000_000_000
    while !stop(run) {
        let event = try process.waitForEvent(deadline: deadline)
        switch event.kind {
        case .timedOut:
            Issue.record("timed out")
            return run
        case .breakpoint(let address, let registers):
            #expect(address == breakpoint?.address)
            #expect(registers.rip == address + 1)
            run.hits += 1
            run.hitsByThread[event.thread, default: 0] += 1
            try breakpoint?.step(event.thread, in: process)
        case .forked(let child, _):
            run.events.append(event.kind)
            try process.removeBreakpoints(inChild: child)
        case .exited, .killed:
            run.end = event.kind
            return run
        case .signal(let info):
            run.signals.append(info.signal)
        default:
            run.events.append(event.kind)
        }
        try process.resume(thread: event.thread)
    }
    return run
}
