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
    ]

    /// The provider named `name`.
    public static func named(_ name: String) -> (any Provider)? { all.first { $0.name == name } }
}
