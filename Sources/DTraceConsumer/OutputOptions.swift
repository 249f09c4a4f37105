// DTraceConsumer/OutputOptions: how the consumer prints: the output format (oformat),
// quiet, flowindent, the aggregation sort options, print()'s printsize, trace()'s rawbytes,
// whether user symbols are demangled (mangled), and DTrace's test mode.

import DTraceIR
import DTraceSystem

/// `-x oformat=`: DTrace's text, JSON Lines (docs/JSON-OUTPUT.md), or text with every
/// aggregation written as folded stacks.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text, json, folded
}

/// Output settings the consumer honours (from -q, -x and #pragma D option).
public struct OutputOptions {
    public var format = OutputFormat.text
    public var quiet = false
    public var sortByKey = false
    public var sortReverse = false
    /// aggsortkeypos: the key position sorting starts at.
    public var sortKeyPosition = 0
    /// aggsortpos: which of printa's aggregations sorts the keys.
    public var sortAggregationPosition = 0
    public var flowIndent = false
    /// aggrate as given (nanoseconds; 0: not given): printa() takes a fresh snapshot of
    /// the aggregations at most this often, as Oracle's dtrace_aggregate_snap() does.
    public var aggregationSnapshotPeriod: Int64 = 0
    /// printsize: the most bytes print() shows of what a pointer points to (nil: all).
    public var printSize: Int?
    /// rawbytes: trace() shows every value as a dump of its bytes.
    public var rawBytes = false
    /// Drop reports begin with the drop's tag, as DTrace's droptags option has them.
    public var dropTags = false
    /// aggpercpu: printa() shows each CPU's value after an aggregation's.
    public var aggregationPerCPU = false
    /// Swift and C++ names in user stacks and symbols shown demangled (-x mangled: as written).
    public var demangles = true
    /// strsize: the bytes of a traced string, with its terminator, that rawbytes shows.
    public var stringSize = 256
    /// Without the CPU and ID columns: DTrace's test mode (the _DTRACE_TESTING environment
    /// variable), whose output does not depend on where the probes fired.
    public var testing = false
    public init() {}
}
