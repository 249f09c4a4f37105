// DTraceLibrary/LogLinearQuantize: llquantize(value, factor, low, high, steps[, increment]) — a
// log-linear histogram, as DTrace for Linux keeps and prints it: for each power of factor
// from factor^low to factor^high, linear buckets; the same mirrored for negative values;
// one bucket in the middle for magnitudes below factor^low and one at each end for those
// at or above factor^(high + 1). This file owns the whole function: DTrace's compile-time
// checks (D_LLQUANT_*), the bucket a value falls in (interpreter and BPF alike), DTrace's
// order of values when sorting, and the rows printed with their labels.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

/// llquantize's buckets for one set of parameters. Each order of magnitude [factor^m,
/// factor^(m+1)) is cut into `steps` equal parts, of which the first steps/factor lie
/// below factor^m (in the order below), so it has steps - steps/factor buckets; when
/// steps > factor and low is 0 some of order 0's buckets can hold no integer ("ghost
/// buckets", never shown). The words, in order: values at or below -factor^(high+1), the
/// negative orders from the highest down, magnitudes below factor^low (`zeroBin`), the
/// positive orders, values at or above factor^(high+1).
struct LogLinearBins {
    let factor: Int, low: Int, high: Int, steps: Int
    /// Of an order's nominal steps, those that fall in the order below (steps_factor).
    let stepsBelow: Int
    let binsPerOrder: Int
    /// The middle bucket: magnitudes below factor^low.
    let zeroBin: Int
    let count: Int

    init(_ parameters: [Int64]) {
        (factor, low, high, steps) = (Int(parameters[0]), Int(parameters[1]), Int(parameters[2]), Int(parameters[3]))
        stepsBelow = steps / factor
        binsPerOrder = steps - stepsBelow
        zeroBin = 1 + (high - low + 1) * binsPerOrder
        count = 2 * zeroBin + 1
    }

    /// factor^exponent (wrapping past 2^64; the checks keep factor^(high+1) within it).
    func power(_ exponent: Int) -> UInt64 {
        var result: UInt64 = 1
        for _ in 0..<max(0, exponent) { result = result &* UInt64(factor) }
        return result
    }

    /// The bucket of `value`, as DTrace's generated code computes it: on the magnitude
    /// (2^63 for Int64.min), unsigned.
    func bin(of value: Int64) -> Int {
        let magnitude = value.magnitude
        var maximum = power(low)
        if magnitude < maximum { return zeroBin }
        var order = low, index = 0
        while true {
            maximum = maximum &* UInt64(factor)
            if magnitude < maximum {
                let position = order != 0 ? magnitude / (maximum / UInt64(steps)) : magnitude * UInt64(steps) / maximum
                index = Int(position) - stepsBelow
                break
            }
            order += 1
            if order > high { break }
        }
        let offset = (order - low) * binsPerOrder + index + 1
        return zeroBin + (value < 0 ? -offset : offset)
    }

    /// Each bucket's label as DTrace writes them (dt_print_llquantize), for the buckets in
    /// `range` only; none for a ghost bucket. Later labels replace earlier ones, as there.
    func labels(_ range: ClosedRange<Int>, firstShown: Int) -> Labels {
        var labels = Labels(range: range)
        func put(_ bin: Int, _ text: @autoclosure () -> String) {
            // DTrace formats each label into 16 bytes: at most 15 characters.
            if range.contains(bin) { labels[bin] = String(text().prefix(15)) }
        }
        let lowest = power(low)
        if lowest == 1 { put(zeroBin, "0") } else if firstShown >= zeroBin { put(zeroBin, "< \(lowest)") } else { put(zeroBin, "abs() < \(lowest)") }
        put(zeroBin - 1, "-\(lowest)")
        put(zeroBin + 1, "\(lowest)")
        var order = low, offset = 1
        if low == 0 && steps > factor {
            for step in 2...factor {
                offset += stepsBelow
                put(zeroBin - offset, "-\(step)")
                put(zeroBin + offset, "\(step)")
            }
            order += 1
        }
        var scale = power(order + 1) / UInt64(steps)
        while order <= high {
            // An order labels offsets offset+1 ... offset+binsPerOrder on either side.
            let (near, far) = (offset + 1, offset + binsPerOrder)
            let wanted = (zeroBin + near <= range.upperBound && zeroBin + far >= range.lowerBound)
                || (zeroBin - far <= range.upperBound && zeroBin - near >= range.lowerBound)
            if wanted {
                for step in (stepsBelow + 1)...steps {
                    offset += 1
                    put(zeroBin - offset, "-\(UInt64(step) &* scale)")
                    put(zeroBin + offset, "\(UInt64(step) &* scale)")
                }
            } else {
                offset = far
            }
            scale = scale &* UInt64(factor)
            order += 1
        }
        let overflow = power(high + 1)
        put(0, "<= -\(overflow)")
        put(count - 1, ">= \(overflow)")
        return labels
    }

