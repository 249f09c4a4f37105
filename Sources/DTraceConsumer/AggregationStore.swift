// DTraceConsumer/AggregationStore: the consumer's aggregations: entries per key in first-
// seen order, updated by the user engine and refreshed from the kernel's maps, keys naming
// one symbol merged, clear(), trunc() and normalize() (one divisor per aggregation, keys
// that come later included, as DTrace keeps it). With aggpercpu, each CPU's part of every
// entry too (`perCPU`), for printa() to show after the whole.

import DTraceIR
import DTraceSystem
import DTraceText

public final class AggregationStore {
    public let descriptors: [AggregationDescriptor]
    /// Entries per aggregation, keyed by key bytes, in first-seen order.
    var entries: [[[UInt8]: AggregationValue]]
    var order: [[[UInt8]]]
    var printed: Set<Int> = []
    /// Per aggregation: normalize()'s divisor, which every entry carries.
    var normals: [Int64]
    /// With aggpercpu: per aggregation and key, each CPU's part (CPUs that added nothing absent).
    var perCPU: [[[UInt8]: [Int: AggregationValue]]]
    public var keepsPerCPU = false

    /// Per aggregation: whether a key holds sym(), mod(), usym() or umod() addresses, which
    /// are normalized (SymbolText.normalizedKey) so keys naming one symbol merge, or
    /// addresses written as text (AddressKey.canonical: keys with one text merge).
    public let normalizesKeys: [Bool]

    /// Names user addresses in keys (the session's).
    let userSymbols: UserSymbols

    public init(descriptors: [AggregationDescriptor], userSymbols: UserSymbols) {
        self.descriptors = descriptors
        self.userSymbols = userSymbols
        self.entries = Array(repeating: [:], count: descriptors.count)
        self.order = Array(repeating: [], count: descriptors.count)
        self.normals = Array(repeating: 1, count: descriptors.count)
        self.perCPU = Array(repeating: [:], count: descriptors.count)
        self.normalizesKeys = descriptors.map { descriptor in
            descriptor.keyFields.contains {
                switch $0.type {
                case .symbol(let kind): return kind != .uaddr
                case .addressText: return true
                default: return false
                }
            }
        }
    }

    /// The key as stored: symbol addresses and address texts normalized where the
    /// aggregation has them.
    public func storedKey(_ id: Int, _ key: [UInt8]) -> [UInt8] {
        guard normalizesKeys[id] else { return key }
        var normalized = SymbolText.normalizedKey(key, fields: descriptors[id].keyFields, user: userSymbols)
        for field in descriptors[id].keyFields {
            guard case .addressText(let size) = field.type, field.offset + size <= normalized.count else { continue }
            normalized.replaceSubrange(field.offset..<field.offset + size, with: AddressKey.canonical(Array(normalized[field.offset..<field.offset + size])))
        }
        return normalized
    }

    /// How many keys each aggregation holds (aggsize), when the user engine limits them;
    /// a new key past it is dropped and counted on its CPU (`drops`).
    public var keyLimits: [Int]?
    public private(set) var drops: [Int: Int64] = [:]

    /// One update from the user engine, on `cpu`.
    public func add(_ id: Int, key rawKey: [UInt8], value: Int64, increment: Int64, cpu: Int = 0) {
        let function = descriptors[id].function
        let key = storedKey(id, rawKey)
        if let keyLimits, entries[id][key] == nil, entries[id].count >= keyLimits[id] {
            drops[cpu, default: 0] += 1
            return
        }
        if keepsPerCPU {
            var part = perCPU[id][key]?[cpu] ?? AggregationValue(function)
            function.update(&part.words, value: value, increment: increment)
            perCPU[id][key, default: [:]][cpu] = part
        }
        var entry = entries[id][key] ?? {
            order[id].append(key)
            var fresh = AggregationValue(function)
            fresh.normal = normals[id]
            return fresh
        }()
        function.update(&entry.words, value: value, increment: increment)
        entries[id][key] = entry
    }

    public func clear(_ id: Int) {
        perCPU[id] = [:]
        for key in order[id] {
            var entry = AggregationValue(descriptors[id].function)
            entry.normal = normals[id]
            entries[id][key] = entry
        }
    }

