// DTraceProviders/Providers: the registry. A new provider is one file and one line here;
// the catalogue, the engine plan, `-x platform` and the engines find it through this list.

public enum Providers {
    public static let all: [any Provider] = [
        DTraceProvider(),
        ProfileProvider(),
        SyscallProvider(),
        SDTProvider(),
        ProcProvider(),
        SchedProvider(),
        IOProvider(),
        LockstatProvider(),
        PidProvider(),
        USDTProvider(),
        FBTProvider(),
        TCPProvider(),
        UDPProvider(),
        IPProvider(),
    ]

    /// DTrace's providers not built here yet, and names people bring from other tracers:
    /// why a description naming one matches nothing, and what to use meanwhile.
    static let planned: [(pattern: String, reason: String)] = [
        ("kprobe", "kprobe is bpftrace's name: kernel functions are DTrace's fbt provider (fbt::FUNCTION:entry)"),
        ("kretprobe", "kretprobe is bpftrace's name: kernel function returns are fbt's return probes (fbt::FUNCTION:return)"),
        ("uprobe", "uprobe is bpftrace's name: user functions are DTrace's pid provider (pid$target:MODULE:FUNCTION:entry)"),
        ("uretprobe", "uretprobe is bpftrace's name: user function returns are the pid provider's return probes (pid$target:MODULE:FUNCTION:return)"),
        ("tracepoint", "tracepoint is bpftrace's name: kernel tracepoints are DTrace's sdt:GROUP::EVENT"),
        ("usdt", "usdt is bpftrace's name: USDT probes are PROVIDER$target:MODULE:FUNCTION:NAME (python$target:::function-entry)"),
    ]

    /// Why a description naming `provider` matches nothing, when the provider is one DTrace
    /// has and this dtrace does not yet (or another tracer's name for one).
    public static func plannedReason(for provider: String) -> String? {
        guard !provider.isEmpty, !Glob.hasMeta(provider) else { return nil }
        return planned.first { Glob.matches($0.pattern, provider) }?.reason
    }

    /// The provider named `name`.
    public static func named(_ name: String) -> (any Provider)? { all.first { $0.name == name } }
}
