// DTraceCLITests/FBTCommandTests: the fbt provider end to end on this machine's kernel.
// Where the kernel has no kprobes (this development machine: CONFIG_KPROBES is not set),
// enabling an fbt probe is refused in one line that names the reason and the way out,
// with status 1; where it has them, a system call's function counts exactly and its
// return probe gives arg0 -1 and the return value. Listing reads tracefs's function list,
// or says why it cannot. Needs root (BPF); always runs under CI=true.

import Foundation
import Glibc
import Testing

@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct FBTCommandTests {
    static var hasKprobeEvents: Bool { FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe") }

    /// What the refusal says is missing: kprobes altogether, or only their perf events.
    static var missingKprobes: String {
        let symbols = (try? String(contentsOfFile: "/proc/kallsyms", encoding: .utf8)) ?? ""
        return symbols.contains(" register_kprobe\n") ? "this kernel has kprobes but no kprobe perf events (CONFIG_KPROBE_EVENTS is not set)"
            : "this kernel has no kprobes (CONFIG_KPROBES is not set)"
    }

    @Test(.enabled(if: !FBTCommandTests.hasKprobeEvents, "this kernel has kprobe events: countsAndReturnValues tries them"))
    func enablingWithoutKprobesIsRefusedInOneLine() throws {
        for arguments in [["-n", "fbt::vfs_read:entry"], ["-qn", "fbt::__x64_sys_getpid:return { @ = sum(arg1); }", "-c", "\(KernelHarness.workload) getpid 1"]] {
            let result = try Harness.run(arguments, pinned: false)
            #expect(result.stderr == "dtrace: the fbt provider cannot work here: kernel functions cannot be probed: \(Self.missingKprobes); kernel tracepoints are available as sdt:GROUP::EVENT\n")
            #expect(result.stdout == "")
            #expect(result.status == 1)
        }
    }

    @Test(.enabled(if: FBTCommandTests.hasKprobeEvents, "this kernel has no kprobe events"))
    func countsAndReturnValues() throws {
        // getpid's function as tracefs lists it: __x64_sys_getpid, or on kernels where
        // that is an alias (Linux 6.1) __do_sys_getpid.
        let listing = try Harness.run(["-l", "-n", "fbt::__x64_sys_getpid:entry"], pinned: false)
        let function = listing.status == 0 ? "__x64_sys_getpid" : "__do_sys_getpid"
        let script = """
        fbt::\(function):entry /pid == $target/ { @entries = count(); }
        fbt::\(function):return /pid == $target/ { @returns = count(); @own = sum(arg1 == pid); @offset = min(arg0); }
        END { printa("%@d %@d %@d %@d\\n", @entries, @returns, @own, @offset); }
        """
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) getpid 1000"], pinned: false)
        #expect(result.stdout == "1000 1000 1000 -1\n\n")
        #expect(result.status == 0)
    }

    /// Why the kernel's function list cannot be read (nil: it can).
    static var functionListProblem: String? {
        let descriptor = open("/sys/kernel/tracing/available_filter_functions", O_RDONLY)
        if descriptor >= 0 { close(descriptor); return nil }
        return String(cString: strerror(errno))
    }

    @Test func listingNeedsNoKprobes() throws {
        let result = try Harness.run(["-l", "-n", "fbt::vfs_read:"], pinned: false)
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.first == "ID PROVIDER MODULE FUNCTION NAME")
        if let problem = Self.functionListProblem {
            #expect(lines.count == 1)
            #expect(result.stderr == "dtrace: the fbt provider is not listed: /sys/kernel/tracing/available_filter_functions cannot be read: \(problem)\n"
                    + "dtrace: failed to match fbt::vfs_read:: No probe matches description\n")
            #expect(result.status == 0)
        } else {
            #expect(lines.dropFirst().map { $0.split(separator: " ").dropFirst().joined(separator: " ") } == ["fbt vmlinux vfs_read entry", "fbt vmlinux vfs_read return"])
            #expect(result.stderr == "")
            #expect(result.status == 0)
        }
    }
}
