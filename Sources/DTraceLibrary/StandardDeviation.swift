// DTraceLibrary/StandardDeviation: stddev(value) — the standard deviation of the values, as DTrace
// computes it (integer square root of the mean square less the squared mean). Four words:
// the count, the sum, and the sum of squares as 128 bits (low word, high word).

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct StandardDeviation: LibraryAggregatingFunction, AggregationBehavior, KernelAggregation {
    var names: [String] { ["stddev"] }

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(1...1)
        return AggregationCall(function: AggregatingFunction(name: "stddev", behavior: self), value: try call.value(), increment: call.constant(1))
    }

    func wordCount(_ parameters: [Int64]) -> Int { 4 }
    func initialWords(_ parameters: [Int64]) -> [Int64] { [0, 0, 0, 0] }

    static func squares(_ words: [Int64]) -> UInt128 { UInt128(UInt64(bitPattern: words[3])) << 64 | UInt128(UInt64(bitPattern: words[2])) }
    static func setSquares(_ words: inout [Int64], _ value: UInt128) {
        words[2] = Int64(bitPattern: UInt64(truncatingIfNeeded: value))
        words[3] = Int64(bitPattern: UInt64(truncatingIfNeeded: value >> 64))
    }

    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) {
        words[0] &+= 1
        words[1] &+= value
        Self.setSquares(&words, Self.squares(words) &+ UInt128(value.magnitude) * UInt128(value.magnitude))
    }
    func merge(_ words: inout [Int64], _ other: [Int64], parameters: [Int64]) {
        words[0] &+= other[0]
        words[1] &+= other[1]
        Self.setSquares(&words, Self.squares(words) &+ Self.squares(other))
    }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 {
        Int64(bitPattern: Self.standardDeviation(count: words[0], sum: words[1], sumOfSquares: Self.squares(words)))
    }
    /// Shown unsigned, and (as before) not divided by normalize()'s divisor.
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation {
        .integer(scalar(words, parameters: parameters), unsigned: true)
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

    /// count, sum, then the 128-bit sum of squares with the carry out of its low word.
    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        generator.asm.load(.r4, constant: 1)
        generator.addToField(0, .r4)
        generator.addToField(8, .r1)
        generator.squareMagnitude()
        generator.asm.load(.r3, from: .r0, offset: 16, size: .double)
        generator.asm.alu64(.add, .r3, .r1)
        generator.asm.store(.r3, to: .r0, offset: 16, size: .double)
        generator.asm.skip(1, if: .jge, .r3, .r1)      // carry out of the low word
        generator.asm.alu64(.add, .r2, immediate: 1)
        generator.addToField(24, .r2)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// (r2:r1) = |r1|², the 128-bit square of the value's magnitude, from 32-bit halves:
    /// a² << 64 + 2ab << 32 + b². Uses r3, r4, r5; r0 (the entry) is kept.
    mutating func squareMagnitude() {
        asm.skip(1, if: .jsge, .r1, immediate: 0)
        asm.negate(.r1)
        asm.move(.r4, .r1)
        asm.alu64(.rsh, .r4, immediate: 32)          // r4 = a (high half)
        asm.alu64(.lsh, .r1, immediate: 32)
        asm.alu64(.rsh, .r1, immediate: 32)          // r1 = b (low half)
        asm.move(.r5, .r4)
        asm.alu64(.mul, .r5, .r1)                    // r5 = ab
        asm.move(.r2, .r4)
        asm.alu64(.mul, .r2, .r4)                    // r2 = a²
        asm.alu64(.mul, .r1, .r1)                    // r1 = b²
        asm.move(.r3, .r5)
        asm.alu64(.rsh, .r3, immediate: 31)
        asm.alu64(.add, .r2, .r3)                    // high += 2ab >> 32
        asm.alu64(.lsh, .r5, immediate: 33)          // 2ab << 32, low 64 bits
        asm.alu64(.add, .r1, .r5)
        asm.skip(1, if: .jge, .r1, .r5)              // carry into the high word
        asm.alu64(.add, .r2, immediate: 1)
    }
}
