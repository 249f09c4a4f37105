// DTracePlatform/SelfTests: what this platform honours, found out by trying it — each
// capability a small test that is bounded in time and leaves nothing behind (programs,
// events and scratch children are closed, killed and reaped; tracefs mounted for the
// test alone is unmounted). A test that overruns its bound is cut off and reported
// failed. Results are never cached: every run of dtrace asks again.

import DTraceSystem

public enum Capability: String, CaseIterable, Sendable {
    case bpf
    case tracefs
    case tracepoints
    case perfTracepoint = "perf-tracepoint"
    case uprobes = "uprobe-pmu"
    case uprobeMulti = "uprobe-multi"
    case kprobes = "kprobe-pmu"
    case perfCPUClock = "perf-cpu-clock"
    case hardwarePMU = "hardware-pmu"
    case ptrace
    case singleStep = "single-step"
    case btf

    /// The bound on one test, in milliseconds (scratch children get more: under full
    /// emulation a fork and a few stops take a while).
    var timeLimitMilliseconds: Int {
        switch self {
        case .ptrace, .singleStep: return 3000
        default: return 1000
        }
    }
}

extension Capability {
    /// What a failed check means, as a refusal says it.
    public var plainFailure: String {
        switch self {
        case .bpf: return "BPF programs cannot be loaded"
        case .tracefs: return "the kernel's tracing file system (tracefs) is not available"
        case .tracepoints: return "kernel tracepoints cannot be read"
        case .perfCPUClock: return "cpu-clock perf events cannot be opened"
        case .uprobeMulti: return "uprobes cannot be attached through uprobe_multi links (Linux 6.6 or later, built with CONFIG_UPROBES)"
        case .kprobes: return "kernel functions cannot be probed"
        default: return "\(rawValue) is not available"
        }
    }
}

public struct CheckResult: Equatable, Sendable {
    public var passed: Bool
    public var detail: String
    /// Wall time of the test, its bounded-call overhead included.
    public var elapsedNanoseconds: Int64 = 0
    public static func pass(_ detail: String) -> CheckResult { CheckResult(passed: true, detail: detail) }
    public static func fail(_ detail: String) -> CheckResult { CheckResult(passed: false, detail: detail) }
}

public struct SelfTests: Sendable {
    public typealias Test = @Sendable () -> CheckResult
    /// The test for each capability; tests replace entries to simulate a platform.
    public var tests: [Capability: Test]
    public var timeLimitMilliseconds: @Sendable (Capability) -> Int = { $0.timeLimitMilliseconds }

    public init(tests: [Capability: Test]) { self.tests = tests }

    /// The tests that try this machine.
    public static var live: SelfTests {
        SelfTests(tests: [
            .bpf: LiveChecks.bpf, .tracefs: LiveChecks.tracefs, .tracepoints: LiveChecks.tracepoints,
            .perfTracepoint: LiveChecks.perfTracepoint,
            .uprobes: LiveChecks.uprobes, .uprobeMulti: LiveChecks.uprobeMulti, .kprobes: LiveChecks.kprobes, .perfCPUClock: LiveChecks.perfCPUClock, .hardwarePMU: LiveChecks.hardwarePMU,
            .ptrace: LiveChecks.ptrace, .singleStep: LiveChecks.singleStep, .btf: LiveChecks.btf,
        ])
    }

    /// Runs one test within its bound.
    public func run(_ capability: Capability) -> CheckResult {
        guard let test = tests[capability] else { return .fail("no test for this platform") }
        let limit = timeLimitMilliseconds(capability)
        let start = SystemClock.monotonicNanoseconds()
        var result: CheckResult
        switch BoundedCall.run(test, milliseconds: limit) {
        case .finished(let finished): result = finished
        case .timedOut: result = .fail("did not finish within \(limit) ms")
        }
        result.elapsedNanoseconds = SystemClock.monotonicNanoseconds() - start
        return result
    }

    /// Runs the given tests (each once, in order), stopping at nothing.
    public func run(_ capabilities: [Capability]) -> [(Capability, CheckResult)] {
        var seen = Set<Capability>()
        return capabilities.filter { seen.insert($0).inserted }.map { ($0, run($0)) }
    }
}

/// The tests that try this machine's kernel.
enum LiveChecks {
    static func describe(_ error: any Error, privilege: String = "root, or CAP_BPF and CAP_PERFMON") -> String {
        if let load = error as? BPFProgram.LoadError { return describe(load.error, privilege: privilege) }
        guard let error = error as? SystemError else { return "\(error)" }
        switch error.code {
        case ErrorNumber.operationNotPermitted, ErrorNumber.permissionDenied: return "\(error) (needs \(privilege))"
        case ErrorNumber.notImplemented: return "\(error) (the kernel does not have this call)"
        default: return "\(error)"
        }
    }

