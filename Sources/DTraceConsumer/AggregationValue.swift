// DTraceConsumer/AggregationValue: the accumulated value of one aggregation key — counts,
// sums, extremes, the sum of squares, histogram buckets — what DTrace shows and sorts by
// for each function, and how partial values (per CPU, or keys naming one symbol) add up.

import DTraceIR

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
