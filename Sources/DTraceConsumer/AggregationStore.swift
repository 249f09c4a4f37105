// DTraceConsumer/AggregationStore: the consumer's aggregations: entries per key in first-
// seen order, updated by the user engine and refreshed from the kernel's maps, keys naming
// one symbol merged, clear() and trunc().

import DTraceIR
import DTraceSystem

public final class AggregationStore {
    public let descriptors: [AggregationDescriptor]
    /// Entries per aggregation, keyed by key bytes, in first-seen order.
    var entries: [[[UInt8]: AggregationValue]]
    var order: [[[UInt8]]]
    var printed: Set<Int> = []

    /// Per aggregation: whether a key holds sym(), mod(), usym() or umod() addresses, which
    /// are normalized (SymbolText.normalizedKey) so keys naming one symbol merge.
    public let normalizesKeys: [Bool]

    /// Names user addresses in keys (the session's).
    let userSymbols: UserSymbols

    public init(descriptors: [AggregationDescriptor], userSymbols: UserSymbols) {
        self.descriptors = descriptors
        self.userSymbols = userSymbols
        self.entries = Array(repeating: [:], count: descriptors.count)
        self.order = Array(repeating: [], count: descriptors.count)
        self.normalizesKeys = descriptors.map { descriptor in
            descriptor.keyFields.contains { if case .symbol(let kind) = $0.type { return kind != .uaddr }; return false }
        }
    }

    /// The key as stored: symbol addresses normalized where the aggregation has them.
    public func storedKey(_ id: Int, _ key: [UInt8]) -> [UInt8] {
        normalizesKeys[id] ? SymbolText.normalizedKey(key, fields: descriptors[id].keyFields, user: userSymbols) : key
    }

    func bucketCount(_ function: AggregatingFunction) -> Int {
        switch function {
        case .quantize: return Quantize.bucketCount
        case .lquantize(let base, let limit, let step): return Int((limit - base) / step) + 2
        case .llquantize(let factor, let low, let high, let steps):
            return Quantize.logLinearBounds(factor: factor, low: low, high: high, steps: steps).bounds.count + 2
        default: return 0
        }
    }

    public func add(_ id: Int, key rawKey: [UInt8], value: Int64, increment: Int64) {
        let function = descriptors[id].function
        let key = storedKey(id, rawKey)
        var entry = entries[id][key] ?? {
            order[id].append(key)
            var fresh = AggregationValue()
            fresh.buckets = Array(repeating: 0, count: bucketCount(function))
            return fresh
        }()
        switch function {
        case .count: entry.count &+= 1
        case .sum: entry.sum &+= value
        case .min: entry.minimum = min(entry.minimum, value)
        case .max: entry.maximum = max(entry.maximum, value)
        case .avg: entry.count &+= 1; entry.sum &+= value
        case .stddev:
            entry.count &+= 1; entry.sum &+= value
            entry.sumOfSquares &+= UInt128(value.magnitude) * UInt128(value.magnitude)
        case .quantize:
            entry.buckets[Quantize.bucket(for: value)] &+= increment
        case .lquantize(let base, let limit, let step):
            let levels = Int((limit - base) / step)
            let index: Int
            if value < base { index = 0 } else {
                let level = (value - base) / step
                index = level < Int64(levels) ? Int(level) + 1 : levels + 1
            }
            entry.buckets[index] &+= increment
        case .llquantize(let factor, let low, let high, let steps):
            let (bounds, overflow) = Quantize.logLinearBounds(factor: factor, low: low, high: high, steps: steps)
            var index = 0
            if value >= overflow { index = bounds.count + 1 }
            else if let first = bounds.first, value >= first {
                var position = bounds.count - 1
                while position > 0 && bounds[position] > value { position -= 1 }
                index = position + 1
            }
            entry.buckets[index] &+= increment
        }
        entries[id][key] = entry
    }

    public func clear(_ id: Int) {
        for key in order[id] {
            var entry = AggregationValue()
            entry.buckets = Array(repeating: 0, count: bucketCount(descriptors[id].function))
            entry.normal = entries[id][key]?.normal ?? 1
            entries[id][key] = entry
        }
    }

