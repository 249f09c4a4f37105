// DTraceProviders/ProbeCatalog: the probes of every registered provider and matching of
// probe descriptions with globs. Providers that read the kernel (tracefs) are enumerated
// only when a description can name them; profile probes are made on demand from their
// names, pid probes from the target's objects. Probes a provider leaves unnumbered get
// the next ID in order.

import DTraceIR
import DTraceLanguage

public final class ProbeCatalog {
    public private(set) var probes: [Probe] = []
    public private(set) var environment: ProbeEnvironment
    let providers: [any Provider]
    var enumerated: Set<String> = []
    /// Providers a description named by their own name (not through a glob).
    var namedExactly: Set<String> = []
    /// The full names of the probes providers make on demand, and of the others of
    /// providers that make them (a made probe is added once); not of the kernel's,
    /// which no provider makes on demand.
    var knownNames: Set<String> = []

    /// `tracefsRoot`: where the kernel providers' tracepoints are listed (nil: none);
    /// `startingProcesses`: processes held before exec, and their executables.
    /// `tracefsUnreadable`: tracefs cannot be read, so providers that can list their probes
    /// without it do (the ptrace engine's syscall probes).
    public init(tracefsRoot: String? = nil, startingProcesses: [Int32: String] = [:], tracefsUnreadable: Bool = false, providers: [any Provider] = Providers.all) {
        environment = ProbeEnvironment(tracefsRoot: tracefsRoot, startingProcesses: startingProcesses, tracefsUnreadable: tracefsUnreadable)
        self.providers = providers
        for provider in providers where !provider.enumeratesKernel { enumerate(provider) }
    }

    func enumerate(_ provider: any Provider) {
        guard enumerated.insert(provider.name).inserted else { return }
        for probe in provider.probes(in: environment) { add(probe, remembered: !provider.enumeratesKernel) }
    }

    func add(_ probe: Probe, remembered: Bool = true) {
        var probe = probe
        if probe.identity.id == 0 { probe.identity.id = probes.count + 1 }
        if remembered { knownNames.insert(probe.identity.fullName) }
        probes.append(probe)
    }

    /// Enumerates the kernel providers a provider pattern can match (once each).
    func loadKernelProviders(matching pattern: String) {
        for provider in providers where provider.enumeratesKernel && Glob.matches(pattern, provider.name) {
            if pattern == provider.name { namedExactly.insert(provider.name) }
            if environment.tracefsRoot != nil || (environment.tracefsUnreadable && provider.listsWithoutTracefs) { enumerate(provider) }
        }
    }

    /// Why providers a description named list no probes here, when they can say (a kernel
    /// list they read cannot be read). A provider matched only through a glob or an empty
    /// field is left out silently, as DTrace lists what it has.
    public func unlistedReasons() -> [String] {
        providers.filter { namedExactly.contains($0.name) }.compactMap { $0.unlistedReason(in: environment) }
    }

    /// Every probe, every kernel provider enumerated (for `dtrace -l`).
    public func allProbes() -> [Probe] {
        loadKernelProviders(matching: "*")
        return probes.sorted { $0.identity.id < $1.identity.id }
    }

    /// The probes a description matches; a name a provider makes probes from on demand
    /// (profile-97hz) creates its probe.
    public func match(_ description: ProbeDescription) -> [Probe] {
        // Probes a provider makes for the description match it, whatever their names
        // (pid's a.out names the executable, whose module is its file's name).
        var madeNames: Set<String> = []
        for provider in providers {
            for made in provider.probes(describedBy: description, in: environment) {
                madeNames.insert(made.identity.fullName)
                if !knownNames.contains(made.identity.fullName) { add(made) }
            }
        }
        if Self.needsKernelProviders(description, providers: providers) { loadKernelProviders(matching: description.provider) }
        return probes.filter { probe in
            (!madeNames.isEmpty && madeNames.contains(probe.identity.fullName))
                || (Glob.matches(description.provider, probe.identity.provider) && Glob.matches(description.module, probe.identity.module)
                    && Glob.matches(description.function, probe.identity.function) && Glob.matches(description.name, probe.identity.name))
        }
    }

    /// Whether a description can name a probe of a kernel provider. An unqualified
    /// BEGIN, END, ERROR or profile name needs no kernel enumeration.
    public static func needsKernelProviders(_ description: ProbeDescription) -> Bool {
        needsKernelProviders(description, providers: Providers.all)
    }

    public static func needsKernelProviders(_ description: ProbeDescription, providers: [any Provider]) -> Bool {
        if description.provider.isEmpty && providers.contains(where: { !$0.enumeratesKernel && $0.ownsName(description.name) }) { return false }
        return providers.contains { $0.enumeratesKernel && Glob.matches(description.provider, $0.name) }
    }

    /// A process that was held before exec (-c) now runs its command: its probes come
    /// from what it maps from now on (the libraries it loads with dlopen()).
    public func processStarted(_ pid: Int32) { environment.startingProcesses[pid] = nil }

    /// The probes a description matches, the providers on process code looking only at
    /// the mapped files `files` ("device:inode") — those a process has just loaded — for
    /// the probes they make (the others as `match` finds them).
    public func match(_ description: ProbeDescription, onlyFiles files: Set<String>) -> [Probe] {
        environment.onlyFiles = files
        defer { environment.onlyFiles = nil }
        return match(description)
    }

    /// dtrace:::`name` (BEGIN, END, ERROR).
    public func probe(named name: String) -> Probe? { probes.first { DTraceProvider.isProbe($0.identity, named: name) } }

    /// The types of args[0], args[1], ... of a probe.
    public func argumentTypes(_ probe: Probe) -> [String] { probe.provider.argumentTypes(of: probe, in: environment) }

    /// The shared argument record of the probes a description matches, for typed
    /// `args->field`; nil when a matched probe has none or the records differ.
    /// What args[N] are in D for every probe a description matches, when they agree.
    public func argumentExpressions(for description: ProbeDescription) -> [String]? {
        // The argument records must agree too: expressions naming the same members of
        // records that differ mean different things (and `args->` has no record then).
        var shared: (expressions: [String], record: [ArgumentRecord.Field]?)?
        for probe in match(description) {
            guard let expressions = probe.provider.argumentExpressions(of: probe, in: environment) else { return nil }
            let record = probe.provider.providesArgumentRecords ? probe.provider.argumentRecord(of: probe, in: environment)?.fields : nil
            if let shared, shared.expressions != expressions || shared.record != record { return nil }
            if shared == nil { shared = (expressions, record) }
        }
        return shared?.expressions
    }

    /// How many arguments the probes a description matches have: as many as their types
    /// where the provider types them, none for BEGIN and END; nil when unknown or differing.
    public func argumentCount(for description: ProbeDescription) -> Int? {
        var shared: Int?
        for probe in match(description) {
            let types = argumentTypes(probe)
            let isBeginOrEnd = probe.provider.name == "dtrace" && ["BEGIN", "END"].contains(probe.identity.name)
            guard !types.isEmpty || isBeginOrEnd else { return nil }
            if let shared, shared != types.count { return nil }
            shared = types.count
        }
        return shared
    }

    public func argumentRecord(for description: ProbeDescription) -> ArgumentRecord? {
        guard environment.tracefsRoot != nil else { return nil }
        var shared: ArgumentRecord?
        for probe in match(description) {
            guard let record = probe.provider.argumentRecord(of: probe, in: environment) else { return nil }
            if let shared, shared.fields != record.fields { return nil }
            if shared == nil { shared = record }
        }
        return shared
    }
}
