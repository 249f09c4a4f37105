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
        let value = try call.value()
        // DTrace's checks, in its order, numbering the arguments after the value.
        guard let base = try call.constantIfAny(1) else { throw call.error("lquantize( ) argument #1 must be an integer constant", tag: "D_LQUANT_BASETYPE") }
        guard Int32(exactly: base) != nil else { throw call.error("lquantize( ) argument #1 must be a 32-bit quantity", tag: "D_LQUANT_BASEVAL") }
        guard let limit = try call.constantIfAny(2) else { throw call.error("lquantize( ) argument #2 must be an integer constant", tag: "D_LQUANT_LIMTYPE") }
        guard Int32(exactly: limit) != nil else { throw call.error("lquantize( ) argument #2 must be a 32-bit quantity", tag: "D_LQUANT_LIMVAL") }
        guard limit > base else { throw call.error("lquantize( ) base (argument #1) must be less than limit (argument #2)", tag: "D_LQUANT_MISMATCH") }
        var step: Int64 = 1
        if call.count >= 4 {
            guard let given = try call.constantIfAny(3), given > 0 else {
                throw call.error("lquantize( ) argument #3 must be a non-zero positive integer constant", tag: "D_LQUANT_STEPTYPE")
            }
            guard given <= 65535 else { throw call.error("lquantize( ) argument #3 must be a 16-bit quantity", tag: "D_LQUANT_STEPVAL") }
            step = given
        }
        let levels = (limit - base) / step
        guard levels > 0 else {
            throw call.error("lquantize( ) step (argument #3) too large: must have at least one quantization level", tag: "D_LQUANT_STEPLARGE")
        }
        guard levels <= 65535 else {
            throw call.error("lquantize( ) step (argument #3) too small: number of quantization levels must be a 16-bit quantity", tag: "D_LQUANT_STEPSMALL")
        }
        let increment = call.count == 5 ? try call.integer(4) : call.constant(1)
        return AggregationCall(function: AggregatingFunction(name: "lquantize", parameters: [base, limit, step], behavior: self), value: value, increment: increment)
    }

    func parameterMismatch(previous: [Int64], current: [Int64]) -> (tag: String, message: String)? {
        let old = Self.shape(previous), now = Self.shape(current)
        if old.base != now.base {
            return ("D_LQUANT_MATCHBASE", "lquantize( ) base (argument #1) doesn't match previous declaration: expected \(old.base), found \(now.base)")
        }
        if old.levels * old.step != now.levels * now.step {
            return ("D_LQUANT_MATCHLIM", "lquantize( ) limit (argument #2) doesn't match previous declaration: expected \(old.base + old.levels * old.step), found \(now.base + now.levels * now.step)")
        }
        if old.step != now.step {
            return ("D_LQUANT_MATCHSTEP", "lquantize( ) step (argument #3) doesn't match previous declaration: expected \(old.step), found \(now.step)")
        }
        return nil
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