    public func truncate(_ id: Int, keep: Int64?, options: OutputOptions) {
        guard let keep else { entries[id] = [:]; order[id] = []; return }
        var sorted = sortedKeys(id, options: OutputOptions())
        if keep >= 0 { sorted.reverse() }
        let kept = Set(sorted.prefix(Int(clamping: keep.magnitude)))
        for key in order[id] where !kept.contains(key) { entries[id][key] = nil }
        order[id] = order[id].filter { kept.contains($0) }
    }

    public func normalize(_ id: Int, _ normal: Int64) {
        for key in order[id] { entries[id][key]?.normal = normal == 0 ? 1 : normal }
    }

    public func hasEntries(_ id: Int) -> Bool { !order[id].isEmpty }

    public func keys(_ id: Int) -> [[UInt8]] { order[id] }

    /// Sets a key's accumulated value (read back from an engine's own storage), keeping
    /// its normalization.
    public func replace(_ id: Int, key: [UInt8], with value: AggregationValue) {
        var fresh = value
        if let existing = entries[id][key] { fresh.normal = existing.normal } else { order[id].append(key) }
        if fresh.buckets.isEmpty { fresh.buckets = Array(repeating: 0, count: bucketCount(descriptors[id].function)) }
        entries[id][key] = fresh
    }

    // MARK: sorting

    /// Compares keys field by field, from `start` (aggsortkeypos) round to the field before it.
    static func compareKeys(_ a: [UInt8], _ b: [UInt8], fields: [RecordField], start: Int = 0) -> Int {
        let first = fields.isEmpty ? 0 : min(max(start, 0), fields.count - 1)
        for field in fields[first...] + fields[..<first] {
            let x = RecordReader.value(a, field), y = RecordReader.value(b, field)
            switch (x, y) {
            case (.integer(let p), .integer(let q)):
                if p != q {
                    if case .integer(_, let signed) = field.type, !signed { return UInt64(bitPattern: p) < UInt64(bitPattern: q) ? -1 : 1 }
                    return p < q ? -1 : 1
                }
            case (.bytes(let p), .bytes(let q)):
                if p != q { return p.lexicographicallyPrecedes(q) ? -1 : 1 }
            default: break
            }
        }
        return 0
    }

    /// The keys of several aggregations printed together (printa with a list), each once,
    /// sorted by the value of the aggregation at aggsortpos (missing entries count 0).
    func sortedKeys(_ ids: [Int], options: OutputOptions) -> [[UInt8]] {
        guard let first = ids.first else { return [] }
        var seen = Set<[UInt8]>()
        var keys: [[UInt8]] = []
        for id in ids { for key in order[id] where entries[id][key] != nil && seen.insert(key).inserted { keys.append(key) } }
        let sortID = ids[min(max(options.sortAggregationPosition, 0), ids.count - 1)]
        let function = descriptors[sortID].function
        let fields = descriptors[first].keyFields
        return keys.sorted { a, b in
            let byKey = AggregationStore.compareKeys(a, b, fields: fields, start: options.sortKeyPosition)
            let va = entries[sortID][a]?.scalar(function) ?? 0, vb = entries[sortID][b]?.scalar(function) ?? 0
            let byValue = va == vb ? 0 : (va < vb ? -1 : 1)
            let primary = options.sortByKey ? byKey : byValue
            let secondary = options.sortByKey ? byValue : byKey
            let result = primary != 0 ? primary : secondary
            return options.sortReverse ? result > 0 : result < 0
        }
    }

    func sortedKeys(_ id: Int, options: OutputOptions) -> [[UInt8]] {
        let descriptor = descriptors[id]
        let fields = descriptor.keyFields
        let sorted = order[id].sorted { a, b in
            let byKey = AggregationStore.compareKeys(a, b, fields: fields, start: options.sortKeyPosition)
            let va = entries[id][a]!.scalar(descriptor.function), vb = entries[id][b]!.scalar(descriptor.function)
            let byValue = va == vb ? 0 : (va < vb ? -1 : 1)
            let primary = options.sortByKey ? byKey : byValue
            let secondary = options.sortByKey ? byValue : byKey
            let result = primary != 0 ? primary : secondary
            return options.sortReverse ? result > 0 : result < 0
        }
        return sorted
    }
}
