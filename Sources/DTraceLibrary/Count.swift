// DTraceLibrary/Count: count() — how many times the aggregation was updated.
// One word: the count.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct Count: LibraryAggregatingFunction, AdditiveAggregation, KernelAggregation {
    var names: [String] { ["count"] }

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(0...0)
        return AggregationCall(function: AggregatingFunction(name: "count", behavior: self), value: call.constant(1), increment: call.constant(1))
    }

    func wordCount(_ parameters: [Int64]) -> Int { 1 }
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) { words[0] &+= 1 }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 { words[0] }
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation { .integer(words[0] / normal, unsigned: false) }

    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        generator.asm.load(.r4, constant: 1)
        generator.addToField(0, .r4)
    }
}
