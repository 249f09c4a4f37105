// DTraceSystem/KernelFunctionAddresses: where named kernel functions lie, from
// /proc/kallsyms (text symbols of the kernel and its modules), for probes that filter on
// a code address: a timer's handler, a callback. kallsyms is large (over 100,000 lines):
// each name is looked for with strstr() rather than every line split.

import Glibc

public enum KernelFunctionAddresses {
    /// The addresses of those of `names` that kallsyms lists as text (a name listed more
    /// than once, as static functions of several files may be, gives each address).
    public static func addresses(of names: Set<String>, kallsyms: String? = nil) -> [String: [UInt64]] {
        guard let text = kallsyms ?? SystemFiles.readSmallTextFile("/proc/kallsyms", limit: 64 << 20) else { return [:] }
        // NUL-terminated, for strstr() (kallsyms has no NUL of its own).
        let bytes = Array(text.utf8) + [0]
        var found: [String: [UInt64]] = [:]
        for name in names {
            // " t name" then the end of the line or a module's tab.
            for type in ["t", "T", "w", "W"] {
                let needle = Array(" \(type) \(name)".utf8)
                var start = 0
                while start < bytes.count - 1, let at = find(needle, in: bytes, from: start) {
                    start = at + needle.count
                    guard bytes[start] == 0 || bytes[start] == UInt8(ascii: "\n") || bytes[start] == UInt8(ascii: "\t") else { continue }
                    var lineStart = at
                    while lineStart > 0 && bytes[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
                    if let address = UInt64(String(decoding: bytes[lineStart..<at], as: UTF8.self), radix: 16), address != 0 {
                        found[name, default: []].append(address)
                    }
                }
            }
        }
        return found
    }

    /// The first place at or after `start` where `needle` occurs in the NUL-terminated
    /// `bytes`.
    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        let pattern = needle.map { CChar(bitPattern: $0) } + [0]
        return bytes.withUnsafeBufferPointer { haystack -> Int? in
            guard let base = haystack.baseAddress else { return nil }
            return (base + start).withMemoryRebound(to: CChar.self, capacity: haystack.count - start) { text -> Int? in
                guard let found = strstr(text, pattern) else { return nil }
                return start + text.distance(to: found)
            }
        }
    }
}
