// DTraceLibrary/Average: avg(value) — the integer mean of the values. Two words: the count
// and the sum.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct Average: LibraryAggregatingFunction, AdditiveAggregation, KernelAggregation {
    var names: [String] { ["avg"] }

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(1...1)
        return AggregationCall(function: AggregatingFunction(name: "avg", behavior: self), value: try call.value(), increment: call.constant(1))
    }

    func wordCount(_ parameters: [Int64]) -> Int { 2 }
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) { words[0] &+= 1; words[1] &+= value }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 { words[0] == 0 ? 0 : words[1] / words[0] }
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation {
        .integer(words[0] == 0 ? 0 : words[1] / normal / words[0], unsigned: false)
    }

    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        generator.asm.load(.r4, constant: 1)
        generator.addToField(0, .r4)
        generator.addToField(8, .r1)
    }
}