    /// Labels of the buckets in a range (nil: none).
    struct Labels {
        let range: ClosedRange<Int>
        var texts: [String?]
        init(range: ClosedRange<Int>) { self.range = range; texts = Array(repeating: nil, count: range.count) }
        subscript(bin: Int) -> String? {
            get { range.contains(bin) ? texts[bin - range.lowerBound] : nil }
            set { texts[bin - range.lowerBound] = newValue }
        }
    }

    /// The rows DTrace prints: from the bucket before the first non-zero count to the one
    /// after the last (the bucket after the middle one, and its neighbours, when all are
    /// zero), ghost buckets left out — but a ghost bucket at either end takes the label of
    /// its nearest labelled neighbour outside the range.
    func rows(_ counts: [Int64]) -> [(label: String, count: Int64)] {
        var first = 0, last = count - 1
        while first <= last && counts[first] == 0 { first += 1 }
        if first > last {
            (first, last) = (zeroBin + 1, zeroBin + 1)
        } else {
            while counts[last] == 0 { last -= 1 }
        }
        if first > 0 { first -= 1 }
        if last < count - 1 { last += 1 }
        let pad = low == 0 && steps > factor ? stepsBelow : 0
        var labels = self.labels((first - pad)...(last + pad), firstShown: first)
        if pad > 0 {
            if labels[first] == nil, let near = (1..<pad).first(where: { labels[first - $0] != nil }) { labels[first] = labels[first - near] }
            if labels[last] == nil, let near = (1..<pad).first(where: { labels[last + $0] != nil }) { labels[last] = labels[last + near] }
        }
        return (first...last).compactMap { bin in labels[bin].map { ($0, counts[bin]) } }
    }

    /// DTrace's weight of a value for sorting (dt_aggregate_llquantizedsum): each bucket's
    /// count times its label's number, negative buckets subtracted, in long double, in
    /// DTrace's order of additions (terms that are zero, which change nothing, skipped).
    func weightedSum(_ counts: [Int64]) -> LongDouble {
        let middle = zeroBin
        var total = LongDouble(power(low)) * LongDouble(counts[middle + 1] &- counts[middle - 1])
        var offset = 1, order = low
        if low == 0 && steps > factor {
            for step in 2...factor {
                offset += stepsBelow
                let difference = counts[middle + offset] &- counts[middle - offset]
                if difference != 0 { total += LongDouble(Int64(step) &* difference) }
            }
            order = 1
        }
        var scale = LongDouble(power(order + 1)) / LongDouble(steps)
        counts.withUnsafeBufferPointer { counts in
            while order <= high {
                for step in (stepsBelow + 1)...steps {
                    offset += 1
                    let difference = counts[middle + offset] &- counts[middle - offset]
                    if difference != 0 { total += LongDouble(step) * scale * LongDouble(difference) }
                }
                scale *= LongDouble(factor)
                order += 1
            }
        }
        return total
    }
}

#if arch(x86_64) || arch(i386)
/// C's long double on x86-64, in which DTrace weighs values for sorting.
typealias LongDouble = Float80
#else
typealias LongDouble = Double
#endif

struct LogLinearQuantize: LibraryAggregatingFunction, AdditiveAggregation, KernelAggregation {
    var names: [String] { ["llquantize"] }

