// DTraceIR/StabilityAttributes: DTrace's stability attributes — how stable a name is, how
// stable its data's meaning is, and what it depends on — in DTrace's order, written as
// dtrace_attr2str writes them ("Stable/Stable/Common") and read as dtrace_str2attr reads
// them (amin, #pragma D attributes); with the least of two, which a clause and a program
// are given, and those of D's built-in identifiers (Oracle's table: all Stable but the
// byte-order and mutex subroutines and curthread).

public struct StabilityAttributes: Sendable, Equatable, CustomStringConvertible {
    public enum Stability: Int, Sendable, CaseIterable {
        case `internal`, `private`, obsolete, external, unstable, evolving, stable, standard
        public var name: String { ["Internal", "Private", "Obsolete", "External", "Unstable", "Evolving", "Stable", "Standard"][rawValue] }
    }

    public enum DependencyClass: Int, Sendable, CaseIterable {
        case unknown, cpu, platform, group, isa, common
        public var name: String { ["Unknown", "CPU", "Platform", "Group", "ISA", "Common"][rawValue] }
    }

    public var names: Stability
    public var data: Stability
    public var dependency: DependencyClass

    public init(_ names: Stability, _ data: Stability, _ dependency: DependencyClass) {
        self.names = names; self.data = data; self.dependency = dependency
    }

    /// Stable/Stable/Common: D's own constructs.
    public static let standardDefault = StabilityAttributes(.stable, .stable, .common)
    /// The highest attributes (what an unset minimum is).
    public static let highest = StabilityAttributes(.standard, .standard, .common)
    /// Private/Private/Unknown: kernel types and symbols.
    public static let implementation = StabilityAttributes(.private, .private, .unknown)
    /// Unstable/Unstable/Common: a probe description whose provider is a pattern.
    public static let anyProvider = StabilityAttributes(.unstable, .unstable, .common)

    public var description: String { "\(names.name)/\(data.name)/\(dependency.name)" }

    /// Whether a probe description's provider is a pattern (or left out): its probes are then
    /// `anyProvider`'s, whatever they are.
    public static func isPatternProvider(_ provider: String) -> Bool {
        provider.isEmpty || provider.contains { "*?[".contains($0) }
    }

    /// The least of each part.
    public func minimum(_ other: StabilityAttributes) -> StabilityAttributes {
        StabilityAttributes(Stability(rawValue: min(names.rawValue, other.names.rawValue))!,
                            Stability(rawValue: min(data.rawValue, other.data.rawValue))!,
                            DependencyClass(rawValue: min(dependency.rawValue, other.dependency.rawValue))!)
    }

    /// Whether any part is below the minimum's (dt_attr_cmp() < 0).
    public func isBelow(_ minimum: StabilityAttributes) -> Bool {
        names.rawValue < minimum.names.rawValue || data.rawValue < minimum.data.rawValue || dependency.rawValue < minimum.dependency.rawValue
    }

    /// "name[/data[/class]]" in any case, as dtrace_str2attr reads it: parts left out are the
    /// highest; nil for an unknown word or more than three parts.
    public static func parse(_ text: String) -> StabilityAttributes? {
        var result = highest
        guard !text.isEmpty else { return result }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard parts.count <= 3 else { return nil }
        for (index, part) in parts.enumerated() {
            if part.isEmpty { return result }   // what follows an empty part is left out
            if index < 2 {
                guard let stability = Stability.allCases.first(where: { $0.name.lowercased() == part }) else { return nil }
                if index == 0 { result.names = stability } else { result.data = stability }
            } else {
                guard let dependency = DependencyClass.allCases.first(where: { $0.name.lowercased() == part }) else { return nil }
                result.dependency = dependency
            }
        }
        return result
    }

    /// A built-in identifier's attributes (variables, subroutines, actions), as Oracle's
    /// DTrace declares them.
    public static func ofBuiltin(_ name: String) -> StabilityAttributes {
        if name == "curthread" { return StabilityAttributes(.stable, .private, .common) }
        return evolvingBuiltins.contains(name) ? StabilityAttributes(.evolving, .evolving, .common) : standardDefault
    }

    static let evolvingBuiltins: Set<String> = [
        "d_path", "ddi_pathname", "getmajor", "getminor", "htonl", "htonll", "htons", "ntohl", "ntohll", "ntohs",
        "mutex_owned", "mutex_owner", "mutex_type_adaptive", "mutex_type_spin", "rw_iswriter", "rw_read_held", "rw_write_held",
    ]
}
