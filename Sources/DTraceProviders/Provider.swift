// DTraceProviders/Provider: what a provider is. A provider owns its probes from end to
// end: their names and stability, what the platform must offer for them (the engine
// plan and `-x platform` read it), their argument types (`-lv`, typed `args`), and in
// the kernel engine the program type, the prologue that fills the standard probe
// context (DTraceCodegen/ProbeContext) and the attach step. One file per provider, one
// line in `Providers.all`; nothing else names a provider.

import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem

/// A probe's stability attributes, as `dtrace -lv` reports them.
public struct ProbeAttributes: Equatable, Sendable {
    public var names: String, data: String, dependency: String
    public init(names: String, data: String, dependency: String) { self.names = names; self.data = data; self.dependency = dependency }
    public init(_ level: String, _ dependency: String) { self.init(names: level, data: level, dependency: dependency) }
}

/// Where probes are enumerated from.
public struct ProbeEnvironment: Sendable {
    /// The tracefs root (nil: no kernel providers are enumerated).
    public var tracefsRoot: String?
    /// Processes dtrace started that have not run their command yet (-c, held before
    /// exec), with the executable they will run: their probes come from that file and
    /// the libraries it needs, not from what is mapped now.
    public var startingProcesses: [Int32: String] = [:]
    /// tracefs cannot be read here (an unprivileged user): providers that can list their
    /// probes without it (`listsWithoutTracefs`) do.
    public var tracefsUnreadable = false
    /// When set, the providers on process code look only at these of a process's mapped
    /// files ("device:inode"): those it has just loaded.
    public var onlyFiles: Set<String>?
    public init(tracefsRoot: String?, startingProcesses: [Int32: String] = [:], tracefsUnreadable: Bool = false) {
        self.tracefsRoot = tracefsRoot; self.startingProcesses = startingProcesses; self.tracefsUnreadable = tracefsUnreadable
    }
}

public protocol Provider: Sendable {
    var name: String { get }
    /// Attributes of the probe descriptions (as -lv shows a listed probe: the least of
    /// its provider's, module's and name's, as DTrace computes them) and of the arguments.
    var probeAttributes: ProbeAttributes { get }
    var argumentAttributes: ProbeAttributes { get }
    /// What the kernel engine needs from the platform for this provider, and how it
    /// runs there.
    var requirement: ProviderRequirement { get }
    /// Whether enumerating the probes reads the kernel (tracefs): such providers are
    /// listed only when a description can name them.
    var enumeratesKernel: Bool { get }
    /// Whether such a provider lists its probes without tracefs too (from what dtrace
    /// knows itself: the system call table), for the ptrace engine.
    var listsWithoutTracefs: Bool { get }
    /// Every probe, with the provider's own IDs (0: numbered by the catalogue).
    func probes(in environment: ProbeEnvironment) -> [Probe]
    /// A probe made on demand from a description naming it exactly (profile-97hz).
    func probe(describedBy description: ProbeDescription) -> Probe?
    /// The probes made on demand from a description (pid1234:libc.so.6:mem*:entry);
    /// by default the one `probe(describedBy:)` makes.
    func probes(describedBy description: ProbeDescription, in environment: ProbeEnvironment) -> [Probe]
    /// For a provider on a process's code (pid1234, python1234): the process a
    /// description's provider field names, whose libraries loaded later (dlopen) are
    /// searched for the description's probes again; nil for the others.
    func processNamed(byProvider provider: String) -> Int32?
    /// Why a description naming this provider matched nothing, when the provider can say
    /// more than "does not match any probes" (no such process): a D_* tag and message.
    func matchFailure(for description: ProbeDescription, in environment: ProbeEnvironment) -> (tag: String, message: String)?
    /// Why the provider lists no probes here though the kernel may have them (the list it
    /// reads cannot be read), for `dtrace -l` and descriptions that match nothing.
    func unlistedReason(in environment: ProbeEnvironment) -> String?
    /// Whether a description's name alone can only mean one of this provider's probes
    /// (BEGIN, tick-1s), so no kernel provider need be enumerated for it.
    func ownsName(_ name: String) -> Bool
    /// The types of args[0], args[1]... (`-lv`).
    func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String]
    /// What `-lv` says of the probe besides its attributes and arguments (where a probe
    /// on user code sits and whether the kernel steps its instruction out of line).
    func siteNotes(of probe: Probe) -> [String]
    /// The record `args->field` reads, when the probe has one.
    func argumentRecord(of probe: Probe, in environment: ProbeEnvironment) -> ArgumentRecord?
    /// Whether any of the provider's probes has an argument record (the compiler then
    /// reads the records of the probes a description of it matches).
    var providesArgumentRecords: Bool { get }
    /// What args[0], args[1]... are in D, when the provider says: DTrace's stable types
    /// translated from the kernel's (`xlate<psinfo_t *>((struct task_struct *)arg1)`).
    func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]?
    /// Whether any of the provider's probes has such expressions.
    var translatesArguments: Bool { get }
    /// Whether the user engine (the interpreter in dtrace) can fire this probe.
    func runsInUserEngine(_ probe: Probe) -> Bool
    /// How the ptrace engine runs the probe (nil: it cannot, it needs the kernel).
    func tracedProbe(for probe: Probe) -> TracedProbe?
    /// How the kernel engine runs the probe: program type, prologue, attachment.
    func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe
}

extension Provider {
    public var enumeratesKernel: Bool { true }
    public var listsWithoutTracefs: Bool { false }
    public func probe(describedBy description: ProbeDescription) -> Probe? { nil }
    public func processNamed(byProvider provider: String) -> Int32? { nil }
    public func probes(describedBy description: ProbeDescription, in environment: ProbeEnvironment) -> [Probe] {
        probe(describedBy: description).map { [$0] } ?? []
    }
    public func ownsName(_ name: String) -> Bool { false }
    public func unlistedReason(in environment: ProbeEnvironment) -> String? { nil }
    public func matchFailure(for description: ProbeDescription, in environment: ProbeEnvironment) -> (tag: String, message: String)? { nil }
    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { [] }
    public func siteNotes(of probe: Probe) -> [String] { [] }
    public func tracedProbe(for probe: Probe) -> TracedProbe? { nil }
    public func argumentRecord(of probe: Probe, in environment: ProbeEnvironment) -> ArgumentRecord? { nil }
    public var providesArgumentRecords: Bool { false }
    public func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]? { nil }
    public var translatesArguments: Bool { false }
    public func runsInUserEngine(_ probe: Probe) -> Bool { false }

    func makeProbe(id: Int = 0, module: String = "", function: String = "", name: String, detail: (any Sendable)? = nil) -> Probe {
        Probe(identity: ProbeIdentity(id: id, provider: self.name, module: module, function: function, name: name), provider: self, detail: detail)
    }
}

public struct KernelSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

