// DTraceConsumer/FoldedStacks: aggregations as folded stacks, Brendan Gregg's format that
// flamegraph.pl reads (-x oformat=folded, and the frames of -x flamegraph): an entry a
// line, its frames root first joined by ';', a space, its value. Key fields that are not
// stacks are frames nearest the root, in key order; then each stack key's frames, root
// first. Frames are named as stack() names them without the "+0x..." offset (so one
// function is one frame, as stackcollapse.pl makes it); entries that fold to the same
// frames are added together.

import DTraceIR
import DTraceSystem

/// One folded entry: frames root first, and its value.
public struct FoldedStack: Equatable, Sendable {
    public var frames: [String]
    public var value: Int64
    public init(frames: [String], value: Int64) { self.frames = frames; self.value = value }

    /// "root;child;leaf value".
    public var line: String { frames.joined(separator: ";") + " " + String(value) }
}

enum FoldedStacks {
    /// A frame as folded lines hold it: no offset, no ';' (which separates frames, so it
    /// becomes '_'), no line breaks, never empty.
    static func frameName(_ text: String) -> String {
        var characters = Array(text)
        if let plus = characters.lastIndex(of: "+"), plus > 0 {
            let offset = characters[(plus + 1)...]
            if offset.count > 2, offset.starts(with: ["0", "x"]), offset.dropFirst(2).allSatisfy(\.isHexDigit) {
                characters.removeSubrange(plus...)
            }
        }
        let name = String(characters.map { $0 == ";" ? "_" : ($0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0) })
        return name.isEmpty ? "[empty]" : name
    }

    /// Entries with the same frames added together, in first-seen order.
    static func merged(_ stacks: [FoldedStack]) -> [FoldedStack] {
        var index: [[String]: Int] = [:]
        var result: [FoldedStack] = []
        for stack in stacks {
            if let at = index[stack.frames] { result[at].value &+= stack.value; continue }
            index[stack.frames] = result.count
            result.append(stack)
        }
        return result
    }
}

extension Consumer {
    /// Whether any key field of the aggregation is a stack().
    func hasStackKey(_ id: Int) -> Bool {
        aggregations.descriptors[id].keyFields.contains { if case .stack = $0.type { return true }; return false }
    }

    /// The aggregation's entries folded, in DTrace's order. A value is the number DTrace
    /// prints (after normalize()); a histogram's is its buckets' total. An entry with no
    /// frames at all (no keys, empty stacks) is the aggregation's name ("@name").
    func foldedStacks(_ id: Int) -> [FoldedStack] {
        let descriptor = aggregations.descriptors[id]
        var stacks: [FoldedStack] = []
        for key in aggregations.sortedKeys(id, options: options) {
            guard let value = aggregations.entries[id][key] else { continue }
            var roots: [String] = [], frames: [String] = []
            for field in descriptor.keyFields {
                switch field.type {
                case .stack(let count, let user):
                    frames += StackText.names(key, field, frames: count, user: user, source: stackSource, symbols: userSymbols).reversed()
                case .string(let size): roots.append(String(decoding: RecordReader.string(key, at: field.offset, size: size), as: UTF8.self))
                case .addressText: roots.append(String(decoding: RecordReader.addressText(key, field), as: UTF8.self))
                case .symbol(let kind): roots.append(SymbolText.text(kind, key, field, user: userSymbols))
                case .integer, .pointer, .bytes, .floating:
                    switch jsonKey(field, key) {
                    case .integer(let number): roots.append(String(number))
                    case .unsigned(let number): roots.append(String(number))
                    case .string(let text): roots.append(text)
                    default: break
                    }
                }
            }
            var all = (roots + frames).map(FoldedStacks.frameName)
            if all.isEmpty { all = ["@" + descriptor.name] }
            let number: Int64
            switch descriptor.function.presentation(value.words, normal: value.normal) {
            case .integer(let scalar, _): number = scalar
            case .histogram(_, let counts, _, let normal), .histogramRows(_, let counts, let normal): number = counts.reduce(0, &+) / max(1, normal)
            }
            stacks.append(FoldedStack(frames: all, value: number))
        }
        return FoldedStacks.merged(stacks)
    }

    /// -x oformat=folded: the aggregation's lines.
    func foldedText(_ id: Int) -> String { foldedStacks(id).map { $0.line + "\n" }.joined() }

    /// The stack aggregations (those with a stack() or ustack() key) folded together, for
    /// the flame graph; with more than one, each entry's root frame is its aggregation's name.
    public func flameGraphStacks() -> [FoldedStack] {
        aggregationBackend?.refresh()
        let ids = aggregations.descriptors.map(\.id).filter { hasStackKey($0) && aggregations.hasEntries($0) }
        var stacks: [FoldedStack] = []
        for id in ids {
            let folded = foldedStacks(id)
            stacks += ids.count > 1 ? folded.map { FoldedStack(frames: ["@" + aggregations.descriptors[id].name] + $0.frames, value: $0.value) } : folded
        }
        return FoldedStacks.merged(stacks)
    }
}
