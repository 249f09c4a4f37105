// DTraceLibrary/LogLinearQuantize: llquantize(value, factor, low, high, steps[, increment]) — a
// log-linear histogram: for each power of factor from low to high, steps linear buckets;
// one bucket below, one at or above the last bound.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct LogLinearQuantize: LibraryAggregatingFunction, AdditiveAggregation, KernelAggregation {
    var names: [String] { ["llquantize"] }

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(5...6)
        let value = try call.integer(0, prototype: "uint64_t")
        let factor = try call.constantParameter(1), low = try call.constantParameter(2), high = try call.constantParameter(3), steps = try call.constantParameter(4)
        guard factor >= 2 else { throw call.error("llquantize( ) factor must be greater than or equal to 2", tag: "D_LLQUANT_FACTORSMALL") }
        guard low >= 0, high > low, high <= 60 else { throw call.error("llquantize( ) high magnitude must be greater than low magnitude", tag: "D_LLQUANT_MAGRANGE") }
        guard steps >= factor, steps % factor == 0 || factor % steps == 0 else {
            throw call.error("llquantize( ) factor (\(factor)) must evenly divide the number of steps per magnitude (\(steps))", tag: "D_LLQUANT_FACTOREVEN")
        }
        guard steps <= 65535 else { throw call.error("llquantize( ) argument #4 (steps) must be no more than 65535", tag: "D_LLQUANT_NSTEPVAL") }
        // factor^(high + 1) must fit in 64 bits, as in DTrace.
        var order: UInt64 = 1
        for _ in 0...(high + 1) {
            let (next, overflow) = order.multipliedReportingOverflow(by: UInt64(factor))
            guard !overflow else {
                throw call.error("llquantize( ) factor (\(factor)) raised to power of high magnitude (\(high)) plus 1 overflows 64-bits", tag: "D_LLQUANT_MAGTOOBIG")
            }
            order = next
        }
        let increment = call.count == 6 ? try call.integer(5) : call.constant(1)
        return AggregationCall(function: AggregatingFunction(name: "llquantize", parameters: [factor, low, high, steps], behavior: self), value: value, increment: increment)
    }

    /// The lower bounds of the buckets between the underflow and overflow ones, and the
    /// overflow bucket's bound.
    static func bounds(factor: Int64, low: Int64, high: Int64, steps: Int64) -> (bounds: [Int64], overflow: Int64) {
        var value: Int64 = 1
        for _ in 0..<low { value = value &* factor }
        var next = value &* factor
        var step = next > steps ? next / steps : 1
        var order = low
        var bounds: [Int64] = []
        while order <= high {
            bounds.append(value)
            value += step
            if value != next { continue }
            next = value &* factor
            step = next > steps ? next / steps : 1
            order += 1
        }
        return (bounds, value)
    }

    static func bounds(_ parameters: [Int64]) -> (bounds: [Int64], overflow: Int64) {
        bounds(factor: parameters[0], low: parameters[1], high: parameters[2], steps: parameters[3])
    }

    func wordCount(_ parameters: [Int64]) -> Int { Self.bounds(parameters).bounds.count + 2 }
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) {
        let (bounds, overflow) = Self.bounds(parameters)
        var index = 0
        if value >= overflow { index = bounds.count + 1 }
        else if let first = bounds.first, value >= first {
            var position = bounds.count - 1
            while position > 0 && bounds[position] > value { position -= 1 }
            index = position + 1
        }
        words[index] &+= increment
    }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 { words.reduce(0) { $0 &+ $1 } }
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation {
        let (bounds, overflow) = Self.bounds(parameters)
        let labels = ["< \(bounds.first ?? 1)"] + bounds.map(String.init) + [">= \(overflow)"]
        return .histogram(labels: labels, counts: words, whenEmpty: 0...1, normal: normal)
    }

    /// Index 0 underflows, 1...bounds.count the buckets, bounds.count + 1 overflows.
    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        let (bounds, overflow) = Self.bounds(function.parameters)
        let computed = generator.asm.newLabel()
        generator.asm.load(.r4, constant: Int64(bounds.count + 1))
        generator.asm.load(.r3, constant: overflow)
        generator.asm.jump(.jsge, .r1, .r3, computed)
        generator.bucketSearch(bounds, lowest: 0, done: computed)
        generator.asm.bind(computed)
        generator.asm.alu64(.lsh, .r4, immediate: 3)
        generator.asm.alu64(.add, .r0, .r4)
        generator.addToField(0, .r2)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// r4 = the index (1-based) of the last bound <= r1 among `bounds`, or `lowest` when
    /// r1 is below them all: a binary search unrolled over the constants, no loop.
    mutating func bucketSearch(_ bounds: ArraySlice<Int64>, lowest: Int64, done: BPFLabel) {
        guard let middle = bounds.indices.isEmpty ? nil : bounds.startIndex + bounds.count / 2 else {
            asm.load(.r4, constant: lowest)
            asm.jump(done)
            return
        }
        let below = asm.newLabel()
        asm.load(.r3, constant: bounds[middle])
        asm.jump(.jslt, .r1, .r3, below)
        bucketSearch(bounds[(middle + 1)...], lowest: Int64(middle + 1), done: done)
        asm.bind(below)
        bucketSearch(bounds[..<middle], lowest: lowest, done: done)
    }

    mutating func bucketSearch(_ bounds: [Int64], lowest: Int64, done: BPFLabel) {
        bucketSearch(bounds[...], lowest: lowest, done: done)
    }
}
