// DTracePlatform/EnginePlan: which engine each provider runs on and what it needs from
// the platform, the one-line reason a provider cannot work here, and the report that
// `dtrace -x platform` prints. dtrace's engine choice asks the same tables, so the
// report and the behaviour cannot disagree.

public enum Engine: String, Sendable { case user, kernel }

public struct ProviderRequirement: Sendable {
    public var provider: String
    public var engine: Engine
    public var needs: [Capability]
    public var how: String
}

public enum EnginePlan {
    /// Providers in the kernel engine and what each needs. (dtrace and tick-N run in the
    /// user engine alone; beside kernel probes they join the kernel engine.)
    public static let kernelRequirements: [String: ProviderRequirement] = [
        "dtrace": ProviderRequirement(provider: "dtrace", engine: .kernel, needs: [.bpf], how: "BPF test runs, beside kernel probes"),
        "profile": ProviderRequirement(provider: "profile", engine: .kernel, needs: [.bpf, .perfCPUClock], how: "perf cpu-clock"),
        "syscall": ProviderRequirement(provider: "syscall", engine: .kernel, needs: [.bpf, .tracefs, .tracepoints], how: "syscalls tracepoints"),
        "sdt": ProviderRequirement(provider: "sdt", engine: .kernel, needs: [.bpf, .tracefs, .tracepoints], how: "kernel tracepoints"),
        "proc": ProviderRequirement(provider: "proc", engine: .kernel, needs: [.bpf, .tracefs, .tracepoints], how: "sched and signal tracepoints"),
        "sched": ProviderRequirement(provider: "sched", engine: .kernel, needs: [.bpf, .tracefs, .tracepoints], how: "sched tracepoints"),
    ]

    public static let reportOrder = ["dtrace", "profile", "syscall", "sdt", "proc", "sched"]

    /// The capabilities the kernel engine needs for these providers, in a stable order.
    public static func needs(of providers: [String]) -> [Capability] {
        let wanted = Set(providers.flatMap { kernelRequirements[$0]?.needs ?? [.bpf] })
        return Capability.allCases.filter(wanted.contains)
    }

    /// The first requirement that failed for `provider`, as dtrace's one-line error:
    /// "the syscall provider cannot work here: bpf: ...". Nil when all passed.
    public static func refusal(provider: String, results: [Capability: CheckResult]) -> String? {
        for capability in kernelRequirements[provider]?.needs ?? [.bpf] {
            guard let result = results[capability], !result.passed else { continue }
            var text = "the \(provider) provider cannot work here: \(capability.rawValue): \(result.detail)"
            if capability == .bpf || capability == .perfCPUClock { text += "; BEGIN, END and tick-N still run with -x engine=user" }
            return text
        }
        return nil
    }

    static func milliseconds(_ nanoseconds: Int64) -> String {
        let hundredths = (nanoseconds + 5_000) / 10_000
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    /// `dtrace -x platform`: the platform, every capability with its reason, and the
    /// engine each provider will use.
    public static func report(platform: Platform, results: [(Capability, CheckResult)]) -> String {
        func row(_ name: String, _ value: String, indent: String = "") -> String {
            let label = indent + name
            return label + String(repeating: " ", count: max(1, 18 - label.count)) + value + "\n"
        }
        var text = row("platform", platform.summary)
        text += row("hypervisor", platform.hypervisor.name + (platform.hypervisorVersion.map { " " + $0 } ?? ""))
        if platform.hypervisor == .xen {
            text += row("xen guest", (platform.xenGuestType ?? .unknown).rawValue + " " + (platform.xenDomain ?? .unknown).rawValue)
        }
        text += row("container", platform.container.name)
        text += row("kernel", "Linux \(platform.kernelRelease) \(platform.machine)")
        text += "evidence\n"
        for item in platform.evidence { text += "  \(item.source): \(item.value)\n" }
        text += "capabilities\n"
        var byCapability: [Capability: CheckResult] = [:]
        for (capability, result) in results {
            byCapability[capability] = result
            text += row(capability.rawValue, (result.passed ? "pass  " : "FAIL  ") + result.detail + " [\(milliseconds(result.elapsedNanoseconds)) ms]", indent: "  ")
        }
        let startChecks = needs(of: ["syscall", "sdt", "proc", "sched", "profile"])
        let startCost = startChecks.compactMap { byCapability[$0]?.elapsedNanoseconds }.reduce(0, +)
        text += row("at start", "\(startChecks.map(\.rawValue).joined(separator: ", ")) (what kernel probes need): \(milliseconds(startCost)) ms", indent: "  ")
        text += "providers\n"
        for provider in reportOrder {
            guard let requirement = kernelRequirements[provider] else { continue }
            let kernel: String
            if let failed = requirement.needs.first(where: { byCapability[$0]?.passed == false }) {
                kernel = "kernel engine unavailable (\(failed.rawValue) failed)"
            } else {
                kernel = "kernel engine (\(requirement.how))"
            }
            switch provider {
            case "dtrace": text += row(provider, "user engine (BEGIN, END, ERROR in dtrace); " + kernel, indent: "  ")
            case "profile": text += row(provider, "tick-N: user engine alone; profile-N, and tick-N beside kernel probes: " + kernel, indent: "  ")
            default: text += row(provider, kernel, indent: "  ")
            }
        }
        text += row("pid, usdt", "not implemented yet (uprobes: \(byCapability[.uprobes].map { $0.passed ? "pass" : "FAIL" } ?? "untested"), single-step: \(byCapability[.singleStep].map { $0.passed ? "pass" : "FAIL" } ?? "untested"))", indent: "  ")
        return text
    }
}
