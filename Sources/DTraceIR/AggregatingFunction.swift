// DTraceIR/AggregatingFunction: an aggregating function as a program uses it — its name,
// its constant parameters (lquantize's base, limit and step...) and its behaviour, which
// the D library defines (one file per function). The behaviour fixes the one value
// layout every part shares: u64 words, laid out the same in a BPF map value (per CPU),
// the interpreter's store and the consumer; how an update changes them; how partial
// values (per CPU, or keys naming one symbol) merge; the scalar DTrace sorts by (or the
// function's own order of values); and what is shown, which the consumer renders in
// DTrace's format.

/// What an aggregating function does with its value's words.
public protocol AggregationBehavior: Sendable {
    /// The u64 words of one value.
    func wordCount(_ parameters: [Int64]) -> Int
    /// The words of a value no update has reached (also what clear() leaves).
    func initialWords(_ parameters: [Int64]) -> [Int64]
    /// One update (`@a[...] = f(value[, increment])`), as the interpreter applies it.
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64])
    /// Adds another partial value of the same key into `words`.
    func merge(_ words: inout [Int64], _ other: [Int64], parameters: [Int64])
    /// The value DTrace sorts by.
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64
    /// How DTrace orders two values when sorting by value: negative, zero or positive as
    /// `a` sorts before, with or after `b` (by default, by their scalars).
    func compare(_ a: [Int64], _ b: [Int64], parameters: [Int64]) -> Int
    /// What is shown for the value, after normalize() by `normal` (at least 1).
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation
}

/// An aggregation value as the consumer shows it.
public enum AggregationPresentation: Equatable, Sendable {
    /// A number (" %16lld", or " %16llu" when unsigned).
    case integer(Int64, unsigned: Bool)
    /// A histogram: a label and a count per bucket, and the buckets shown when every
    /// count is zero. Counts are shown divided by `normal`.
    case histogram(labels: [String], counts: [Int64], whenEmpty: ClosedRange<Int>, normal: Int64)
    /// A histogram whose rows the function chose itself (llquantize: which buckets are
    /// shown, and how they are labelled, depends on where the counts are): exactly these
    /// rows are shown, in order. Counts are shown divided by `normal`.
    case histogramRows(labels: [String], counts: [Int64], normal: Int64)
}

extension AggregationBehavior {
    public func compare(_ a: [Int64], _ b: [Int64], parameters: [Int64]) -> Int {
        let (x, y) = (scalar(a, parameters: parameters), scalar(b, parameters: parameters))
        return x == y ? 0 : (x < y ? -1 : 1)
    }
}

public struct AggregatingFunction: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let parameters: [Int64]
    public let behavior: any AggregationBehavior

    public init(name: String, parameters: [Int64] = [], behavior: any AggregationBehavior) {
        self.name = name; self.parameters = parameters; self.behavior = behavior
    }

    public static func == (a: AggregatingFunction, b: AggregatingFunction) -> Bool { a.name == b.name && a.parameters == b.parameters }
    public var description: String { name }

    public var wordCount: Int { behavior.wordCount(parameters) }
    public var initialWords: [Int64] { behavior.initialWords(parameters) }
    public func update(_ words: inout [Int64], value: Int64, increment: Int64) { behavior.update(&words, value: value, increment: increment, parameters: parameters) }
    public func merge(_ words: inout [Int64], _ other: [Int64]) { behavior.merge(&words, other, parameters: parameters) }
    public func scalar(_ words: [Int64]) -> Int64 { behavior.scalar(words, parameters: parameters) }
    public func compare(_ a: [Int64], _ b: [Int64]) -> Int { behavior.compare(a, b, parameters: parameters) }
    public func presentation(_ words: [Int64], normal: Int64) -> AggregationPresentation { behavior.presentation(words, normal: max(1, normal), parameters: parameters) }
}

/// Behaviours whose words all add up when values merge (counts, sums, buckets).
public protocol AdditiveAggregation: AggregationBehavior {}

extension AdditiveAggregation {
    public func initialWords(_ parameters: [Int64]) -> [Int64] { Array(repeating: 0, count: wordCount(parameters)) }
    public func merge(_ words: inout [Int64], _ other: [Int64], parameters: [Int64]) {
        for index in 0..<min(words.count, other.count) { words[index] &+= other[index] }
    }
}
