// DTraceCLITests/PlatformCLITests: the platform as dtrace(1) shows and uses it — the
// `-x platform` report on this machine, and, without privileges, the one-line refusal
// of a kernel provider that comes before the -c command ever runs. The unprivileged
// cases drop to nobody with setpriv(1), so they need root; under CI=true they run.

import Foundation
import Testing

@Suite struct PlatformCLITests {
    @Test func reportOnThisMachine() throws {
        let result = try Harness.run(["-x", "platform"], pinned: false)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("platform          ") == true)
        for section in ["evidence", "capabilities", "providers"] { #expect(lines.contains(section)) }
        for capability in ["bpf", "tracefs", "tracepoints", "perf-tracepoint", "uprobe-pmu", "kprobe-pmu", "perf-cpu-clock", "hardware-pmu", "ptrace", "single-step", "btf"] {
            #expect(lines.contains { $0.hasPrefix("  " + capability + " ") && ($0.contains(" pass ") || $0.contains(" FAIL ")) }, "\(capability)")
        }
        #expect(lines.contains { $0.hasPrefix("  single-step     pass  ") })
    }

    @Test func usageDocumentsThePlatformReport() throws {
        let result = try Harness.run([], pinned: false)
        #expect(result.status == 2)
        #expect(result.stderr.contains("\t    (-x platform: report the platform, its self-tests and each provider's engine;\n"))
    }

    @Test(.enabled(if: KernelHarness.available, "needs root to drop to nobody; runs always under CI=true"))
    func unprivilegedKernelProviderIsRefusedBeforeTheCommandRuns() throws {
        let scratch = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let marker = scratch + "/ran"
        // proc probes need the kernel (the ptrace engine fires only pid, usdt and syscall probes).
        let result = try Unprivileged.run(["-n", "proc:::exec-success { @ = count(); }", "-c", "/usr/bin/touch \(marker)"], in: scratch)
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr == "dtrace: the proc provider cannot work here: BPF programs cannot be loaded: Operation not permitted (needs root, or CAP_BPF and CAP_PERFMON); BEGIN, END and tick-N still run with -x engine=user\n")
        #expect(result.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: marker), "the -c command must not have run")
        // syscall probes without a process to trace: the same line says where they can run.
        let syscalls = try Unprivileged.run(["-n", "syscall::getpid:entry { @ = count(); }"], in: scratch)
        #expect(syscalls.status == 1)
        #expect(syscalls.stderr == "dtrace: the syscall provider cannot work here: BPF programs cannot be loaded: Operation not permitted (needs root, or CAP_BPF and CAP_PERFMON); BEGIN, END and tick-N still run with -x engine=user; its probes in a -c or -p process run with the ptrace engine\n")
    }

    @Test(.enabled(if: KernelHarness.available, "needs root to drop to nobody; runs always under CI=true"))
    func unprivilegedUserEngineStillWorks() throws {
        let scratch = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result = try Unprivileged.run(["-qn", "BEGIN { printf(\"hello\\n\"); exit(0); }"], in: scratch)
        #expect(result.status == 0)
        #expect(result.stdout == "hello\n\n")
        let report = try Unprivileged.run(["-x", "platform"], in: scratch)
        #expect(report.status == 0)
        #expect(report.stdout.contains("\n  bpf             FAIL  "))
        #expect(report.stdout.contains("\n  syscall         kernel engine unavailable (bpf failed); ptrace engine (seccomp or PTRACE_SYSCALL stops of the -c/-p process)\n"))
        #expect(report.stdout.contains("\n  pid             kernel engine unavailable (bpf failed); ptrace engine (breakpoints in the -c/-p process)\n"))
        #expect(report.stdout.contains("\n  sched           kernel engine unavailable (bpf failed)\n"))
        // Without tracefs, syscall probes are listed from dtrace's own table (for the ptrace engine).
        let syscalls = try Unprivileged.run(["-l", "-n", "syscall::getpid:"], in: scratch)
        #expect(syscalls.status == 0)
        #expect(syscalls.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ").suffix(3).joined(separator: " ") } == ["vmlinux getpid entry", "vmlinux getpid return"])
        // -l says which providers it cannot show and why.
        let listing = try Unprivileged.run(["-l"], in: scratch)
        #expect(listing.status == 0)
        #expect(listing.stdout.contains(" profile ") || listing.stdout.contains("profile"))
        #expect(listing.stderr == "dtrace: the kernel providers (sdt, proc, sched, io, lockstat, fbt, tcp, udp, ip) are not listed: tracefs cannot be read or mounted: Operation not permitted (needs root)\n")
    }
}

enum Unprivileged {
    /// A world-readable copy of the dtrace binary, so that nobody can run it.
    static func scratchDirectory() throws -> String {
        let directory = "/tmp/dtrace-unprivileged-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        let copy = directory + "/dtrace"
        try FileManager.default.copyItem(atPath: Harness.binary, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
        return directory
    }

    static func run(_ arguments: [String], in directory: String) throws -> Harness.Result {
        try Harness.runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", directory + "/dtrace"] + arguments,
                               directory: URL(fileURLWithPath: directory))
    }
}
