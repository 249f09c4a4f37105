// DTraceConsumer/KernelSymbols: kernel addresses named from /proc/kallsyms (symbol,
// module, module base), read once, and the tracing machinery's own frames recognised so
// stacks start at the traced code.

import DTraceIR
import DTraceSystem

final class KernelSymbols {
    struct Symbol { var address: UInt64; var name: String; var module: String }
    let symbols: [Symbol]

    init(text: String) {
        var symbols: [Symbol] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 3, let address = UInt64(parts[0], radix: 16), address != 0 else { continue }
            let type = parts[1].first ?? "?"
            guard "tTwW".contains(type) else { continue }
            var module = "vmlinux"
            if parts.count >= 4, parts[3].hasPrefix("["), parts[3].hasSuffix("]") { module = String(parts[3].dropFirst().dropLast()) }
            symbols.append(Symbol(address: address, name: String(parts[2]), module: module))
        }
        self.symbols = symbols.sorted { $0.address < $1.address }
    }

    static let shared: KernelSymbols = KernelSymbols(text: SystemFiles.readSmallTextFile("/proc/kallsyms", limit: 64 << 20) ?? "")

    /// The symbol at or below an address.
    func symbol(at address: UInt64) -> Symbol? {
        var low = 0, high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? symbols[low - 1] : nil
    }

    /// Frames of the tracing machinery itself (the BPF program, the code that ran it),
    /// which sit on top of every stack a probe records and are not the traced code's.
    static let machineryPrefixes = ["bpf_prog_", "bpf_trace_run", "__bpf_trace_", "trace_call_bpf", "perf_trace_run_bpf_submit",
                                    "perf_syscall_enter", "perf_syscall_exit", "perf_trace_", "__traceiter_", "bpf_overflow_handler",
                                    "__perf_event_overflow", "perf_swevent_", "___perf_sw_event", "__perf_sw_event", "bpf_get_stackid"]

    func isMachinery(_ address: UInt64) -> Bool {
        guard let symbol = symbol(at: address) else { return false }
        return symbol.module == "bpf" || Self.machineryPrefixes.contains { symbol.name.hasPrefix($0) }
    }

    /// The lowest address of a module's symbols (mod()'s address in aggregation keys).
    func moduleBase(_ module: String) -> UInt64? { moduleBases[module] }

    lazy var moduleBases: [String: UInt64] = {
        var bases: [String: UInt64] = [:]
        for symbol in symbols where bases[symbol.module] == nil { bases[symbol.module] = symbol.address }
        return bases
    }()

    /// "vmlinux`do_syscall_64+0x5a", or nil when no symbol lies at or below the address.
    func name(of address: UInt64) -> String? {
        guard let symbol = symbol(at: address) else { return nil }
        let offset = address - symbol.address
        return "\(symbol.module)`\(symbol.name)" + (offset > 0 ? "+0x" + String(offset, radix: 16) : "")
    }
}
