// DTracePlatformTests/SelfTestsTests: the capability self-tests on this machine (the
// single-step test is the seed case: PTRACE_SINGLESTEP must advance exactly one
// instruction and leave no trap flag behind), the time bound that cuts off a test that
// hangs, the engine plan's one-line refusals (with a provider's alternative), and why
// kprobes are missing, told from the kernel's symbols. Tests needing root skip outside CI
// when not root; under CI=true they always run.

@testable import DTracePlatform
import Glibc
import Testing

enum Privilege {
    static var root: Bool { getenv("CI").map { String(cString: $0) == "true" } ?? false || geteuid() == 0 }
}

@Suite struct SelfTestsTests {
    @Test func singleStepAdvancesExactlyOneInstruction() {
        let result = SelfTests.live.run(.singleStep)
        #expect(result.passed, "\(result.detail)")
        #expect(result.detail.contains("exactly one instruction"))
    }

    @Test func ptraceOfAScratchChild() {
        let result = SelfTests.live.run(.ptrace)
        #expect(result.passed, "\(result.detail)")
    }

    @Test(.enabled(if: Privilege.root, "needs root; runs always under CI=true"))
    func kernelEngineCapabilitiesAsRoot() {
        for capability in [Capability.bpf, .tracefs, .tracepoints, .perfCPUClock, .btf] {
            let result = SelfTests.live.run(capability)
            #expect(result.passed, "\(capability.rawValue): \(result.detail)")
        }
    }

    @Test func hangingTestIsCutOffAndFails() {
        var tests = SelfTests(tests: [.bpf: { sleep(20); return .pass("never seen") }])
        tests.timeLimitMilliseconds = { _ in 100 }
        let start = monotonicMilliseconds()
        let result = tests.run(.bpf)
        let elapsed = monotonicMilliseconds() - start
        #expect(!result.passed)
        #expect(result.detail == "did not finish within 100 ms")
        #expect(elapsed >= 100 && elapsed < 2000)
    }

    @Test func missingTestFails() {
        let result = SelfTests(tests: [:]).run(.btf)
        #expect(!result.passed)
    }

    static let syscall = ProviderRequirement(provider: "syscall", needs: [.bpf, .tracefs, .tracepoints], how: "syscalls tracepoints")
    static let sdt = ProviderRequirement(provider: "sdt", needs: [.bpf, .tracefs, .tracepoints], how: "kernel tracepoints")
    static let profile = ProviderRequirement(provider: "profile", needs: [.bpf, .perfCPUClock], how: "perf cpu-clock", userEngine: "tick-N: user engine alone; ")
    static let dtrace = ProviderRequirement(provider: "dtrace", needs: [.bpf], how: "BPF test runs")

