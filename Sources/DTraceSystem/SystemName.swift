// DTraceSystem/SystemName: uname(2) — the kernel's name, this host's node name, the
// kernel's release and version strings, and the machine (hardware) name, as text.

import Glibc

/// The names uname(2) reports (struct utsname).
public struct SystemName: Equatable, Sendable {
    /// The kernel's name ("Linux").
    public var systemName: String
    /// The host's node name.
    public var nodeName: String
    /// The kernel release ("6.1.0-13-amd64").
    public var release: String
    /// The kernel's build version string.
    public var version: String
    /// The hardware name ("x86_64", "aarch64").
    public var machine: String

    /// This system's names; nil when uname(2) fails.
    public static func current() -> SystemName? {
        var names = utsname()
        guard uname(&names) == 0 else { return nil }
        func text<Field>(_ field: Field) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return SystemName(systemName: text(names.sysname), nodeName: text(names.nodename), release: text(names.release),
                          version: text(names.version), machine: text(names.machine))
    }
}
