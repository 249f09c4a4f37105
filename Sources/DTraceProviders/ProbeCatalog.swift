// DTraceProviders/ProbeCatalog: the probe catalogue — dtrace:::BEGIN/END/ERROR and
// profile:::tick-N / profile-N (created on demand from their names, as DTrace's profile
// provider does), and, with the kernel providers, syscall, sdt, proc and sched probes
// on tracefs tracepoints (each provider enumerated only when a description can match
// it) — and matching of probe descriptions with globs.

import DTraceIR
import DTraceLanguage
import DTraceSystem
import Glibc

/// How the kernel engine fires a probe.
public enum ProbeAttachment: Equatable {
    case dtrace
    case profile(everyCPU: Bool)
    case syscall(event: String, isReturn: Bool)
    /// A tracepoint; `arguments` names the record fields that become arg0..argN (all
    /// non-common fields when nil).
    case tracepoint(group: String, event: String, arguments: [String]?)
}

public struct Probe {
    public var identity: ProbeIdentity
    /// For profile probes: the period in nanoseconds.
    public var period: Int64?
    public var attachment: ProbeAttachment = .dtrace
}

public final class ProbeCatalog {
    public private(set) var probes: [Probe] = []
    let kernelRoot: String?
    var loadedProviders: Set<String> = []
    public static let kernelProviders = ["syscall", "sdt", "proc", "sched"]

    /// `tracefsRoot`: where the kernel providers' tracepoints are listed (nil: none).
    public init(tracefsRoot: String? = nil) {
        kernelRoot = tracefsRoot
        add("dtrace", "", "", "BEGIN")
        add("dtrace", "", "", "END")
        add("dtrace", "", "", "ERROR")
        for rate in [97, 199, 499, 997, 1999, 4001, 4999] { add("profile", "", "", "profile-\(rate)", period: 1_000_000_000 / Int64(rate)) }
        for rate in [1, 10, 100, 500, 1000, 5000] { add("profile", "", "", "tick-\(rate)", period: 1_000_000_000 / Int64(rate)) }
    }

    @discardableResult
    func add(_ provider: String, _ module: String, _ function: String, _ name: String, period: Int64? = nil, id: Int? = nil,
             attachment: ProbeAttachment? = nil) -> Probe {
        let kind = attachment ?? (provider == "profile" ? .profile(everyCPU: name.hasPrefix("profile-")) : .dtrace)
        let probe = Probe(identity: ProbeIdentity(id: id ?? probes.count + 1, provider: provider, module: module, function: function, name: name),
                          period: period, attachment: kind)
        probes.append(probe)
        return probe
    }

    /// Enumerates the kernel providers a provider pattern can match (once each).
    func loadKernelProviders(matching pattern: String) {
        guard let root = kernelRoot else { return }
        for provider in Self.kernelProviders where Glob.matches(pattern, provider) && loadedProviders.insert(provider).inserted {
            switch provider {
            case "syscall":
                // IDs: 1000 + 2 * index of the system call (+1 for return), stable per kernel.
                let events = Tracefs.listDirectory(root + "/events/syscalls")
                let names = events.filter { $0.hasPrefix("sys_enter_") }.map { String($0.dropFirst("sys_enter_".count)) }
                let exits = Set(events.filter { $0.hasPrefix("sys_exit_") }.map { String($0.dropFirst("sys_exit_".count)) })
                for (index, name) in names.enumerated() {
                    add("syscall", "", name, "entry", id: 1000 + 2 * index, attachment: .syscall(event: "sys_enter_" + name, isReturn: false))
                    if exits.contains(name) { add("syscall", "", name, "return", id: 1001 + 2 * index, attachment: .syscall(event: "sys_exit_" + name, isReturn: true)) }
                }
            case "sdt":
                for (index, event) in Tracefs.events(root: root).enumerated() {
                    add("sdt", event.group, "", event.event, id: 10000 + index, attachment: .tracepoint(group: event.group, event: event.event, arguments: nil))
                }
            case "proc":
                // DTrace's proc probes on the scheduler's and signal tracepoints.
                let table: [(String, String, String, [String])] = [
                    ("exec-success", "sched", "sched_process_exec", ["pid"]),
                    ("exit", "sched", "sched_process_exit", ["pid"]),
                    ("create", "sched", "sched_process_fork", ["child_pid", "parent_pid"]),
                    ("signal-send", "signal", "signal_generate", ["pid", "sig"]),
                ]
                for (index, entry) in table.enumerated() where access("\(root)/events/\(entry.1)/\(entry.2)/id", F_OK) == 0 {
                    add("proc", "", "", entry.0, id: 100 + index, attachment: .tracepoint(group: entry.1, event: entry.2, arguments: entry.3))
                }
            case "sched":
                let table: [(String, String, String, [String])] = [
                    ("off-cpu", "sched", "sched_switch", ["next_pid", "prev_pid"]),
                    ("on-cpu", "sched", "sched_switch", ["next_pid", "prev_pid"]),
                    ("wakeup", "sched", "sched_wakeup", ["pid"]),
                ]
                for (index, entry) in table.enumerated() where access("\(root)/events/\(entry.1)/\(entry.2)/id", F_OK) == 0 {
                    add("sched", "", "", entry.0, id: 120 + index, attachment: .tracepoint(group: entry.1, event: entry.2, arguments: entry.3))
                }
            default: break
            }
        }
    }