    public func truncate(_ id: Int, keep: Int64?, options: OutputOptions) {
        guard let keep else { entries[id] = [:]; order[id] = []; perCPU[id] = [:]; return }
        var sorted = sortedKeys(id, options: OutputOptions())
        if keep >= 0 { sorted.reverse() }
        let kept = Set(sorted.prefix(Int(clamping: keep.magnitude)))
        for key in order[id] where !kept.contains(key) { entries[id][key] = nil; perCPU[id][key] = nil }
        order[id] = order[id].filter { kept.contains($0) }
    }

    public func normalize(_ id: Int, _ normal: Int64) {
        normals[id] = normal == 0 ? 1 : normal
        for key in order[id] { entries[id][key]?.normal = normals[id] }
    }

    public func hasEntries(_ id: Int) -> Bool { !order[id].isEmpty }

    public func keys(_ id: Int) -> [[UInt8]] { order[id] }

    /// Sets a key's accumulated value (read back from an engine's own storage), normalized
    /// as its aggregation is.
    public func replace(_ id: Int, key: [UInt8], with value: AggregationValue) {
        var fresh = value
        fresh.normal = normals[id]
        if entries[id][key] == nil { order[id].append(key) }
        entries[id][key] = fresh
    }

    /// Sets a key's parts per CPU (read back from an engine's per-CPU storage).
    public func replaceParts(_ id: Int, key: [UInt8], with parts: [Int: AggregationValue]) {
        perCPU[id][key] = parts
    }

    /// A key's part on `cpu`, normalized as its aggregation is; the function's empty value
    /// where that CPU added nothing.
    func part(_ id: Int, key: [UInt8], cpu: Int) -> AggregationValue {
        var value = perCPU[id][key]?[cpu] ?? AggregationValue(descriptors[id].function)
        value.normal = normals[id]
        return value
    }

    // MARK: sorting

    /// Compares keys field by field, from `start` (aggsortkeypos) round to the field before it.
    static func compareKeys(_ a: [UInt8], _ b: [UInt8], fields: [RecordField], start: Int = 0) -> Int {
        let first = fields.isEmpty ? 0 : min(max(start, 0), fields.count - 1)
        for field in fields[first...] + fields[..<first] {
            let x = RecordReader.value(a, field), y = RecordReader.value(b, field)
            switch (x, y) {
            case (.integer(let p), .integer(let q)):
                // Unsigned at the key's width, as dt_aggregate_keycmp() compares them:
                // (char)-1 sorts after 2.
                var mask = UInt64.max
                if case .integer(let size, _) = field.type, size < 8 { mask = (1 << UInt64(size * 8)) - 1 }
                let (u, v) = (UInt64(bitPattern: p) & mask, UInt64(bitPattern: q) & mask)
                if u != v { return u < v ? -1 : 1 }
            case (.bytes(let p), .bytes(let q)):
                if p != q { return p.lexicographicallyPrecedes(q) ? -1 : 1 }
            default: break
            }
        }
        return 0
    }

    /// Keys of aggregations printed together, in one layout: the first's, each string or
    /// address slot as wide as the widest of them and holding the text, so keys whose
    /// slots were narrowed differently or hold addresses match by what they print.
    public struct JointKeys {
        public var fields: [RecordField]
        public var size: Int
        /// Per aggregation (in the order given): joint key -> its own key.
        public var own: [[[UInt8]: [UInt8]]]
    }

