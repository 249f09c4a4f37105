// DTraceSystem/ProcessEnvironment: dtrace's own environment variables (environ), which a
// `-c` command inherits — read, for example, for LD_LIBRARY_PATH and LD_PRELOAD when
// working out which libraries the command will load.

import Glibc

public enum ProcessEnvironment {
    /// Every variable of this process's environment; of a name given twice, the first.
    public static var variables: [String: String] {
        var result: [String: String] = [:]
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if result[name] == nil { result[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        return result
    }

    /// The value of one variable, or nil when it is not set.
    public static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
