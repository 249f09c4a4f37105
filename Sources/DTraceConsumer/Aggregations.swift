// DTraceConsumer/Aggregations: aggregation state (per key, merged across CPUs by the
// consumer) and its printing — default layouts, quantize/lquantize/llquantize
// histograms, sorting by value or key — byte for byte as DTrace prints them.

import DTraceIR
import DTraceSystem

/// The accumulated value of one aggregation key.
public struct AggregationValue {
    public var count: Int64 = 0
    public var sum: Int64 = 0
    public var minimum: Int64 = .max
    public var maximum: Int64 = .min
    public var sumOfSquares: UInt128 = 0
    public var buckets: [Int64] = []
    public var normal: Int64 = 1

    public init() {}

    /// The scalar DTrace shows (and sorts by) for the function.
    func scalar(_ function: AggregatingFunction) -> Int64 {
        switch function {
        case .count: return count
        case .sum: return sum
        case .min: return minimum
        case .max: return maximum
        case .avg: return count == 0 ? 0 : sum / count
        case .stddev: return Int64(bitPattern: AggregationValue.standardDeviation(count: count, sum: sum, sumOfSquares: sumOfSquares))
        case .quantize, .lquantize, .llquantize:
            return buckets.reduce(0) { $0 &+ $1 }
        }
    }

    /// Adds another partial value of the same key (another CPU's, or a key that names
    /// the same symbol).
    public mutating func absorb(_ other: AggregationValue) {
        count &+= other.count
        sum &+= other.sum
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        sumOfSquares &+= other.sumOfSquares
        if buckets.isEmpty { buckets = other.buckets } else {
            for index in 0..<Swift.min(buckets.count, other.buckets.count) { buckets[index] &+= other.buckets[index] }
        }
    }

    static func standardDeviation(count: Int64, sum: Int64, sumOfSquares: UInt128) -> UInt64 {
        guard count > 0 else { return 0 }
        let averageOfSquares = sumOfSquares / UInt128(count)
        let average = (sum / count).magnitude
        let squareOfAverage = UInt128(average) * UInt128(average)
        guard averageOfSquares > squareOfAverage else { return 0 }
        let difference = averageOfSquares - squareOfAverage
        var root = UInt128(0), bit = UInt128(1) << 126
        var remainder = difference
        while bit > remainder { bit >>= 2 }
        while bit != 0 {
            if remainder >= root + bit { remainder -= root + bit; root = (root >> 1) + bit } else { root >>= 1 }
            bit >>= 2
        }
        return UInt64(truncatingIfNeeded: root)
    }
}

enum Quantize {
    static let bucketCount = 127
    static let zeroBucket = 63

    static func bucketValue(_ index: Int) -> Int64 {
        if index < zeroBucket { return -(Int64(1) << (zeroBucket - 1 - index)) }
        if index == zeroBucket { return 0 }
        return Int64(1) << (index - zeroBucket - 1)
    }

    static func bucket(for value: Int64) -> Int {
        if value < 0 {
            for index in 0..<zeroBucket where value <= bucketValue(index) { return index }
            return zeroBucket - 1
        }
        var index = bucketCount - 1
        while index > zeroBucket {
            if value >= bucketValue(index) { return index }
            index -= 1
        }
        return zeroBucket
    }

    static func logLinearBounds(factor: Int64, low: Int64, high: Int64, steps: Int64) -> (bounds: [Int64], overflow: Int64) {
        AggregatingFunction.logLinearBounds(factor: factor, low: low, high: high, steps: steps)
    }
}

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

/// Output settings the consumer honours (from -q, -x and #pragma D option).
public struct OutputOptions {
    public var quiet = false
    public var sortByKey = false
    public var sortReverse = false
    /// aggsortkeypos: the key position sorting starts at.
    public var sortKeyPosition = 0
    /// aggsortpos: which of printa's aggregations sorts the keys.
    public var sortAggregationPosition = 0
    public var flowIndent = false
    public init() {}
}

/// Reads typed values out of record and key bytes (little-endian, through ByteReader):
/// a field that does not lie wholly inside the bytes reads as 0 or as no bytes.
public enum RecordReader {
    enum Datum { case integer(Int64), bytes([UInt8]) }

    public static func integer(_ bytes: [UInt8], at offset: Int, size: Int) -> Int64 {
        Int64(bitPattern: ByteReader(bytes, .littleEndian).unsignedOrZero(at: offset, size: size))
    }

    static func value(_ bytes: [UInt8], _ field: RecordField) -> Datum {
        switch field.type {
        case .integer, .pointer, .stack, .symbol: return .integer(integer(bytes, at: field.offset, size: 8))
        case .string(let size): return .bytes(string(bytes, at: field.offset, size: size))
        case .bytes(let size): return .bytes(ByteReader(bytes, .littleEndian).bytes(at: field.offset, count: size).map(Array.init) ?? [])
        }
    }

    /// The NUL-terminated string in the `size` bytes at `offset` (all of them when there
    /// is no NUL; fewer at the end of the bytes).
    static func string(_ bytes: [UInt8], at offset: Int, size: Int) -> [UInt8] {
        ByteReader(bytes, .littleEndian).cString(at: offset, limit: size).map(Array.init) ?? []
    }
}