    /// Every probe, every kernel provider enumerated (for `dtrace -l`).
    public func allProbes() -> [Probe] {
        loadKernelProviders(matching: "*")
        return probes.sorted { $0.identity.id < $1.identity.id }
    }

    /// The probes a description matches; a profile name that parses as a rate creates its probe.
    public func match(_ description: ProbeDescription) -> [Probe] {
        if (description.provider == "profile" || description.provider.isEmpty), description.module.isEmpty, description.function.isEmpty,
           !Glob.hasMeta(description.name), let period = ProbeCatalog.profilePeriod(description.name),
           !probes.contains(where: { $0.identity.provider == "profile" && $0.identity.name == description.name }) {
            add("profile", "", "", description.name, period: period)
        }
        if Self.needsKernelProviders(description) { loadKernelProviders(matching: description.provider) }
        return probes.filter { probe in
            Glob.matches(description.provider, probe.identity.provider) && Glob.matches(description.module, probe.identity.module)
                && Glob.matches(description.function, probe.identity.function) && Glob.matches(description.name, probe.identity.name)
        }
    }

    /// Whether a description can name a probe of a kernel provider. An unqualified
    /// BEGIN, END, ERROR or profile name needs no kernel enumeration.
    public static func needsKernelProviders(_ description: ProbeDescription) -> Bool {
        let dtraceOnlyName = ["BEGIN", "END", "ERROR"].contains(description.name) || profilePeriod(description.name) != nil
        if description.provider.isEmpty && dtraceOnlyName { return false }
        return kernelProviders.contains { Glob.matches(description.provider, $0) }
    }

    public func probe(named name: String) -> Probe? { probes.first { $0.identity.provider == "dtrace" && $0.identity.name == name } }

    /// Parses "tick-10ms", "profile-97hz", "tick-1" (hz): the period in nanoseconds.
    public static func profilePeriod(_ name: String) -> Int64? {
        let prefix: String
        if name.hasPrefix("tick-") { prefix = "tick-" } else if name.hasPrefix("profile-") { prefix = "profile-" } else { return nil }
        let rest = name.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Int64(digits), value > 0 else { return nil }
        let unit = rest.dropFirst(digits.count).lowercased()
        let nanoseconds: Int64?
        switch unit {
        case "", "hz": nanoseconds = 1_000_000_000 / value
        case "ns", "nsec": nanoseconds = value
        case "us", "usec": nanoseconds = value.multipliedReportingOverflow(by: 1_000).overflow ? nil : value * 1_000
        case "ms", "msec": nanoseconds = value.multipliedReportingOverflow(by: 1_000_000).overflow ? nil : value * 1_000_000
        case "s", "sec": nanoseconds = value.multipliedReportingOverflow(by: 1_000_000_000).overflow ? nil : value * 1_000_000_000
        case "m", "min": nanoseconds = value.multipliedReportingOverflow(by: 60_000_000_000).overflow ? nil : value * 60_000_000_000
        case "h", "hour": nanoseconds = value.multipliedReportingOverflow(by: 3_600_000_000_000).overflow ? nil : value * 3_600_000_000_000
        case "d", "day": nanoseconds = value.multipliedReportingOverflow(by: 86_400_000_000_000).overflow ? nil : value * 86_400_000_000_000
        default: nanoseconds = nil
        }
        guard let nanoseconds, nanoseconds >= 200_000 || prefix == "profile-" && nanoseconds > 0 else {
            return nanoseconds.flatMap { $0 > 0 ? max($0, 200_000) : nil }
        }
        return nanoseconds
    }
}

