// DTraceLibrary/Sum: sum(value) — the values added up. One word: the sum.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct Sum: LibraryAggregatingFunction, AdditiveAggregation, KernelAggregation {
    var names: [String] { ["sum"] }

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(1...1)
        return AggregationCall(function: AggregatingFunction(name: "sum", behavior: self), value: try call.value(), increment: call.constant(1))
    }

    func wordCount(_ parameters: [Int64]) -> Int { 1 }
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) { words[0] &+= value }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 { words[0] }
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation { .integer(words[0] / normal, unsigned: false) }

    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        generator.addToField(0, .r1)
    }
}
