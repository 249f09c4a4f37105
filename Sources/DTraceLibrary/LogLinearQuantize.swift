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
        let value = try call.value()
        // DTrace's checks, in its order, numbering the arguments after the value.
        guard let factor = try call.constantIfAny(1) else { throw call.error("llquantize( ) argument #1 must be an integer constant", tag: "D_LLQUANT_FACTORTYPE") }
        guard factor >= 2 && factor <= 65535 else {
            throw call.error("llquantize( ) argument #1 must be an unsigned 16-bit quantity greater than or equal to 2", tag: "D_LLQUANT_FACTORVAL")
        }
        guard let low = try call.constantIfAny(2) else { throw call.error("llquantize( ) argument #2 must be an integer constant", tag: "D_LLQUANT_LMAGTYPE") }
        guard low >= 0 && low <= 65535 else { throw call.error("llquantize( ) argument #2 must be an unsigned 16-bit quantity", tag: "D_LLQUANT_LMAGVAL") }
        guard let high = try call.constantIfAny(3) else { throw call.error("llquantize( ) argument #3 must be an integer constant", tag: "D_LLQUANT_HMAGTYPE") }
        guard high >= 0 && high <= 65535 else { throw call.error("llquantize( ) argument #3 must be an unsigned 16-bit quantity", tag: "D_LLQUANT_HMAGVAL") }
        guard high >= low else {
            throw call.error("llquantize( ) argument #3 (high magnitude) must be at least argument #2 (low magnitude)", tag: "D_LLQUANT_HMAGVAL")
        }
        // factor^(high + 1) must fit in 64 bits.
        var order: UInt64 = 1
        for _ in 0...(high + 1) {
            let (next, overflow) = order.multipliedReportingOverflow(by: UInt64(factor))
            guard !overflow else {
                throw call.error("llquantize( ) argument #3 (high magnitude) will cause overflow of 64 bits", tag: "D_LLQUANT_HMAGVAL")
            }
            order = next
        }
        guard let steps = try call.constantIfAny(4), steps > 0 else {
            throw call.error("llquantize( ) argument #4 must be a non-zero positive integer constant", tag: "D_LLQUANT_STEPTYPE")
        }
        guard steps <= 65535 else { throw call.error("llquantize( ) argument #4 must be an unsigned 16-bit quantity", tag: "D_LLQUANT_STEPVAL") }
        if steps < factor, factor % steps != 0 {
            throw call.error("llquantize() argument #4 (steps) must evenly divide argument #1 (factor) when steps<factor", tag: "D_LLQUANT_STEPVAL")
        }
        if steps > factor {
            guard steps % factor == 0 else {
                throw call.error("llquantize() argument #4 (steps) must be a multiple of argument #1 (factor) when steps>factor", tag: "D_LLQUANT_STEPVAL")
            }
            if low == 0 {
                guard (factor * factor) % steps == 0 else {
                    throw call.error("llquantize() argument #4 (steps) must evenly divide the square of argument #1 (factor) when steps>factor and lmag==0", tag: "D_LLQUANT_STEPVAL")
                }
            } else {
                var power: UInt64 = 1
                for _ in 0...low { power = power &* UInt64(factor) }
                guard power % UInt64(steps) == 0 else {
                    throw call.error("llquantize() argument #4 (steps) must evenly divide pow(argument #1 (factor), lmag (argument #2) + 1) when steps>factor and lmag>0", tag: "D_LLQUANT_STEPVAL")
                }
            }
        }
        let increment = call.count == 6 ? try call.integer(5) : call.constant(1)
        return AggregationCall(function: AggregatingFunction(name: "llquantize", parameters: [factor, low, high, steps], behavior: self), value: value, increment: increment)
    }

    func parameterMismatch(previous: [Int64], current: [Int64]) -> (tag: String, message: String)? {
        let names = [("D_LLQUANT_MATCHFACTOR", "factor (argument #1)"), ("D_LLQUANT_MATCHLMAG", "lmag (argument #2)"),
                     ("D_LLQUANT_MATCHHMAG", "hmag (argument #3)"), ("D_LLQUANT_MATCHSTEPS", "steps (argument #4)")]
        for (index, (tag, what)) in names.enumerated() where previous[index] != current[index] {
            return (tag, "llquantize() \(what) doesn't match previous declaration: expected \(previous[index]), found \(current[index])")
        }
        return nil
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
