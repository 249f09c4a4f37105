// DTracePlatform/EnginePlan: what providers need from the platform (each provider
// declares a `ProviderRequirement`), the one-line reason a provider cannot work here,
// and the report that `dtrace -x platform` prints. dtrace's engine choice asks the same
// requirements, so the report and the behaviour cannot disagree.

/// What a provider needs from the platform to run in the kernel engine (each provider
/// declares its own; DTraceProviders' registry lists them).
public struct ProviderRequirement: Sendable {
    public var provider: String
    public var needs: [Capability]
    /// How the kernel engine runs the provider's probes ("syscalls tracepoints").
    public var how: String
    /// What the user engine runs of it, said before the kernel engine in the report.
    public var userEngine: String?
    /// What to use instead when a capability of the provider's own is missing (not BPF,
    /// which every kernel provider needs): "kernel tracepoints are available as ...".
    public var alternative: String?
    /// How the ptrace engine runs the provider's probes in the -c/-p process (nil: it cannot).
    public var ptraceEngine: String?

    public init(provider: String, needs: [Capability], how: String, userEngine: String? = nil, alternative: String? = nil, ptraceEngine: String? = nil) {
        self.provider = provider; self.needs = needs; self.how = how; self.userEngine = userEngine; self.alternative = alternative
        self.ptraceEngine = ptraceEngine
    }
}

public enum EnginePlan {
    /// The capabilities the kernel engine needs for these providers, in a stable order.
    public static func needs(of requirements: [ProviderRequirement]) -> [Capability] {
        let wanted = Set(requirements.flatMap(\.needs) + [.bpf])
        return Capability.allCases.filter(wanted.contains)
    }

    /// The first requirement that failed for a provider, as dtrace's one-line error in
    /// plain words: "the syscall provider cannot work here: BPF programs cannot be loaded:
    /// Operation not permitted (needs root, or CAP_BPF and CAP_PERFMON)". With
    /// `suggestUserEngine`, what still runs without the kernel engine; when a capability
    /// other than BPF failed, the provider's alternative. Nil when all passed.
    public static func refusal(_ requirement: ProviderRequirement, results: [Capability: CheckResult], suggestUserEngine: Bool = true) -> String? {
        for capability in requirement.needs {
            guard let result = results[capability], !result.passed else { continue }
            var text = "the \(requirement.provider) provider cannot work here: \(capability.plainFailure): \(plainReason(result.detail))"
            if suggestUserEngine && (capability == .bpf || capability == .perfCPUClock) { text += "; BEGIN, END and tick-N still run with -x engine=user" }
            if capability != .bpf, let alternative = requirement.alternative { text += "; " + alternative }
            return text
        }
        return nil
    }

    /// A check's detail without the system call it names: "bpf(BPF_PROG_LOAD) of x: Operation
    /// not permitted (...)" is "Operation not permitted (...)".
    static func plainReason(_ detail: String) -> String {
        let characters = Array(detail)
        // After the first ": " that follows a call's closing parenthesis.
        var index = 0
        while index + 1 < characters.count {
            if characters[index] == ":" && characters[index + 1] == " " && characters[..<index].contains("(") && characters[..<index].contains(")") {
                return String(characters[(index + 2)...])
            }
            index += 1
        }
        return detail
    }

    static func milliseconds(_ nanoseconds: Int64) -> String {
        let hundredths = (nanoseconds + 5_000) / 10_000
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    /// `dtrace -x platform`: the platform, every capability with its reason, and the
    /// engine each provider will use.
    public static func report(platform: Platform, results: [(Capability, CheckResult)], providers: [ProviderRequirement]) -> String {
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
        let startChecks = needs(of: providers)
        let startCost = startChecks.compactMap { byCapability[$0]?.elapsedNanoseconds }.reduce(0, +)
        text += row("at start", "\(startChecks.map(\.rawValue).joined(separator: ", ")) (what kernel probes need): \(milliseconds(startCost)) ms", indent: "  ")
        text += "providers\n"
        for requirement in providers {
            let kernel: String
            if let failed = requirement.needs.first(where: { byCapability[$0]?.passed == false }) {
                kernel = "kernel engine unavailable (\(failed.rawValue) failed)"
            } else {
                kernel = "kernel engine (\(requirement.how))"
            }
            var engines = (requirement.userEngine ?? "") + kernel
            if let ptrace = requirement.ptraceEngine {
                engines += byCapability[.ptrace]?.passed == false ? "; ptrace engine unavailable (ptrace failed)" : "; ptrace engine (\(ptrace))"
            }
            text += row(requirement.provider, engines, indent: "  ")
        }
        return text
    }
}
