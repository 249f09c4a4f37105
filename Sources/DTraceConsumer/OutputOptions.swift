// DTraceConsumer/OutputOptions: how the consumer prints: quiet, flowindent, and the
// aggregation sort options.

import DTraceIR
import DTraceSystem

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