    func compile(_ call: AggregationArguments) throws(Diagnostic) -> AggregationCall {
        try call.expect(5...6)
        let value = try call.value()
        // DTrace's checks (dt_cg_agg_llquantize), in its order, numbering the arguments after
        // the value; each parameter is taken as unsigned, so a negative one is too large.
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
        guard Self.fits(factor: factor, exponent: high + 1) else {
            throw call.error("llquantize( ) argument #3 (high magnitude) will cause overflow of 64 bits", tag: "D_LLQUANT_HMAGVAL")
        }
        guard let steps = try call.positiveConstantIfAny(4) else {
            throw call.error("llquantize( ) argument #4 must be a non-zero positive integer constant", tag: "D_LLQUANT_STEPTYPE")
        }
        guard steps > 0 && steps <= 65535 else { throw call.error("llquantize( ) argument #4 must be an unsigned 16-bit quantity", tag: "D_LLQUANT_STEPVAL") }
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
                // factor^(low+1) fits: low < high + 1.
                guard LogLinearBins([factor, low, high, steps]).power(Int(low) + 1) % UInt64(steps) == 0 else {
                    throw call.error("llquantize() argument #4 (steps) must evenly divide pow(argument #1 (factor), lmag (argument #2) + 1) when steps>factor and lmag>0", tag: "D_LLQUANT_STEPVAL")
                }
            }
        }
        let increment = call.count == 6 ? try call.integer(5) : call.constant(1)
        return AggregationCall(function: AggregatingFunction(name: "llquantize", parameters: [factor, low, high, steps], behavior: self), value: value, increment: increment)
    }

    /// Whether factor^exponent is at most 2^64 - 1.
    static func fits(factor: Int64, exponent: Int64) -> Bool {
        var power: UInt64 = 1
        for _ in 0..<exponent {
            let (next, overflow) = power.multipliedReportingOverflow(by: UInt64(factor))
            if overflow { return false }
            power = next
        }
        return true
    }

    func parameterMismatch(previous: [Int64], current: [Int64]) -> (tag: String, message: String)? {
        let names = [("D_LLQUANT_MATCHFACTOR", "factor (argument #1)"), ("D_LLQUANT_MATCHLMAG", "lmag (argument #2)"),
                     ("D_LLQUANT_MATCHHMAG", "hmag (argument #3)"), ("D_LLQUANT_MATCHSTEPS", "steps (argument #4)")]
        for (index, (tag, what)) in names.enumerated() where previous[index] != current[index] {
            return (tag, "llquantize() \(what) doesn't match previous declaration: expected \(previous[index]), found \(current[index])")
        }
        return nil
    }

    func wordCount(_ parameters: [Int64]) -> Int { LogLinearBins(parameters).count }
    func update(_ words: inout [Int64], value: Int64, increment: Int64, parameters: [Int64]) {
        words[LogLinearBins(parameters).bin(of: value)] &+= increment
    }
    func scalar(_ words: [Int64], parameters: [Int64]) -> Int64 { words.reduce(0) { $0 &+ $1 } }

    /// DTrace's order (dt_aggregate_llquantizedcmp): by the weighted sums, then by the
    /// middle bucket's count.
    func compare(_ a: [Int64], _ b: [Int64], parameters: [Int64]) -> Int {
        let bins = LogLinearBins(parameters)
        guard a.count == bins.count, b.count == bins.count else { return 0 }
        let (x, y) = (bins.weightedSum(a), bins.weightedSum(b))
        if x != y { return x < y ? -1 : 1 }
        let (p, q) = (a[bins.zeroBin], b[bins.zeroBin])
        return p == q ? 0 : (p < q ? -1 : 1)
    }

    func presentation(_ words: [Int64], normal: Int64, parameters: [Int64]) -> AggregationPresentation {
        let bins = LogLinearBins(parameters)
        guard words.count == bins.count else { return .histogramRows(labels: [], counts: [], normal: normal) }
        let rows = bins.rows(words)
        return .histogramRows(labels: rows.map(\.label), counts: rows.map(\.count), normal: normal)
    }

    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator) {
        generator.logLinearQuantizeUpdate(LogLinearBins(function.parameters))
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// Adds r2 to the bucket of r1 in the value at r0, the bucket found as
    /// `LogLinearBins.bin(of:)` and DTrace's code find it: a loop over the orders of
    /// magnitude (at most 64) with r5 = |r1|, r3 = factor^(order+1) and r4 = the order's
    /// first bucket past the middle, less steps/factor; then r1's sign.
    mutating func logLinearQuantizeUpdate(_ bins: LogLinearBins) {
        let (loop, found, overflow, signed, done, skip) = (asm.newLabel(), asm.newLabel(), asm.newLabel(), asm.newLabel(), asm.newLabel(), asm.newLabel())
        asm.move(.r5, .r1)
        asm.skip(1, if: .jsge, .r1, immediate: 0)
        asm.negate(.r5)
        asm.load(.r4, constant: Int64(bins.zeroBin))
        asm.load(.r3, constant: Int64(bitPattern: bins.power(bins.low)))
        asm.jump(.jlt, .r5, .r3, done)
        asm.load(.r4, constant: Int64(1 - bins.stepsBelow))
        if bins.low == 0 {
            // Order 0 scales up before dividing: |r1| * steps / factor.
            let above = asm.newLabel()
            asm.alu64(.mul, .r3, immediate: Int32(bins.factor))
            asm.jump(.jge, .r5, .r3, above)
            asm.alu64(.mul, .r5, immediate: Int32(bins.steps))
            asm.alu64(.div, .r5, .r3)
            asm.alu64(.add, .r4, .r5)
            asm.jump(signed)
            asm.bind(above)
            asm.alu64(.add, .r4, immediate: Int32(bins.binsPerOrder))
        }
        asm.bind(loop)
        asm.jump(.jsgt, .r4, immediate: Int32((bins.high - bins.low) * bins.binsPerOrder + 1 - bins.stepsBelow), overflow)
        asm.alu64(.mul, .r3, immediate: Int32(bins.factor))
        asm.jump(.jlt, .r5, .r3, found)
        asm.alu64(.add, .r4, immediate: Int32(bins.binsPerOrder))
        asm.jump(loop)
        asm.bind(found)
        asm.alu64(.div, .r3, immediate: Int32(bins.steps))
        asm.alu64(.div, .r5, .r3)
        asm.alu64(.add, .r4, .r5)
        asm.jump(signed)
        asm.bind(overflow)
        asm.load(.r4, constant: Int64(bins.zeroBin))
        asm.bind(signed)
        asm.skip(1, if: .jsge, .r1, immediate: 0)
        asm.negate(.r4)
        asm.alu64(.add, .r4, immediate: Int32(bins.zeroBin))
        asm.bind(done)
        // Never past the value's words (and the verifier sees that it is not).
        asm.jump(.jgt, .r4, immediate: Int32(bins.count - 1), skip)
        asm.alu64(.lsh, .r4, immediate: 3)
        asm.alu64(.add, .r0, .r4)
        addToField(0, .r2)
        asm.bind(skip)
    }
}
