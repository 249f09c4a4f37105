// DTraceConsumer/Quantize: quantize()'s power-of-two buckets (their values, and the
// bucket of a value) and llquantize()'s bounds, as the consumer prints histograms.

import DTraceIR
import DTraceSystem

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

