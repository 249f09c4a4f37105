// DTraceLanguage/LanguageVersion: the D language versions a program may ask for (the
// version option: -x version=1.0, #pragma D option version=1.0) and the identifiers each
// brought. As in DTrace, a program written for an earlier version may use the names a
// later one took (a variable called strstr in D 1.0) without a redeclaration error.

public struct LanguageVersion: Comparable, Sendable, CustomStringConvertible {
    public let major: Int, minor: Int, micro: Int

    public init(_ major: Int, _ minor: Int, _ micro: Int = 0) { self.major = major; self.minor = minor; self.micro = micro }

    public static func < (a: LanguageVersion, b: LanguageVersion) -> Bool {
        (a.major, a.minor, a.micro) < (b.major, b.minor, b.micro)
    }

    public var description: String { micro == 0 ? "\(major).\(minor)" : "\(major).\(minor).\(micro)" }

    /// The versions DTrace defines, oldest first; the last is this compiler's.
    public static let defined: [LanguageVersion] = [
        .init(1, 0), .init(1, 1), .init(1, 2), .init(1, 2, 1), .init(1, 2, 2), .init(1, 3), .init(1, 4), .init(1, 4, 1),
        .init(1, 5), .init(1, 6), .init(1, 6, 1), .init(1, 6, 2), .init(1, 6, 3), .init(1, 6, 4), .init(2, 0),
    ]

    /// This compiler's version, the one a program gets unless it asks for another.
    public static var current: LanguageVersion { defined[defined.count - 1] }

    /// The version a text names ("1.0", "1.6.4"), or DTrace's reason why it names none.
    public static func parse(_ text: String) -> Result<LanguageVersion, VersionProblem> {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) && $0.count <= 4 }) else {
            return .failure(.malformed)
        }
        let numbers = parts.map { Int($0)! }
        let version = LanguageVersion(numbers[0], numbers[1], numbers.count > 2 ? numbers[2] : 0)
        return defined.contains(version) ? .success(version) : .failure(.undefined)
    }

    public enum VersionProblem: Error, CustomStringConvertible {
        case malformed, undefined
        public var description: String {
            switch self {
            case .malformed: return "Version is not properly formatted or is too large"
            case .undefined: return "Requested version is not supported by compiler"
            }
        }
    }

    /// The identifiers versions after 1.0 brought (subroutines, actions, aggregating
    /// functions, variables), with the version each came in.
    static let introduced: [String: LanguageVersion] = {
        var table: [String: LanguageVersion] = [:]
        for name in ["freopen", "index", "rindex", "strchr", "strrchr", "strstr", "strtok", "substr"] { table[name] = .init(1, 1) }
        for name in ["func", "mod", "setopt", "sym", "uaddr", "ucaller", "ufunc", "umod", "ustackdepth", "usym"] { table[name] = .init(1, 2) }
        for name in ["htonl", "htonll", "htons", "ntohl", "ntohll", "ntohs"] { table[name] = .init(1, 3) }
        for name in ["inet_ntoa", "inet_ntoa6", "inet_ntop", "link_ntop"] { table[name] = .init(1, 5) }
        table["stddev"] = .init(1, 6)
        for name in ["llquantize", "pcap"] { table[name] = .init(1, 6, 4) }
        table["print"] = .init(2, 0)
        return table
    }()

    /// Whether `name` is one of the language's own identifiers in this version.
    public func has(_ name: String) -> Bool { Self.introduced[name].map { $0 <= self } ?? true }
}
