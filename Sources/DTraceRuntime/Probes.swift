// DTraceRuntime/Probes: the probes the user engine provides — dtrace:::BEGIN/END/ERROR
// and profile:::tick-N / profile-N (created on demand from their names, as DTrace's
// profile provider does) — and matching of probe descriptions with globs.

import DTraceIR

public struct Probe {
    public var identity: ProbeIdentity
    /// For profile probes: the period in nanoseconds.
    public var period: Int64?
}

public final class ProbeCatalog {
    public private(set) var probes: [Probe] = []

    public init() {
        add("dtrace", "", "", "BEGIN")
        add("dtrace", "", "", "END")
        add("dtrace", "", "", "ERROR")
        for rate in [97, 199, 499, 997, 1999, 4001, 4999] { add("profile", "", "", "profile-\(rate)", period: 1_000_000_000 / Int64(rate)) }
        for rate in [1, 10, 100, 500, 1000, 5000] { add("profile", "", "", "tick-\(rate)", period: 1_000_000_000 / Int64(rate)) }
    }

    @discardableResult
    func add(_ provider: String, _ module: String, _ function: String, _ name: String, period: Int64? = nil) -> Probe {
        let probe = Probe(identity: ProbeIdentity(id: probes.count + 1, provider: provider, module: module, function: function, name: name), period: period)
        probes.append(probe)
        return probe
    }

    /// The probes a description matches; a profile name that parses as a rate creates its probe.
    public func match(_ description: ProbeDescription) -> [Probe] {
        if (description.provider == "profile" || description.provider.isEmpty), description.module.isEmpty, description.function.isEmpty,
           !Glob.hasMeta(description.name), let period = ProbeCatalog.profilePeriod(description.name),
           !probes.contains(where: { $0.identity.provider == "profile" && $0.identity.name == description.name }) {
            add("profile", "", "", description.name, period: period)
        }
        return probes.filter { probe in
            Glob.matches(description.provider, probe.identity.provider) && Glob.matches(description.module, probe.identity.module)
                && Glob.matches(description.function, probe.identity.function) && Glob.matches(description.name, probe.identity.name)
        }
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

/// Shell-style globs as DTrace uses them in probe descriptions: * ? [set] [!set] and \.
/// An empty pattern matches anything.
public enum Glob {
    public static func hasMeta(_ pattern: String) -> Bool { pattern.contains { "*?[\\".contains($0) } }

    public static func matches(_ pattern: String, _ text: String) -> Bool {
        if pattern.isEmpty { return true }
        return match(Array(pattern.utf8)[...], Array(text.utf8)[...])
    }

    static func match(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        var starP = -1, starT = -1
        while t < text.endIndex {
            if p < pattern.endIndex {
                let c = pattern[p]
                if c == 0x2a { starP = p; starT = t; p += 1; continue }
                if c == 0x3f { p += 1; t += 1; continue }
                if c == 0x5b, let (matched, next) = matchSet(pattern, p, text[t]) {
                    if matched { p = next; t += 1; continue }
                } else if c == 0x5c, p + 1 < pattern.endIndex {
                    if pattern[p + 1] == text[t] { p += 2; t += 1; continue }
                } else if c == text[t] { p += 1; t += 1; continue }
            }
            if starP >= 0 { p = starP + 1; starT += 1; t = starT; continue }
            return false
        }
        while p < pattern.endIndex && pattern[p] == 0x2a { p += 1 }
        return p == pattern.endIndex
    }

    static func matchSet(_ pattern: ArraySlice<UInt8>, _ start: Int, _ c: UInt8) -> (Bool, Int)? {
        var index = start + 1
        var negate = false
        if index < pattern.endIndex && pattern[index] == 0x21 { negate = true; index += 1 }
        var matched = false
        var first = true
        while index < pattern.endIndex && (pattern[index] != 0x5d || first) {
            first = false
            if index + 2 < pattern.endIndex && pattern[index + 1] == 0x2d && pattern[index + 2] != 0x5d {
                if c >= pattern[index] && c <= pattern[index + 2] { matched = true }
                index += 3
            } else {
                if c == pattern[index] { matched = true }
                index += 1
            }
        }
        guard index < pattern.endIndex else { return nil }
        return (matched != negate, index + 1)
    }
}
