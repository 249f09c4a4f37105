// DTraceLibrary/Quantize: quantize(value[, increment]) — a power-of-two histogram: 127
// buckets, 63 holding zero, those above holding [2^(i-64), 2^(i-63)), those below the
// negative ranges.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct Quantize: LibraryAggregatingFunction, AdditiveAggregation, KernelAggregation {
    var names: [String] { ["quantize"] }
    static let bucketCount = 127
    static let zeroBucket = 63

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(1...2)
        let value = try call.value()
        let increment = call.count == 2 ? try call.integer(1) : call.constant(1)
        return AggregationCall(function: AggregatingFunction(name: "quantize", behavior: self), value: value, increment: increment)
    }

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

    func wordCount(_ parameters: [Int64]) -> Int { Self.bucketCount }
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) { words[Self.bucket(for: value)] &+= increment }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 { words.reduce(0) { $0 &+ $1 } }
    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation {
        .histogram(labels: (0..<words.count).map { String(Self.bucketValue($0)) }, counts: words,
                   whenEmpty: (Self.zeroBucket - 1)...(Self.zeroBucket + 1), normal: normal)
    }

    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        generator.quantizeIndex()
        generator.asm.alu64(.lsh, .r4, immediate: 3)
        generator.asm.alu64(.add, .r0, .r4)
        generator.addToField(0, .r2)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// r4 = quantize bucket of the signed value in r1 (0..126; 63 holds zero).
    mutating func quantizeIndex() {
        let negative = asm.newLabel(), done = asm.newLabel()
        asm.load(.r4, constant: 63)
        asm.jump(.jeq, .r1, immediate: 0, done)
        asm.move(.r3, .r1)
        asm.jump(.jslt, .r1, immediate: 0, negative)
        floorLog2(.r3, into: .r5)
        asm.move(.r4, .r5)
        asm.alu64(.add, .r4, immediate: 64)
        asm.jump(done)
        asm.bind(negative)
        asm.negate(.r3)
        floorLog2(.r3, into: .r5)
        asm.load(.r4, constant: 62)
        asm.alu64(.sub, .r4, .r5)
        asm.skip(1, if: .jsge, .r4, immediate: 0)
        asm.load(.r4, constant: 0)
        asm.bind(done)
        asm.skip(1, if: .jle, .r4, immediate: 126)
        asm.load(.r4, constant: 126)
    }

    /// into = floor(log2(value)) for a non-zero unsigned value (binary search, no loop).
    mutating func floorLog2(_ value: BPFRegister, into: BPFRegister) {
        asm.load(into, constant: 0)
        for shift in [32, 16, 8, 4, 2, 1] {
            let small = asm.newLabel()
            asm.move(.r1, value)
            asm.alu64(.rsh, .r1, immediate: Int32(shift))
            asm.jump(.jeq, .r1, immediate: 0, small)
            asm.move(value, .r1)
            asm.alu64(.add, into, immediate: Int32(shift))
            asm.bind(small)
        }
    }
}