/// A probe's stability attributes, as `dtrace -lv` reports them.
public struct ProbeAttributes: Equatable, Sendable {
    public var names: String, data: String, dependency: String
}

extension ProbeCatalog {
    /// Probe description and argument attributes of a provider's probes.
    public static func attributes(provider: String) -> (probe: ProbeAttributes, arguments: ProbeAttributes) {
        switch provider {
        case "dtrace": return (ProbeAttributes(names: "Stable", data: "Stable", dependency: "Common"), ProbeAttributes(names: "Stable", data: "Stable", dependency: "Common"))
        case "profile": return (ProbeAttributes(names: "Unstable", data: "Unstable", dependency: "Common"), ProbeAttributes(names: "Unstable", data: "Unstable", dependency: "Common"))
        case "syscall": return (ProbeAttributes(names: "Evolving", data: "Evolving", dependency: "Common"), ProbeAttributes(names: "Private", data: "Private", dependency: "ISA"))
        case "proc", "sched": return (ProbeAttributes(names: "Evolving", data: "Evolving", dependency: "ISA"), ProbeAttributes(names: "Evolving", data: "Evolving", dependency: "ISA"))
        default: return (ProbeAttributes(names: "Private", data: "Private", dependency: "Unknown"), ProbeAttributes(names: "Private", data: "Private", dependency: "ISA"))
        }
    }

    /// The types of args[0], args[1], ... of a probe: its tracepoint fields' types as D
    /// names them (syscall entry: the call's arguments; return: its value).
    public func argumentTypes(_ probe: Probe) -> [String] {
        guard let root = kernelRoot else { return [] }
        func typeName(_ field: Tracefs.Field) -> String { ArgumentRecord.type(of: ArgumentRecord.Field(field)).description }
        switch probe.attachment {
        case .dtrace, .profile: return []
        case .syscall(let event, let isReturn):
            guard let fields = Tracefs.format(root: root, group: "syscalls", event: event) else { return [] }
            if isReturn { return fields.contains { $0.name == "ret" } ? ["int64_t", "int64_t"] : [] }
            return fields.filter { !$0.isCommon && $0.name != "__syscall_nr" }.map(typeName)
        case .tracepoint(let group, let event, let names):
            guard let fields = Tracefs.format(root: root, group: group, event: event) else { return [] }
            let chosen = names.map { names in names.compactMap { name in fields.first { $0.name == name } } } ?? fields.filter { !$0.isCommon }
            return chosen.map(typeName)
        }
    }

    /// The shared argument record of the sdt probes a description matches (their
    /// tracepoint's fields, common_* left out), for typed `args->field`; nil when the
    /// description matches no sdt probe or the matched probes' records differ.
    public func argumentRecord(for description: ProbeDescription) -> ArgumentRecord? {
        guard let root = kernelRoot, Glob.matches(description.provider, "sdt") else { return nil }
        var shared: ArgumentRecord?
        for probe in match(description) {
            guard case .tracepoint(let group, let event, nil) = probe.attachment,
                  let fields = Tracefs.format(root: root, group: group, event: event) else { return nil }
            let record = ArgumentRecord(name: "\(group)_\(event)_args", fields: fields.filter { !$0.isCommon }.map(ArgumentRecord.Field.init))
            if let shared, shared.fields != record.fields { return nil }
            if shared == nil { shared = record }
        }
        return shared
    }
}

extension ArgumentRecord.Field {
    /// A tracepoint format field as the compiler types it.
    init(_ field: Tracefs.Field) {
        self.init(name: field.name, typeName: field.typeName, offset: field.offset, size: field.size, signed: field.signed)
    }
}
