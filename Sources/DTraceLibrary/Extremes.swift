// DTraceLibrary/Extremes: min(value) and max(value) — the smallest and the largest value. Two
// words: how many values were seen, and the extreme (INT64_MAX / INT64_MIN before any).

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct Extremes: LibraryAggregatingFunction {
    var names: [String] { ["min", "max"] }

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(1...1)
        let behavior: any AggregationBehavior = call.name == "min" ? Extreme(isMinimum: true) : Extreme(isMinimum: false)
        return AggregationCall(function: AggregatingFunction(name: call.name, behavior: behavior), value: try call.value(), increment: call.constant(1))
    }
}

/// One of the two: the behaviour of min() or of max().
struct Extreme: AggregationBehavior, KernelAggregation {
    let isMinimum: Bool

    func wordCount(_ parameters: [Int64]) -> Int { 2 }
    func initialWords(_ parameters: [Int64]) -> [Int64] { [0, isMinimum ? .max : .min] }
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) {
        words[0] &+= 1
        words[1] = isMinimum ? Swift.min(words[1], value) : Swift.max(words[1], value)
    }
    func merge(_ words: inout [Int64], _ other: [Int64], parameters: [Int64]) {
        guard other[0] > 0 else { return }
        words[0] &+= other[0]
        words[1] = isMinimum ? Swift.min(words[1], other[1]) : Swift.max(words[1], other[1])
    }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 { words[1] }
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation { .integer(words[1] / normal, unsigned: false) }

    /// A new entry (count 0) takes the value; otherwise it replaces a larger (smaller) one.
    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        let skip = generator.asm.newLabel(), set = generator.asm.newLabel()
        generator.asm.load(.r3, from: .r0, offset: 0, size: .double)
        generator.asm.jump(.jeq, .r3, immediate: 0, set)
        generator.asm.load(.r4, from: .r0, offset: 8, size: .double)
        generator.asm.jump(isMinimum ? .jsge : .jsle, .r1, .r4, skip)
        generator.asm.bind(set)
        generator.asm.store(.r1, to: .r0, offset: 8, size: .double)
        generator.asm.bind(skip)
        generator.asm.load(.r4, constant: 1)
        generator.addToField(0, .r4)
    }
}
