// DTraceConsumer/Stacks: stack() and ustack() output — the recorded program counters,
// one a line, indented by stackindent (14), named as dtrace(1M) names them:
// "module`symbol+0xoffset" (vmlinux for the kernel itself), or the bare address when no
// symbol covers it. Kernel symbols come from /proc/kallsyms, read once when the first
// stack is printed; user ones from the process's own files (UserSymbols).

import DTraceIR
import DTraceSystem

/// Where recorded stacks are kept (the kernel engine's stack map).
public protocol StackSource: AnyObject {
    func frames(ofStack id: Int64) -> [UInt64]
}

enum StackText {
    static let indent = 14

    /// A kernel stack (`processID` nil) or a user stack of that process, a frame a line.
    static func render(_ frames: [UInt64], limit: Int, processID: Int32?, user: UserSymbols) -> String {
        var text = "\n"
        for name in names(frames, limit: limit, processID: processID, user: user) {
            text += String(repeating: " ", count: indent) + name + "\n"
        }
        return text
    }

    /// The frames' names, leaf first, as render() prints them (kernel machinery dropped).
    static func names(_ frames: [UInt64], limit: Int, processID: Int32?, user: UserSymbols) -> [String] {
        let traced = processID == nil ? Array(frames.drop { KernelSymbols.shared.isMachinery($0) }) : frames
        return traced.prefix(limit).map { frame in
            processID.map { user.addressText($0, frame) } ?? KernelSymbols.shared.name(of: frame) ?? "0x" + String(frame, radix: 16)
        }
    }

    /// The stack recorded in `field` of `bytes` (a record or an aggregation key).
    static func render(_ bytes: [UInt8], _ field: RecordField, frames: Int, user: Bool, source: StackSource?, symbols: UserSymbols) -> String {
        let id = RecordReader.integer(bytes, at: field.offset, size: 8)
        let processID = user ? SymbolText.processID(bytes, field) : nil
        return render(id >= 0 ? source?.frames(ofStack: id) ?? [] : [], limit: frames, processID: processID, user: symbols)
    }

    /// The names of the stack recorded in `field` of `bytes`, leaf first.
    static func names(_ bytes: [UInt8], _ field: RecordField, frames: Int, user: Bool, source: StackSource?, symbols: UserSymbols) -> [String] {
        let id = RecordReader.integer(bytes, at: field.offset, size: 8)
        let processID = user ? SymbolText.processID(bytes, field) : nil
        return names(id >= 0 ? source?.frames(ofStack: id) ?? [] : [], limit: frames, processID: processID, user: symbols)
    }
}

enum SymbolText {
    /// sym() "module`symbol", mod() "module"; usym(), umod() and uaddr() likewise from
    /// the process's own files (uaddr with the offset); the bare address when nothing covers it.
    static func text(_ kind: SymbolKind, _ address: UInt64, processID: Int32 = 0, user: UserSymbols) -> String {
        let hex = "0x" + String(address, radix: 16)
        switch kind {
        case .sym: return KernelSymbols.shared.symbol(at: address).map { "\($0.module)`\($0.name)" } ?? hex
        case .mod: return KernelSymbols.shared.symbol(at: address)?.module ?? hex
        case .usym: return user.symbolText(processID, address)
        case .umod: return user.moduleText(processID, address)
        case .uaddr: return user.addressText(processID, address)
        }
    }

    /// The address in `field` of `bytes` named as its kind says (a user address is
    /// followed by its process id).
    static func text(_ kind: SymbolKind, _ bytes: [UInt8], _ field: RecordField, user: UserSymbols) -> String {
        let address = UInt64(bitPattern: RecordReader.integer(bytes, at: field.offset, size: 8))
        return text(kind, address, processID: kind.isUser ? processID(bytes, field) : 0, user: user)
    }

    /// The process id recorded after a user stack's id or a user address (its field's
    /// second 8 bytes).
    static func processID(_ bytes: [UInt8], _ field: RecordField) -> Int32 {
        Int32(truncatingIfNeeded: RecordReader.integer(bytes, at: field.offset + 8, size: 8))
    }

    /// As dtrace(1M) prints it in trace output and aggregation keys: "  %-50s".
    static func field(_ kind: SymbolKind, _ bytes: [UInt8], _ field: RecordField, user: UserSymbols) -> String {
        let text = self.text(kind, bytes, field, user: user)
        return "  " + text + String(repeating: " ", count: max(0, 50 - text.utf8.count))
    }

    /// The address an aggregation key holds for `kind` so that keys naming the same thing
    /// merge, as DTrace's do: a symbol's start for sym() and usym(), a module's base for
    /// mod() and umod(); uaddr() keeps its offset.
    static func normalizedAddress(_ kind: SymbolKind, _ address: UInt64, processID: Int32, user: UserSymbols) -> UInt64 {
        switch kind {
        case .sym: return KernelSymbols.shared.symbol(at: address)?.address ?? address
        case .mod:
            guard let module = KernelSymbols.shared.symbol(at: address)?.module else { return address }
            return KernelSymbols.shared.moduleBase(module) ?? address
        case .usym: return user.resolve(processID, address)?.symbol?.start ?? address
        case .umod: return user.resolve(processID, address)?.moduleBase ?? address
        case .uaddr: return address
        }
    }

    /// An aggregation key with its symbol fields normalized (the same key when it has none).
    static func normalizedKey(_ key: [UInt8], fields: [RecordField], user: UserSymbols) -> [UInt8] {
        var key = key
        for field in fields {
            guard case .symbol(let kind) = field.type, kind != .uaddr, field.offset + 8 <= key.count else { continue }
            let address = UInt64(bitPattern: RecordReader.integer(key, at: field.offset, size: 8))
            let normalized = normalizedAddress(kind, address, processID: kind.isUser ? processID(key, field) : 0, user: user)
            for index in 0..<8 { key[field.offset + index] = UInt8(truncatingIfNeeded: normalized >> (8 * UInt64(index))) }
        }
        return key
    }
}
