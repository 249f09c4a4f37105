// DTraceLibrary/LinearQuantize: lquantize(value, base, limit[, step[, increment]]) — a linear
// histogram: one bucket below base, one per step up to limit, one at or above it.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct LinearQuantize: LibraryAggregatingFunction, AdditiveAggregation, KernelAggregation {
    var names: [String] { ["lquantize"] }

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(3...5)
        let value = try call.integer(0, prototype: "uint64_t")
        let base = try call.constantParameter(1), limit = try call.constantParameter(2)
        let step = call.count >= 4 ? try call.constantParameter(3) : 1
        guard step > 0 else { throw call.error("lquantize( ) step must be greater than zero", tag: "D_LQUANT_STEP") }
        guard limit > base else { throw call.error("lquantize( ) upper bound must be greater than lower bound", tag: "D_LQUANT_MISMATCH") }
        let (range, overflow) = limit.subtractingReportingOverflow(base)
        guard !overflow, range / step <= 65535 else { throw call.error("lquantize( ) range must be no more than 65535 steps", tag: "D_LQUANT_STEPS") }
        let increment = call.count == 5 ? try call.integer(4) : call.constant(1)
        return AggregationCall(function: AggregatingFunction(name: "lquantize", parameters: [base, limit, step], behavior: self), value: value, increment: increment)
    }

    /// base, limit, step and the number of steps between them.
    static func shape(_ parameters: [Int64]) -> (base: Int64, limit: Int64, step: Int64, levels: Int64) {
        let base = parameters[0], limit = parameters[1], step = max(parameters[2], 1)
        return (base, limit, step, (limit - base) / step)
    }

    func wordCount(_ parameters: [Int64]) -> Int { Int(Self.shape(parameters).levels) + 2 }
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) {
        let (base, _, step, levels) = Self.shape(parameters)
        let index: Int
        if value < base { index = 0 } else {
            // As the BPF body: the distance above base, unsigned (it can exceed Int64.max).
            let level = Int64(clamping: UInt64(bitPattern: value &- base) / UInt64(step))
            index = level < levels ? Int(level) + 1 : Int(levels) + 1
        }
        words[index] &+= increment
    }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 { words.reduce(0) { $0 &+ $1 } }
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation {
        let (base, _, step, _) = Self.shape(parameters)
        let levels = words.count - 2
        let labels = (0..<words.count).map { index -> String in
            if index == 0 { return "< \(base)" }
            if index == levels + 1 { return ">= \(base + Int64(levels) * step)" }
            return String(base + Int64(index - 1) * step)
        }
        return .histogram(labels: labels, counts: words, whenEmpty: 0...2, normal: normal)
    }

    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        let (base, _, step, levels) = Self.shape(function.parameters)
        let computed = generator.asm.newLabel()
        generator.asm.load(.r4, constant: 0)
        generator.asm.load(.r3, constant: base)
        generator.asm.jump(.jslt, .r1, .r3, computed)
        generator.asm.move(.r4, .r1)
        generator.asm.alu64(.sub, .r4, .r3)
        generator.asm.load(.r3, constant: step)
        generator.asm.alu64(.div, .r4, .r3)
        generator.asm.alu64(.add, .r4, immediate: 1)
        generator.asm.skip(1, if: .jle, .r4, immediate: Int32(levels))
        generator.asm.load(.r4, constant: levels + 1)
        generator.asm.bind(computed)
        generator.asm.alu64(.lsh, .r4, immediate: 3)
        generator.asm.alu64(.add, .r0, .r4)
        generator.addToField(0, .r2)
    }
}
