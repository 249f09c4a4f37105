// DTraceConsumer/AggregationValue: the accumulated value of one aggregation key — the
// function's words (the layout its behaviour defines: the same in BPF maps and the
// interpreter) and the consumer's normalize() divisor.

import DTraceIR

public struct AggregationValue {
    public var words: [Int64]
    public var normal: Int64 = 1

    /// A value no update has reached.
    public init(_ function: AggregatingFunction) { words = function.initialWords }

    /// A value read back from an engine's storage.
    public init(words: [Int64]) { self.words = words }

    /// Adds another partial value of the same key (another CPU's, or a key that names
    /// the same symbol).
    public mutating func absorb(_ other: AggregationValue, _ function: AggregatingFunction) { function.merge(&words, other.words) }
}
