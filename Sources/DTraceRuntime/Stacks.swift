// DTraceRuntime/Stacks: stack() and ustack() output — the recorded program counters,
// one a line, indented by stackindent (14), named as dtrace(1M) names them:
// "module`symbol+0xoffset" (vmlinux for the kernel itself), or the bare address when no
// symbol covers it. Kernel symbols come from /proc/kallsyms, read once when the first
// stack is printed; user stacks print addresses.

import DTraceIR
import DTraceSystem

/// Where recorded stacks are kept (the kernel engine's stack map).
public protocol StackSource: AnyObject {
    func frames(ofStack id: Int64) -> [UInt64]
}

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

    /// "vmlinux`do_syscall_64+0x5a", or nil when no symbol lies at or below the address.
    func name(of address: UInt64) -> String? {
        var low = 0, high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let symbol = symbols[low - 1]
        let offset = address - symbol.address
        return "\(symbol.module)`\(symbol.name)" + (offset > 0 ? "+0x" + String(offset, radix: 16) : "")
    }
}

enum StackText {
    static let indent = 14

    static func render(_ frames: [UInt64], limit: Int, kernel: Bool) -> String {
        var text = "\n"
        let traced = kernel ? Array(frames.drop { KernelSymbols.shared.isMachinery($0) }) : frames
        for frame in traced.prefix(limit) {
            let name = kernel ? KernelSymbols.shared.name(of: frame) : nil
            text += String(repeating: " ", count: indent) + (name ?? "0x" + String(frame, radix: 16)) + "\n"
        }
        return text
    }
}

enum SymbolText {
    /// sym() "module`symbol", mod() "module"; the bare address when nothing covers it
    /// (user addresses always, for now).
    static func text(_ kind: SymbolKind, _ address: UInt64) -> String {
        let hex = "0x" + String(address, radix: 16)
        switch kind {
        case .sym: return KernelSymbols.shared.symbol(at: address).map { "\($0.module)`\($0.name)" } ?? hex
        case .mod: return KernelSymbols.shared.symbol(at: address)?.module ?? hex
        case .usym, .umod, .uaddr: return hex
        }
    }

    /// As dtrace(1M) prints it in trace output and aggregation keys: "  %-50s".
    static func field(_ kind: SymbolKind, _ address: UInt64) -> String {
        let text = self.text(kind, address)
        return "  " + text + String(repeating: " ", count: max(0, 50 - text.utf8.count))
    }
}
