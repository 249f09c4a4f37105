// DTraceCLITests/StableProviderTests: the proc and sched providers on the kernel's raw
// tracepoints, with DTrace's translated arguments (psinfo_t, lwpsinfo_t, cpuinfo_t),
// on processes the tests start: a fork and its exit status, threads, signals sent and
// handled, exec, a process killed by a signal, a sleeping process's trip off the CPU
// and back; -lv types; and the sched probes this kernel has nothing for.

import Foundation
import Testing

@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct StableProviderTests {
    static func trace(_ script: String, _ command: String, extra: [String] = []) throws -> Harness.Result {
        try Harness.run(extra + ["-qn", script, "-c", "\(KernelHarness.workload) \(command)"], pinned: false)
    }

    @Test func processCreationExecAndExit() throws {
        let result = try Self.trace("""
            proc:::create /pid == $target/ { @["create", args[0]->pr_ppid == $target, args[0]->pr_pid != $target] = count(); }
            proc:::exec /pid == $target/ { @[strjoin("exec ", basename(args[0])), 1, 1] = count(); }
            proc:::exec-success /pid == $target/ { @[curpsinfo->pr_fname, curpsinfo->pr_pid == pid, curpsinfo->pr_ppid == ppid] = count(); }
            proc:::exit /ppid == $target/ { @["child exit", args[0], curpsinfo->pr_ppid == $target] = count(); }
            proc:::exit /pid == $target/ { @["exit", args[0], curlwpsinfo->pr_lwpid == tid] = count(); }
            proc:::lwp-create /pid == $target/ { @["lwp-create", 0, 0] = count(); }
            END { printa("%s %d %d %@d\\n", @); }
            """, "forks 10", extra: ["-x", "evaltime=exec"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Set(result.stdout.split(separator: "\n").map(String.init))
        #expect(lines == ["create 1 1 1", "exec workload 1 1 1", "workload 1 1 1", "child exit 1 1 1", "exit 1 1 1", "child=3 sigtrap=0"], "\(result.stdout)")
    }

    @Test func processArgumentsAsDTraceShowsThem() throws {
        let result = try Self.trace("""
            proc:::exec-success /pid == $target/ { printf("[%s] [%s] %d\\n", curpsinfo->pr_psargs, curpsinfo->pr_fname, strlen(xlate<psinfo_t *>(curthread)->pr_psargs)); }
            """, "getpid 1 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789", extra: ["-x", "evaltime=exec"])
        #expect(result.status == 0, "\(result.stderr)")
        // Cut to 79 characters: pr_psargs is a char[80].
        let expected = String("\(KernelHarness.workload) getpid 1 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789".prefix(79))
        #expect(result.stdout == "[\(expected)] [workload] 79\n\n", "\(result.stdout)")
    }

    @Test func threadsAreLightweightProcesses() throws {
        let result = try Self.trace("""
            proc:::lwp-create /pid == $target/ { @["lwp-create", args[1]->pr_pid == $target, args[0]->pr_lwpid != $target] = count(); }
            proc:::lwp-exit /pid == $target/ { @["lwp-exit", tid != $target, 1] = count(); }
            proc:::create /pid == $target/ { @["create", 0, 0] = count(); }
            END { printa("%s %d %d %@d\\n", @); }
            """, "threads 4 4000")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Set(result.stdout.split(separator: "\n").map(String.init))
        // lwp-exit fires for the main thread too (tid == $target), as DTrace's.
        #expect(lines == ["lwp-create 1 1 4", "lwp-exit 1 1 4", "lwp-exit 0 1 1", "threads=4 bad=0"], "\(result.stdout)")
    }

    @Test func signalsSentAndHandled() throws {
        let result = try Self.trace("""
            proc:::signal-send /args[1]->pr_pid == $target && args[2] == 10/ { @["send", args[0]->pr_lwpid == $target, pid == $target] = count(); }
            proc:::signal-handle /pid == $target && args[0] == 10/ { @["handle", args[2] != 0, args[1] != 0] = count(); }
            END { printa("%s %d %d %@d\\n", @); }
            """, "signals 5")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Set(result.stdout.split(separator: "\n").map(String.init))
        #expect(lines == ["send 1 1 5", "handle 1 1 5", "handled=5 sigtrap=0"], "\(result.stdout)")
    }

    @Test func exitReasonOfAKilledProcess() throws {
        let result = try Self.trace("""
            proc:::exec-success /pid == $target/ { raise(SIGKILL); }
            proc:::exit /pid == $target/ { printf("exit %d %d %d\\n", args[0], args[0] == CLD_KILLED, arg0); }
            """, "sleep 5000", extra: ["-w", "-x", "evaltime=exec"])
        #expect(result.stdout == "exit 2 1 2\n\n", "\(result.stderr)")
        #expect(result.stderr.contains("terminated by SIGKILL"), "\(result.stderr)")
    }

    @Test func aSleeperLeavesTheCPUAndComesBack() throws {
        // One aggregation per probe (see newKeysInOneFiringAreKept for one shared).
        let result = try Self.trace("""
            sched:::sleep /pid == $target/ { @sleep["sleep", curlwpsinfo->pr_lwpid == tid] = max(curlwpsinfo->pr_sname == 'S'); }
            sched:::dequeue /args[1]->pr_pid == $target/ { @dequeue["dequeue", args[0]->pr_lwpid == $target] = min(args[2]->cpu_id == cpu); }
            sched:::wakeup /args[1]->pr_pid == $target/ { @wakeup["wakeup", args[0]->pr_lwpid == $target] = min(args[1]->pr_ppid == $pid); }
            sched:::enqueue /args[1]->pr_pid == $target/ { @enqueue["enqueue", 0] = min(args[2]->cpu_id == args[0]->pr_onpro); }
            sched:::off-cpu /pid == $target/ { @off["off-cpu", args[0]->pr_lwpid == ((struct task_struct *)arg0)->pid] = min(args[1]->pr_pid == ((struct task_struct *)arg0)->tgid); }
            sched:::on-cpu /pid == $target/ { @on["on-cpu", curpsinfo->pr_pid == pid] = min(arg0 == tid); }
            END { printa("%s %d %@d\\n", @sleep); printa("%s %d %@d\\n", @dequeue); printa("%s %d %@d\\n", @wakeup); printa("%s %d %@d\\n", @enqueue); printa("%s %d %@d\\n", @off); printa("%s %d %@d\\n", @on); }
            """, "sleep 50")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Set(result.stdout.split(separator: "\n").map(String.init))
        #expect(lines == ["sleep 1 1", "dequeue 1 1", "wakeup 1 1", "enqueue 0 1", "off-cpu 1 1", "on-cpu 1 1"], "\(result.stdout)")
    }

    /// sched:::on-cpu and off-cpu fire in one firing of sched_switch, with interrupts off,
    /// and at the start nearly every switch makes two new keys of one aggregation. With the
    /// aggregation a per-CPU hash (its new keys' per-CPU values come from a cache the kernel
    /// refills one at a time, with interrupts on), every run of this dropped 3-9 keys here.
    @Test func newKeysInOneFiringAreKept() throws {
        for _ in 0..<3 {
            let result = try Self.trace("""
                sched:::on-cpu, sched:::off-cpu { @[probename, curpsinfo->pr_fname] = count(); }
                END { printa("%s %s\\n", @); }
                """, "sleep 50")
            #expect(result.status == 0 && result.stderr == "", "\(result.stderr)")
            let rows = Set(result.stdout.split(separator: "\n").map(String.init))
            #expect(rows.contains("on-cpu workload") && rows.contains("off-cpu workload"), "\(result.stdout)")
        }
    }

    @Test func translatedArgumentTypesAreListed() throws {
        let result = try Harness.run(["-lv", "-n", "proc:::lwp-create", "-n", "sched:::enqueue"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout.contains("\t\targs[0]: lwpsinfo_t *\n\t\targs[1]: psinfo_t *\n\n"), "\(result.stdout)")
        #expect(result.stdout.contains("\t\targs[0]: lwpsinfo_t *\n\t\targs[1]: psinfo_t *\n\t\targs[2]: cpuinfo_t *\n\n"), "\(result.stdout)")
        // A tracepoint's record: the names args-> reads its fields by.
        let record = try Harness.run(["-lv", "-n", "sdt:sched::sched_process_exec"], pinned: false)
        #expect(record.stdout.contains("\tArgument Record\n\t\targs->filename: __data_loc char[]\n\t\targs->pid: pid_t\n\t\targs->old_pid: pid_t\n"), "\(record.stdout)")
    }

    @Test func schedProbesWithNothingToStandOnSaySo() throws {
        let result = try Harness.run(["-n", "sched:::remain-cpu"], pinned: false)
        #expect(result.status == 1)
        #expect(result.stderr == "dtrace: invalid probe specifier sched:::remain-cpu: probe description sched:::remain-cpu does not match any probes: sched:::remain-cpu cannot work here: the kernel has no tracepoint for a scheduling decision that keeps the running thread\n")
    }

    /// proc:::start and lwp-start fire in a new process before its code runs (start
    /// first), exec for every attempt and exec-failure with the error, lwp-exit for the
    /// main thread too, before exit.
    @Test func processLifeProbesFireInOrder() throws {
        let script = """
        proc:::start /progenyof($pid)/ { self->started = 1; printf("start\\n"); }
        proc:::lwp-start /self->started/ { printf("lwp-start\\n"); }
        proc:::exec /progenyof($pid)/ { printf("exec %s\\n", args[0]); }
        proc:::exec-failure /progenyof($pid)/ { printf("exec-failure %d\\n", args[0]); }
        proc:::lwp-exit /progenyof($pid) && execname == "true"/ { self->lwpexit = 1; printf("lwp-exit\\n"); }
        proc:::exit /self->lwpexit/ { printf("exit %d\\n", args[0]); exit(0); }
        BEGIN { system("/nonexistent-dtrace-test 2>/dev/null; exec /bin/true"); } /* sh forks for the first */
        tick-5s { exit(1); }
        """
        let result = try Harness.run(["-q", "-w", "-n", script], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "start\nlwp-start\nexec /bin/sh\nstart\nlwp-start\nexec /nonexistent-dtrace-test\nexec-failure -2\nexec /bin/true\nlwp-exit\nexit 1\n\n", "\(result.stdout)")
    }
}