    @Test func refusalNamesTheFirstMissingCapability() {
        let results: [Capability: CheckResult] = [
            .bpf: .fail("bpf(BPF_PROG_LOAD) of dtrace_probe: Operation not permitted (needs root, or CAP_BPF and CAP_PERFMON)"),
            .tracefs: .fail("not mounted"), .tracepoints: .pass("ok"),
        ]
        #expect(EnginePlan.refusal(Self.syscall, results: results)
                == "the syscall provider cannot work here: BPF programs cannot be loaded: Operation not permitted (needs root, or CAP_BPF and CAP_PERFMON); BEGIN, END and tick-N still run with -x engine=user")
        #expect(EnginePlan.refusal(Self.syscall, results: results, suggestUserEngine: false)
                == "the syscall provider cannot work here: BPF programs cannot be loaded: Operation not permitted (needs root, or CAP_BPF and CAP_PERFMON)")
        let noTracefs: [Capability: CheckResult] = [.bpf: .pass("ok"), .tracefs: .fail("not mounted, and mount(tracefs, /sys/kernel/tracing): Operation not permitted (needs root (CAP_SYS_ADMIN))")]
        #expect(EnginePlan.refusal(Self.sdt, results: noTracefs)
                == "the sdt provider cannot work here: the kernel's tracing file system (tracefs) is not available: Operation not permitted (needs root (CAP_SYS_ADMIN))")
        #expect(EnginePlan.refusal(Self.sdt, results: [.bpf: .pass("ok"), .tracefs: .pass("ok"), .tracepoints: .pass("ok")]) == nil)
        #expect(EnginePlan.needs(of: [Self.syscall]) == [.bpf, .tracefs, .tracepoints])
        #expect(EnginePlan.needs(of: [Self.profile, Self.dtrace]) == [.bpf, .perfCPUClock])
    }

    static let fbt = ProviderRequirement(provider: "fbt", needs: [.bpf, .kprobes], how: "kprobes, one perf event per probe",
                                         alternative: "kernel tracepoints are available as sdt:GROUP::EVENT")

    @Test func refusalOffersTheProvidersAlternative() {
        let noKprobes: [Capability: CheckResult] = [.bpf: .pass("ok"), .kprobes: .fail("this kernel has no kprobes (CONFIG_KPROBES is not set)")]
        #expect(EnginePlan.refusal(Self.fbt, results: noKprobes)
                == "the fbt provider cannot work here: kernel functions cannot be probed: this kernel has no kprobes (CONFIG_KPROBES is not set); kernel tracepoints are available as sdt:GROUP::EVENT")
        // Without BPF the tracepoints are no way out: only the user engine is.
        let noBPF: [Capability: CheckResult] = [.bpf: .fail("bpf(BPF_PROG_LOAD) of dtrace_probe: Operation not permitted"), .kprobes: .pass("perf event type 6")]
        #expect(EnginePlan.refusal(Self.fbt, results: noBPF)
                == "the fbt provider cannot work here: BPF programs cannot be loaded: Operation not permitted; BEGIN, END and tick-N still run with -x engine=user")
        #expect(EnginePlan.refusal(Self.fbt, results: [.bpf: .pass("ok"), .kprobes: .pass("perf event type 6")]) == nil)
    }

    @Test func missingKprobesToldFromTheKernelSymbols() {
        let core = "ffffffff81000000 T _stext\nffffffff81382870 T __x64_sys_getpid\n"
        #expect(LiveChecks.kprobesMissing(kernelSymbols: core) == "this kernel has no kprobes (CONFIG_KPROBES is not set)")
        #expect(LiveChecks.kprobesMissing(kernelSymbols: core + "ffffffff811a2b30 T register_kprobe\n")
                == "this kernel has kprobes but no kprobe perf events (CONFIG_KPROBE_EVENTS is not set)")
        // A name that only ends like it is not it; an unreadable or empty table says less.
        #expect(LiveChecks.kprobesMissing(kernelSymbols: core + "ffffffff811a2b30 t __unregister_kprobe\n") == "this kernel has no kprobes (CONFIG_KPROBES is not set)")
        let unknown = "this kernel has no kprobe perf events (/sys/bus/event_source/devices/kprobe is missing: CONFIG_KPROBES or CONFIG_KPROBE_EVENTS is not set)"
        #expect(LiveChecks.kprobesMissing(kernelSymbols: nil) == unknown)
        #expect(LiveChecks.kprobesMissing(kernelSymbols: "") == unknown)
    }

    @Test func reportListsPlatformCapabilitiesAndProviders() {
        let platform = Fixtures.platform("xen-pv-dom0")
        let results: [(Capability, CheckResult)] = Capability.allCases.map { ($0, $0 == .hardwarePMU ? .fail("no PMU") : .pass("fine")) }
        let providers = [Self.dtrace, Self.profile, Self.syscall, Self.sdt]
        let report = EnginePlan.report(platform: platform, results: results, providers: providers)
        let lines = report.split(separator: "\n").map(String.init)
        #expect(lines.first == "platform          Xen PV dom0")
        #expect(lines.contains("hypervisor        Xen 4.17"))
        #expect(lines.contains("xen guest         PV dom0"))
        #expect(lines.contains { $0.hasPrefix("  single-step     pass  fine [") })
        #expect(lines.contains { $0.hasPrefix("  hardware-pmu    FAIL  no PMU [") })
        #expect(lines.contains("  syscall         kernel engine (syscalls tracepoints)"))
        #expect(lines.contains("  profile         tick-N: user engine alone; kernel engine (perf cpu-clock)"))
        let denied = EnginePlan.report(platform: platform, results: [(.bpf, .fail("denied"))], providers: providers)
        #expect(denied.contains("  sdt             kernel engine unavailable (bpf failed)\n"))
    }
}

func monotonicMilliseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}