    func jointKeys(_ ids: [Int]) -> JointKeys {
        let layouts = ids.map { descriptors[$0].keyFields }
        func isText(_ type: ValueType) -> Bool {
            switch type { case .string, .addressText: return true; default: return false }
        }
        // One layout already: the keys as they are.
        if layouts.allSatisfy({ $0 == layouts[0] }) && !layouts[0].contains(where: { if case .addressText = $0.type { return true }; return false }) {
            let own = ids.map { id in Dictionary(uniqueKeysWithValues: order[id].map { ($0, $0) }) }
            return JointKeys(fields: layouts[0], size: descriptors[ids[0]].keySize, own: own)
        }
        var fields: [RecordField] = [], offset = 0
        for (position, field) in layouts[0].enumerated() {
            var type = field.type
            if isText(field.type) {
                let widest = layouts.map { position < $0.count ? ($0[position].type.size) : 0 }.max() ?? 0
                type = .string(size: max(widest, 64))
            }
            fields.append(RecordField(offset: offset, type: type))
            offset += type.size
        }
        var own: [[[UInt8]: [UInt8]]] = []
        for (index, id) in ids.enumerated() {
            var map: [[UInt8]: [UInt8]] = [:]
            for key in order[id] where entries[id][key] != nil {
                var joint = [UInt8](repeating: 0, count: offset)
                for (position, field) in fields.enumerated() where position < layouts[index].count {
                    let source = layouts[index][position]
                    let bytes: [UInt8]
                    switch source.type {
                    case .string(let size): bytes = Array(RecordReader.string(key, at: source.offset, size: size).prefix(field.type.size - 1))
                    case .addressText: bytes = Array(RecordReader.addressText(key, source).prefix(field.type.size - 1))
                    default:
                        let end = min(key.count, source.offset + min(source.type.size, field.type.size))
                        bytes = source.offset < end ? Array(key[source.offset..<end]) : []
                    }
                    joint.replaceSubrange(field.offset..<field.offset + bytes.count, with: bytes)
                }
                map[joint] = key
            }
            own.append(map)
        }
        return JointKeys(fields: fields, size: offset, own: own)
    }

    /// The keys of several aggregations printed together (printa with a list), each once,
    /// in their joint layout, sorted as Oracle's bundles: by the values of the
    /// aggregations in turn from the one at aggsortpos (a missing entry counts as words of
    /// zeroes, as DTrace's zero-filled data), then by key; with aggsortkey, by key first.
    func sortedKeys(_ ids: [Int], options: OutputOptions) -> (joint: JointKeys, keys: [[UInt8]]) {
        let joint = jointKeys(ids)
        var seen = Set<[UInt8]>()
        var keys: [[UInt8]] = []
        for (index, id) in ids.enumerated() {
            let ownKeys = Dictionary(uniqueKeysWithValues: joint.own[index].map { ($0.value, $0.key) })
            for key in order[id] where entries[id][key] != nil { if let jointKey = ownKeys[key], seen.insert(jointKey).inserted { keys.append(jointKey) } }
        }
        let start = options.sortAggregationPosition >= 0 && options.sortAggregationPosition < ids.count ? options.sortAggregationPosition : 0
        let rotated = Array(start..<ids.count) + Array(0..<start)
        func entry(_ index: Int, _ key: [UInt8]) -> AggregationValue? { joint.own[index][key].flatMap { entries[ids[index]][$0] } }
        let sorted = keys.sorted { a, b in
            let byKey = AggregationStore.compareKeys(a, b, fields: joint.fields, start: options.sortKeyPosition)
            var byValue = 0
            for index in rotated where byValue == 0 {
                let function = descriptors[ids[index]].function
                let zeroes = [Int64](repeating: 0, count: function.wordCount)
                byValue = function.compare(entry(index, a)?.words ?? zeroes, entry(index, b)?.words ?? zeroes)
            }
            let primary = options.sortByKey ? byKey : byValue
            let secondary = options.sortByKey ? byValue : byKey
            let result = primary != 0 ? primary : secondary
            return options.sortReverse ? result > 0 : result < 0
        }
        return (joint, sorted)
    }

    func sortedKeys(_ id: Int, options: OutputOptions) -> [[UInt8]] {
        let descriptor = descriptors[id]
        let fields = descriptor.keyFields
        let sorted = order[id].sorted { a, b in
            let byKey = AggregationStore.compareKeys(a, b, fields: fields, start: options.sortKeyPosition)
            let byValue = descriptor.function.compare(entries[id][a]!.words, entries[id][b]!.words)
            let primary = options.sortByKey ? byKey : byValue
            let secondary = options.sortByKey ? byValue : byKey
            let result = primary != 0 ? primary : secondary
            return options.sortReverse ? result > 0 : result < 0
        }
        return sorted
    }
}
