// DTraceSystem/KernelFunctionAddresses: where named kernel functions lie, from
// /proc/kallsyms (text symbols of the kernel and its modules), for probes that filter on
// a code address: a timer's handler, a callback.

public enum KernelFunctionAddresses {
    /// The addresses of those of `names` that kallsyms lists as text (a name listed more
    /// than once, as static functions of several files may be, gives each address).
    public static func addresses(of names: Set<String>, kallsyms: String? = nil) -> [String: [UInt64]] {
        guard let text = kallsyms ?? SystemFiles.readSmallTextFile("/proc/kallsyms", limit: 64 << 20) else { return [:] }
        var found: [String: [UInt64]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, fields[1].count == 1, "tTwW".contains(fields[1]) else { continue }
            let name = String(fields[2])
            guard names.contains(name), let address = UInt64(fields[0], radix: 16), address != 0 else { continue }
            found[name, default: []].append(address)
        }
        return found
    }
}