    static let bpf: SelfTests.Test = {
        // r0 = 0; exit
        let instructions: [UInt8] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]
        do {
            _ = try BPFProgram(type: .tracepoint, instructions: instructions, name: "dtrace_probe")
            return .pass("loaded a 2-instruction tracepoint program")
        } catch {
            return .fail(describe(error))
        }
    }

    /// Runs `body` with a tracefs root: the mounted one, or one mounted for the test
    /// alone and unmounted after it.
    static func withTracefs(_ body: (_ root: String, _ mountedHere: Bool) -> CheckResult) -> CheckResult {
        for path in Tracefs.candidates {
            switch SystemFiles.checkExists(path + "/events") {
            case .success: return body(path, false)
            case .failure(let error) where error.code == ErrorNumber.permissionDenied:
                return .fail(describe(SystemError("\(path)", code: error.code), privilege: "root"))
            case .failure: continue
            }
        }
        let path = Tracefs.candidates[0]
        do { try Tracefs.mount(on: path) } catch {
            return .fail("not mounted, and " + describe(error, privilege: "root (CAP_SYS_ADMIN)"))
        }
        defer { Tracefs.unmount(path) }
        guard SystemFiles.exists(path + "/events") else { return .fail("mounted on \(path) but has no events directory") }
        return body(path, true)
    }

    static let tracefs: SelfTests.Test = {
        withTracefs { root, mountedHere in
            .pass(mountedHere ? "not mounted; mountable on \(root) (dtrace mounts it when needed)" : "mounted at \(root)")
        }
    }

    static let tracepoints: SelfTests.Test = {
        withTracefs { root, _ in
            guard SystemFiles.exists(root + "/events/syscalls") else { return .fail("\(root)/events has no syscalls group (kernel built without CONFIG_FTRACE_SYSCALLS)") }
            guard let id = Tracefs.eventID(root: root, group: "sched", event: "sched_switch") else { return .fail("\(root)/events/sched/sched_switch/id is unreadable") }
            return .pass("syscalls group present; sched:sched_switch has id \(id)")
        }
    }

    /// Opening (and closing) a tracepoint event costs tens of milliseconds (the kernel
    /// waits out an RCU grace period), so this one is in the report, not at start.
    static let perfTracepoint: SelfTests.Test = {
        withTracefs { root, _ in
            guard let id = Tracefs.eventID(root: root, group: "sched", event: "sched_switch") else { return .fail("\(root)/events/sched/sched_switch/id is unreadable") }
            do {
                _ = try PerfEvent.tracepoint(id: id)
                return .pass("opened sched:sched_switch as a perf event")
            } catch {
                return .fail(describe(error))
            }
        }
    }

    /// A dynamic-probe PMU: its perf event type, from sysfs.
    static func probePMU(_ name: String, config: String) -> CheckResult {
        let path = "/sys/bus/event_source/devices/\(name)/type"
        guard let type = SystemFiles.readSmallTextFile(path, limit: 64).flatMap({ Int($0.filter(\.isNumber)) }) else {
            return .fail("\(path) is missing (kernel built without \(config))")
        }
        return .pass("perf event type \(type)")
    }

    static let uprobes: SelfTests.Test = { probePMU("uprobe", config: "CONFIG_UPROBE_EVENTS") }
    /// The kprobe PMU (fbt's probes are its perf events). Without it, the kernel's symbol
    /// table tells whether kprobes are missing altogether or only their perf events.
    static let kprobes: SelfTests.Test = {
        let result = probePMU("kprobe", config: "CONFIG_KPROBE_EVENTS")
        guard !result.passed else { return result }
        return .fail(kprobesMissing(kernelSymbols: SystemFiles.readSmallTextFile("/proc/kallsyms", limit: 64 << 20)))
    }

    /// Why the kprobe PMU is missing, from /proc/kallsyms (nil: unreadable): without
    /// register_kprobe the kernel has no kprobes at all.
    static func kprobesMissing(kernelSymbols: String?) -> String {
        guard let symbols = kernelSymbols, symbols.contains(" _stext\n") else {
            return "this kernel has no kprobe perf events (/sys/bus/event_source/devices/kprobe is missing: CONFIG_KPROBES or CONFIG_KPROBE_EVENTS is not set)"
        }
        return symbols.contains(" register_kprobe\n") ? "this kernel has kprobes but no kprobe perf events (CONFIG_KPROBE_EVENTS is not set)"
            : "this kernel has no kprobes (CONFIG_KPROBES is not set)"
    }

    /// A uprobe_multi link, limited to dtrace itself, on a file dtrace does not map (so
    /// no breakpoint is placed anywhere): what the pid and USDT probes attach with.
    static let uprobeMulti: SelfTests.Test = {
        guard let file = ["/bin/true", "/usr/bin/true", "/bin/sh"].first(where: { SystemProcess.executablePath($0) != nil }) else {
            return .fail("no file to place a test uprobe on")
        }
        let instructions: [UInt8] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]
        let program: BPFProgram
        do throws(BPFProgram.LoadError) { program = try BPFProgram(type: .kprobe, attachType: .uprobeMulti, instructions: instructions, name: "dtrace_probe") } catch {
            return .fail(describe(error.error))
        }
        do {
            _ = try BPFLink.uprobes(path: file, offsets: [0], cookies: [1], processID: ProcessIdentity.processID, returns: false, program: program)
            return .pass("attached a uprobe_multi link to \(file)")
        } catch { return .fail(describe(error)) }
    }

    static let perfCPUClock: SelfTests.Test = {
        let cpu = Int32(SystemCPUs.online.first ?? 0)
        do {
            _ = try PerfEvent.cpuClock(periodNanoseconds: 10_000_000, cpu: cpu)
            return .pass("opened a software cpu-clock event on CPU \(cpu)")
        } catch {
            return .fail(describe(error))
        }
    }

    static let hardwarePMU: SelfTests.Test = {
        switch PerfCounters.hardwareCycles() {
        case .success: return .pass("opened the hardware cpu-cycles counter")
        case .failure(let error):
            return .fail(error.code == ErrorNumber.noSuchEntry || error.code == ErrorNumber.notSupported ? "\(error) (no hardware PMU exposed; profile uses cpu-clock)" : describe(error))
        }
    }

    static func stoppedScratchChild(deadline: Int64) -> Result<Tracee, CheckFailure> {
        let tracee: Tracee
        do { tracee = try Tracee.scratchChild() } catch { return .failure(CheckFailure(describe(error))) }
        switch tracee.wait(until: deadline) {
        case .stopped(signal: SignalNumber.stop): return .success(tracee)
        case .timedOut: return .failure(CheckFailure("the scratch child did not stop"))
        case let event: return .failure(CheckFailure("the scratch child did not stop with SIGSTOP: \(event)"))
        }
    }

    struct CheckFailure: Error { var text: String; init(_ text: String) { self.text = text } }

    static let ptrace: SelfTests.Test = {
        let deadline = SystemClock.monotonicNanoseconds() + 2_500_000_000
        switch stoppedScratchChild(deadline: deadline) {
        case .failure(let failure): return .fail(failure.text)
        case .success(let tracee):
            defer { tracee.kill() }
            do { _ = try tracee.registers() } catch { return .fail(describe(error)) }
            return .pass("traced a scratch child: stopped it and read its registers")
        }
    }

    /// PTRACE_SINGLESTEP must advance exactly one instruction each time, and leave no
    /// trap flag behind: after PTRACE_CONT the child must run to its exit_group(42)
    /// without a stray SIGTRAP (the failure of tracers that set the flag themselves).
    static let singleStep: SelfTests.Test = {
        guard let sequence = Tracee.stepSequence else { return .fail("no single-step sequence for this architecture") }
        let deadline = SystemClock.monotonicNanoseconds() + 2_500_000_000
        switch stoppedScratchChild(deadline: deadline) {
        case .failure(let failure): return .fail(failure.text)
        case .success(let tracee):
            defer { tracee.kill() }
            do {
                try tracee.setProgramCounter(sequence[0])
                // After mov $1,%eax: at the add, eax 1; after add $2,%eax: at the exit, eax 3.
                for (step, expected) in [(sequence[1], UInt64(1)), (sequence[2], UInt64(3))].enumerated() {
                    try tracee.singleStep()
                    let event = tracee.wait(until: deadline)
                    guard event == .stopped(signal: SignalNumber.trap) else { return .fail("step \(step + 1): expected a SIGTRAP stop, got \(event)") }
                    let registers = try tracee.registers()
                    guard registers.programCounter == expected.0 else {
                        let moved = Int64(bitPattern: registers.programCounter &- (step == 0 ? sequence[0] : sequence[1]))
                        return .fail("step \(step + 1): the program counter moved \(moved) bytes, not one instruction")
                    }
                    guard registers.accumulator & 0xffff_ffff == expected.1 else {
                        return .fail("step \(step + 1): eax is \(registers.accumulator & 0xffff_ffff), expected \(expected.1)")
                    }
                }
                try tracee.resume()
                let end = tracee.wait(until: deadline)
                guard end == .exited(status: 42) else {
                    return .fail(end == .stopped(signal: SignalNumber.trap) ? "a stray SIGTRAP followed PTRACE_CONT: the trap flag stayed set" : "after PTRACE_CONT expected exit status 42, got \(end)")
                }
                return .pass("PTRACE_SINGLESTEP advanced exactly one instruction, twice; no stray SIGTRAP after")
            } catch {
                return .fail(describe(error))
            }
        }
    }

    static let btf: SelfTests.Test = {
        let path = "/sys/kernel/btf/vmlinux"
        guard let header = SystemFiles.readPrefix(path, count: 4) else { return .fail("\(path) is missing (kernel built without CONFIG_DEBUG_INFO_BTF)") }
        guard header.count == 4, header[0] == 0x9f, header[1] == 0xeb else { return .fail("\(path) does not start with the BTF magic 0xeb9f") }
        let size = SystemFiles.size(path).map { " (\($0) bytes)" } ?? ""
        return .pass("\(path), version \(header[2])\(size)")
    }
}
