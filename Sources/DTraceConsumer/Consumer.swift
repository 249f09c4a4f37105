// DTraceConsumer/Consumer: turns records into DTrace's output — the CPU/ID/FUNCTION:NAME
// lines, trace() and printf() data, printa() and the aggregations printed at the end,
// the error lines of faults and drops — and acts on consumer-side actions (clear, trunc,
// normalize, setopt, exit). The text is DTrace's; -x oformat=json (JSONOutput) and
// -x oformat=folded (FoldedStacks) take over where their output differs.

import DTraceText
import DTraceIR
import DTraceSystem

public protocol AggregationBackend: AnyObject {
    func refresh()
    func cleared(_ aggregation: Int)
    func truncated(_ aggregation: Int, keeping keys: [[UInt8]])
}

/// Why setopt() could not set an option (DTrace's message for it).
public struct OptionProblem: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class Consumer {
    public let program: IRProgram
    public let aggregations: AggregationStore
    public var options: OutputOptions {
        didSet { userSymbols.demangles = options.demangles }
    }
    let output: OutputSink
    var printedHeader = false
    /// When printa() last took a snapshot of the aggregations under aggrate (0: not yet).
    var lastAggregationSnapshot: Int64 = 0
    public internal(set) var exitStatus: Int32?
    /// Where aggregation state lives outside the consumer (the kernel engine's maps):
    /// refreshed before aggregations print, told when clear() or trunc() changes them.
    public var aggregationBackend: AggregationBackend?
    /// Sets an option by name at run time (setopt()) and gives the output options that
    /// result, or why the option is refused; the session provides it.
    public var optionSetter: ((String, String?) -> Result<OutputOptions, OptionProblem>)?
    /// Where stack() and ustack() records' stacks are (nil: the user engine, which has none).
    public weak var stackSource: StackSource?

    /// Names for user addresses: the processes seen so far and their files' symbols.
    public let userSymbols: UserSymbols

    /// While an action runs for a JSON firing, what it writes (instead of the output).
    var capturedText: String?
    /// JSON entries services add for the action that is running (printa()).
    var pendingJSONEntries: [JSONValue] = []

    /// Where dtrace's error lines go (a freopen() that fails); the session sets it.
    public var errors = OutputSink(descriptor: 2)
    /// The firing whose record is being consumed: its clause and probe.
    var firing: (clause: Int, probe: ProbeIdentity)?
    /// -x oformat=json: the freopen()s of the firing being consumed, done in order once its
    /// object is written ("" restores).
    var pendingReopens: [String] = []

    public init(program: IRProgram, options: OutputOptions, output: OutputSink, userSymbols: UserSymbols = UserSymbols()) {
        self.program = program
        self.userSymbols = userSymbols
        self.aggregations = AggregationStore(descriptors: program.aggregations, userSymbols: userSymbols)
        aggregations.keepsPerCPU = options.aggregationPerCPU
        self.options = options
        self.output = output
        userSymbols.demangles = options.demangles
    }

    // MARK: records

    /// -F (flowindent): the current indentation; entries deepen it, returns undo that.
    var flowIndentation = 0

    public func consume(clause: Int, probe: ProbeIdentity, cpu: Int32, bytes: [UInt8]) {
        firing = (clause, probe)
        if options.format == .json { consumeAsJSON(clause: clause, probe: probe, cpu: cpu, bytes: bytes); return }
        if !printedHeader {
            printedHeader = true
            if !options.quiet {
                switch (options.flowIndent, options.testing) {
                case (true, false): output.write(Consumer.flowHeader)
                case (true, true): output.write(CFormatText.padRight("FUNCTION", 41) + "\n")
                case (false, false): output.write(Consumer.probeHeader)
                case (false, true): output.write(CFormatText.pad("FUNCTION:NAME", 32) + "\n")
                }
            }
        }
        if !options.quiet && options.flowIndent {
            output.write((options.testing ? "" : CFormat.render("%3d ", [cpu])) + CFormatText.padRight(flowName(probe), 41) + " ")
        } else if !options.quiet {
            let name = "\(probe.function):\(probe.name)"
            output.write((options.testing ? "" : CFormat.render("%3d %6d ", [cpu, Int32(probe.id)])) + CFormat.string("%32s ", Array(name.utf8)))
        }
        for action in program.clauses[clause].record.actions {
            guard RecordReader.integer(bytes, at: action.presenceOffset, size: 8) != 0 else { continue }
            perform(action, bytes)
        }
        if !options.quiet { output.write("\n") }
    }

    /// Writes what the records consumed so far produced: engines call it once per batch
    /// (a drain of the ring, a probe firing), not per record.
    public func flush() { output.flush() }

    /// The FUNCTION column under -F, as dtrace(1M) writes it: "-> func" one column left of
    /// the depth it opens, "<- func" likewise before closing it, "| func:name" at the depth.
    func flowName(_ probe: ProbeIdentity) -> String {
        switch probe.name {
        case "entry":
            flowIndentation += 2
            return String(repeating: " ", count: flowIndentation - 1) + "-> " + probe.function
        case "return":
            let text = String(repeating: " ", count: max(0, flowIndentation - 1)) + "<- " + probe.function
            flowIndentation = max(0, flowIndentation - 2)
            return text
        default:
            return String(repeating: " ", count: flowIndentation) + "| " + probe.function + ":" + probe.name
        }
    }

    static let flowHeader = "CPU " + CFormatText.padRight("FUNCTION", 41) + "\n"
    static let probeHeader = CFormatText.pad("CPU", 3) + " " + CFormatText.pad("ID", 6) + " " + CFormatText.pad("FUNCTION:NAME", 32) + "\n"
    static let histogramHeader = "\n" + CFormatText.pad("value", 16) + " " + CFormatText.pad("------------- Distribution -------------", 41) + " count    \n"

    func perform(_ action: RecordAction, _ bytes: [UInt8]) {
        (action.output as? any ConsumedAction)?.perform(action.fields, record: bytes, consumer: self)
    }

    /// dt_print_bytes: printable bytes as a string, anything else as a hex dump.
    public static func byteDump(_ data: [UInt8], quiet: Bool, forceRaw: Bool = false) -> String {
        if !forceRaw {
            var index = 0
            while index < data.count {
                let c = data[index]
                if (c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d) || c == 0x08 || c == 0x07 { index += 1; continue }
                if c == 0 && index > 0 && data[index...].allSatisfy({ $0 == 0 }) {
                    let text = Array(data[..<index])
                    return quiet ? RawText.string(text) : CFormat.string("  %-33s", text)
                }
                break
            }
            if index == data.count && !data.isEmpty { return CFormat.string("  %-33s", data) }
        }
        var text = "\n" + String(repeating: " ", count: 5) + "      "
        for column in 0..<16 { text += "  " + String(Array("0123456789abcdef")[column]) }
        text += "  0123456789abcdef\n"
        for start in stride(from: 0, to: data.count, by: 16) {
            text += String(repeating: " ", count: 5) + CFormat.integer("%5llx:", Int64(start))
            let row = data[start..<min(data.count, start + 16)]
            for byte in row { text += CFormat.integer(" %02llx", Int64(byte)) }
            text += String(repeating: "   ", count: 16 - row.count) + "  "
            for byte in row { text += (byte < 0x20 || byte > 0x7e) ? "." : String(UnicodeScalar(byte)) }
            text += "\n"
        }
        return text
    }

    // MARK: printf

    enum Argument { case integer(Int64, size: Int, signed: Bool), string([UInt8]), floating(FloatingValue) }

    func arguments(_ fields: [RecordField], _ bytes: [UInt8]) -> [Argument] {
        fields.map { field in
            switch field.type {
            case .integer(let size, let signed): return .integer(RecordReader.integer(bytes, at: field.offset, size: 8), size: size, signed: signed)
            case .pointer, .stack: return .integer(RecordReader.integer(bytes, at: field.offset, size: 8), size: 8, signed: false)
            case .symbol(let kind): return .string(Array(SymbolText.text(kind, bytes, field, user: userSymbols).utf8))
            case .string(let size): return .string(RecordReader.string(bytes, at: field.offset, size: size))
            case .addressText: return .string(RecordReader.addressText(bytes, field))
            case .bytes(let size): return .string(RecordReader.string(bytes, at: field.offset, size: size))
            case .floating(let size): return .floating(RecordReader.floating(bytes, at: field.offset, size: size))
            }
        }
    }

    func formatPrintf(_ format: PrintfFormat, fields: [RecordField], bytes: [UInt8]) -> String {
        var values = arguments(fields, bytes)[...]
        var text = ""
        for segment in format.segments {
            switch segment {
            case .literal(let literal): text += literal
            case .conversion(let conversion):
                var width = conversion.width, precision = conversion.precision
                if width == .fromArgument, case .integer(let value, _, _)? = values.popFirst() { width = .fixed(Int(truncatingIfNeeded: value)) }
                if precision == .fromArgument, case .integer(let value, _, _)? = values.popFirst() { precision = .fixed(Int(truncatingIfNeeded: value)) }
                guard let argument = values.popFirst() else { continue }
                text += Consumer.render(conversion, width: width, precision: precision, argument)
            }
        }
        return text
    }

    static func specification(_ conversion: PrintfConversion, width: PrintfConversion.Amount, precision: PrintfConversion.Amount, length: String, character: String) -> String {
        var spec = "%" + conversion.flags.filter { $0 != "'" }
        // Widths and precisions from arguments (%*d) are held to what a written one may be.
        let limit = PrintfConversion.widthLimit
        if case .fixed(let value) = width { spec += String(min(max(value, -limit), limit)) }
        // A precision of 0 is no precision, as DTrace's printf reads it ("%.0s" prints all);
        // a negative one (from %.*d) none, as C takes it.
        if case .fixed(let value) = precision, value > 0 { spec += "." + String(min(value, limit)) }
        return spec + length + character
    }

    static func render(_ conversion: PrintfConversion, width: PrintfConversion.Amount, precision: PrintfConversion.Amount, _ argument: Argument) -> String {
        func spec(_ length: String, _ character: String) -> String {
            specification(conversion, width: width, precision: precision, length: length, character: character)
        }
        switch (conversion.conversion, argument) {
        case ("s", .string(let bytes)), ("S", .string(let bytes)):
            return CFormat.string(spec("", "s"), bytes)
        case (_, .string(let bytes)):
            return CFormat.string(spec("", "s"), bytes)
        case (let c, .floating(let value)):
            // %e %E %f %g %G (the only conversions a floating-point value is given to), as
            // DTrace's pfprint_fp: a double (a float widened), or with L a long double.
            let character = "eEfgG".contains(c) ? String(c) : "g"
            switch value {
            case .double(let number): return CFormat.render(spec("", character), [number])
            case .extended(let sign, let exponent, let significand):
                return CFormat.longDouble(spec("L", character), sign: sign, exponent: exponent, significand: significand)
            }
        case (let c, .integer(let raw, let size, let signed)):
            let masked = size >= 8 ? raw : Int64(bitPattern: UInt64(bitPattern: raw) & ((1 << UInt64(size * 8)) - 1))
            let value = signed ? raw : masked
            switch c {
            // A bare %d or %i prints an unsigned argument as unsigned (DTrace's pfprint_dint);
            // with a length modifier (%lld, %hd) it is always signed.
            case "d", "i": return CFormat.integer(spec("ll", !signed && conversion.length.isEmpty ? "u" : "d"), value)
            case "u", "o", "x", "X": return CFormat.integer(spec("ll", String(c)), masked)
            case "c": return CFormat.render(spec("", "c"), [Int32(truncatingIfNeeded: raw)])
            case "a":
                // A kernel address as module`symbol+0xoffset, when a symbol covers it.
                if let name = KernelSymbols.shared.name(of: UInt64(bitPattern: raw)) { return CFormat.string(spec("", "s"), Array(name.utf8)) }
                return CFormat.integer("%#" + spec("ll", "x").dropFirst(), raw)
            case "p", "A", "k": return CFormat.integer("%#" + spec("ll", "x").dropFirst(), raw)
            case "e", "E", "f", "F", "g", "G": return CFormat.render(spec("", String(c)), [Double(value)])
            case "Y": return CFormat.string(spec("", "s"), Array(Consumer.wallTime(raw).utf8))
            case "T": return CFormat.string(spec("", "s"), Array(Consumer.wallTimeRFC822(raw).utf8))
            default: return CFormat.integer(spec("ll", "d"), value)
            }
        }
    }

    static func wallTime(_ nanoseconds: Int64) -> String { SystemClock.localTimeText(nanoseconds, format: "%Y %b %e %T") }
    /// %T: the time as RFC 822 writes it, with DTrace's strftime format (its %G is the
    /// ISO week-numbering year, as DTrace prints it).
    static func wallTimeRFC822(_ nanoseconds: Int64) -> String { SystemClock.localTimeText(nanoseconds, format: "%a, %d %b %G %T %Z") }

    // MARK: aggregations

    /// Tracing has stopped: text output leaves a blank line between the records and the
    /// aggregations printed at the end.
    public func tracingStopped() {
        if options.format == .text { output.write("\n") }
    }

    /// A fresh snapshot of the aggregations for printa(), unless one was taken less than
    /// aggrate ago: then snapshots keep aggrate's pace, taken by printa() or, between
    /// records, by the consumer's loop (`snapshotAggregationsWhenDue`), and printa() shows
    /// the last one, as Oracle's dtrace_aggregate_snap().
    func refreshAtAggregationRate() {
        let period = options.aggregationSnapshotPeriod
        if period > 0 {
            let now = SystemClock.monotonicNanoseconds()
            if lastAggregationSnapshot != 0 {
                if now - lastAggregationSnapshot < period { return }
                lastAggregationSnapshot += period
            } else {
                lastAggregationSnapshot = now
            }
        }
        aggregationBackend?.refresh()
    }

    /// The consumer's loop, each time it wakes: a snapshot when aggrate was given and one
    /// is due (without aggrate printa() always takes one).
    public func snapshotAggregationsWhenDue() {
        if options.aggregationSnapshotPeriod > 0 { refreshAtAggregationRate() }
    }

    /// Prints the aggregations not yet printed, when tracing stops.
    public func printRemainingAggregations() {
        lastAggregationSnapshot = 0
        aggregationBackend?.refresh()
        // In one sorted walk, as Oracle's: aggsortrev reverses the aggregations' order too.
        let descriptors = options.sortReverse ? Array(aggregations.descriptors.reversed()) : aggregations.descriptors
        for descriptor in descriptors where !aggregations.printed.contains(descriptor.id) && aggregations.hasEntries(descriptor.id) {
            switch options.format {
            case .json:
                aggregations.printed.insert(descriptor.id)
                output.write(JSONOutput.line(JSONOutput.header("aggregation") + jsonAggregationMembers(descriptor.id)))
            case .folded:
                aggregations.printed.insert(descriptor.id)
                write(foldedText(descriptor.id))
            case .text:
                // One after another, as dtrace_aggregate_print() prints them: the blank
                // line before them is tracingStopped()'s.
                printAggregation(descriptor.id, format: nil)
            }
        }
        output.flush()
    }

    /// The end of the output: JSON's closing object (the exit status); nothing in text.
    public func finish(status: Int32) {
        if options.format == .json { output.write(JSONOutput.line(JSONOutput.header("exit") + [("status", .integer(Int64(status)))])) }
        output.flush()
    }

    func printAggregations(_ ids: [Int], format: PrintfFormat?, formatText: String? = nil) {
        refreshAtAggregationRate()
        switch options.format {
        case .json: pendingJSONEntries.append(printaEntry(ids, format: format, formatText: formatText))
        case .folded: for id in ids { aggregations.printed.insert(id); write(foldedText(id)) }
        case .text: printAggregationsAsText(ids, format: format)
        }
    }

    /// printa() as DTrace prints it (the aggregations already refreshed).
    func printAggregationsAsText(_ ids: [Int], format: PrintfFormat?) {
        if format == nil { write("\n") }
        if ids.count > 1 { printJointly(ids, format: format); return }
        for id in ids { printAggregation(id, format: format) }
    }

    /// printa(fmt, @a, @b, ...): one line per key, the n-th %@ taking the n-th
    /// aggregation's value (0 where it has no entry for the key); without a format,
    /// the key columns and then every value.
    func printJointly(_ ids: [Int], format: PrintfFormat?) {
        for id in ids { aggregations.printed.insert(id) }
        var descriptors = ids.map { aggregations.descriptors[$0] }
        let (joint, keys) = aggregations.sortedKeys(ids, options: options)
        // Keys are printed in the joint layout (texts where slots differ).
        descriptors[0].keyFields = joint.fields
        descriptors[0].keySize = joint.size
        for key in keys {
            // A missing entry is zero-filled data, as Oracle's (a min() with none prints 0).
            let values = ids.indices.map { index in
                joint.own[index][key].flatMap { aggregations.entries[ids[index]][$0] }
                    ?? AggregationValue(words: [Int64](repeating: 0, count: aggregations.descriptors[ids[index]].function.wordCount))
            }
            if let format {
                write(formatAggregationEntry(format, descriptors[0], key, values[0], jointly: Array(zip(descriptors, values))))
            } else {
                for field in descriptors[0].keyFields { write(keyText(field, key)) }
                for (descriptor, value) in zip(descriptors, values) { write(valueText(descriptor.function, value)) }
                write("\n")
            }
        }
    }

    func printAggregation(_ id: Int, format: PrintfFormat?) {
        aggregations.printed.insert(id)
        let descriptor = aggregations.descriptors[id]
        for key in aggregations.sortedKeys(id, options: options) {
            guard let value = aggregations.entries[id][key] else { continue }
            if let format {
                write(formatAggregationEntry(format, descriptor, key, value))
            } else {
                for field in descriptor.keyFields {
                    if case .stack(let frames, let user) = field.type {
                        write(StackText.render(key, field, frames: frames, user: user, source: stackSource, symbols: userSymbols))
                    } else {
                        write(keyText(field, key))
                    }
                }
                write(valueText(descriptor.function, value))
                if options.aggregationPerCPU {
                    // aggpercpu: each CPU's part after the whole, as Oracle's DTrace prints them.
                    for cpu in SystemCPUs.online {
                        write("\n    [CPU \(cpu)]" + valueText(descriptor.function, aggregations.part(id, key: key, cpu: cpu)))
                    }
                }
                write("\n")
            }
        }
    }

    func keyText(_ field: RecordField, _ key: [UInt8]) -> String {
        switch field.type {
        case .string(let size): return CFormat.string("  %-50s", RecordReader.string(key, at: field.offset, size: size))
        case .addressText: return CFormat.string("  %-50s", RecordReader.addressText(key, field))
        case .integer(let size, _), .bytes(let size), .floating(let size):
            let value = RecordReader.integer(key, at: field.offset, size: 8)
            switch size {
            case 1: return CFormat.render(" %3d", [Int32(UInt8(truncatingIfNeeded: value))])
            case 2: return CFormat.render(" %5d", [Int32(UInt16(truncatingIfNeeded: value))])
            case 4: return CFormat.render(" %8d", [Int32(truncatingIfNeeded: value)])
            default: return CFormat.integer(" %16lld", value)
            }
        case .pointer, .stack: return CFormat.integer(" %16lld", RecordReader.integer(key, at: field.offset, size: 8))
        case .symbol(let kind): return SymbolText.field(kind, key, field, user: userSymbols)
        }
    }

    func valueText(_ function: AggregatingFunction, _ value: AggregationValue) -> String {
        switch function.presentation(value.words, normal: value.normal) {
        case .integer(let number, let unsigned): return CFormat.integer(unsigned ? " %16llu" : " %16lld", number)
        case .histogram(let labels, let counts, let whenEmpty, let normal): return histogram(labels: labels, counts: counts, whenEmpty: whenEmpty, normal: normal)
        case .histogramRows(let labels, let counts, let normal): return histogram(rows: Array(zip(labels, counts)), normal: normal)
        }
    }

    /// DTraceIR's histogram as DTrace prints it: the buckets from the one before the first
    /// non-zero to the one after the last (`whenEmpty` when all are zero), a bar each.
    func histogram(labels: [String], counts data: [Int64], whenEmpty: ClosedRange<Int>, normal: Int64) -> String {
        guard !data.isEmpty, labels.count == data.count else { return "\n" }
        return histogram(rows: Consumer.histogramRows(data, whenEmpty: whenEmpty).map { (labels[$0], data[$0]) }, normal: normal)
    }

    /// The header and a labelled bar per row, the bars scaled to the rows' total.
    func histogram(rows: [(String, Int64)], normal: Int64) -> String {
        guard !rows.isEmpty else { return "\n" }
        var total: Double = 0
        var positives = false, negatives = false
        for (_, count) in rows { total += Double(count.magnitude); positives = positives || count > 0; negatives = negatives || count < 0 }
        var text = Consumer.histogramHeader
        for (label, count) in rows {
            // "%16s " (labels are ASCII); a histogram can have hundreds of thousands of rows.
            text += CFormatText.pad(label, 16) + " "
            text += Consumer.quantizeLine(count, normal: normal, total: total, positives: positives, negatives: negatives)
        }
        return text
    }

    /// The buckets a histogram shows: from the one before the first non-zero count to the
    /// one after the last (`whenEmpty` when all are zero). `counts` is not empty.
    static func histogramRows(_ counts: [Int64], whenEmpty: ClosedRange<Int>) -> ClosedRange<Int> {
        var first = 0, last = counts.count - 1
        while first < counts.count - 1 && counts[first] == 0 { first += 1 }
        if first == counts.count - 1 && counts[first] == 0 {
            first = max(0, whenEmpty.lowerBound); last = min(counts.count - 1, whenEmpty.upperBound)
        } else {
            if first > 0 { first -= 1 }
            while last > 0 && counts[last] == 0 { last -= 1 }
            if last < counts.count - 1 { last += 1 }
        }
        return first...max(first, last)
    }

    static func quantizeLine(_ value: Int64, normal: Int64, total: Double, positives: Bool, negatives: Bool) -> String {
        func depth(_ length: Int) -> Int { total == 0 ? 0 : Int(Double(value.magnitude) * Double(length) / total + 0.5) }
        func bar(_ count: Int) -> Substring { bars.prefix(count) }
        func blank(_ count: Int) -> Substring { blanks.prefix(count) }
        // " %-9lld" and "| %-9lld".
        let number = CFormatText.padRight(String(value / normal), 9) + "\n"
        if !negatives {
            let d = positives ? depth(40) : 0
            return "|" + bar(d) + blank(40 - d) + " " + number
        }
        if !positives {
            let d = depth(40)
            return blank(40 - d) + bar(d) + "| " + number
        }
        let d = depth(20)
        if value <= 0 {
            return blank(20 - d) + bar(d) + "|" + blank(20) + " " + number
        }
        return blank(20) + "|" + bar(d) + blank(20 - d) + " " + number
    }
    private static let bars = String(repeating: "@", count: 40)
    private static let blanks = String(repeating: " ", count: 40)

    func formatAggregationEntry(_ format: PrintfFormat, _ descriptor: AggregationDescriptor, _ key: [UInt8], _ value: AggregationValue,
                                jointly: [(AggregationDescriptor, AggregationValue)]? = nil) -> String {
        var pending = jointly.map { $0[...] }
        var keys = descriptor.keyFields.map { field -> Argument in
            switch field.type {
            case .string(let size): return .string(RecordReader.string(key, at: field.offset, size: size))
            case .addressText: return .string(RecordReader.addressText(key, field))
            case .integer(let size, let signed): return .integer(RecordReader.integer(key, at: field.offset, size: 8), size: size, signed: signed)
            // %k of a stack key prints the stack; %a, %A (or %s) of a symbol key its name.
            case .stack(let frames, let user): return .string(Array(StackText.render(key, field, frames: frames, user: user, source: stackSource, symbols: userSymbols).utf8))
            case .symbol(let kind): return .string(Array(SymbolText.text(kind, key, field, user: userSymbols).utf8))
            default: return .integer(RecordReader.integer(key, at: field.offset, size: 8), size: 8, signed: false)
            }
        }[...]
        // A stack key prints as DTrace's dt_print_stack: a newline, then each frame on a
        // line of its own, indented, through the conversion (its width applies per frame).
        let stacks: [[String]?] = descriptor.keyFields.map { field in
            guard case .stack(let frames, let user) = field.type else { return nil }
            return StackText.names(key, field, frames: frames, user: user, source: stackSource, symbols: userSymbols)
        }
        var text = ""
        for segment in format.segments {
            switch segment {
            case .literal(let literal): text += literal
            case .conversion(let conversion):
                if conversion.isAggregationValue {
                    var descriptor = descriptor, value = value
                    if let next = pending?.popFirst() { (descriptor, value) = next }
                    switch descriptor.function.presentation(value.words, normal: value.normal) {
                    case .histogram(let labels, let counts, let whenEmpty, let normal):
                        text += histogram(labels: labels, counts: counts, whenEmpty: whenEmpty, normal: normal)
                    case .histogramRows(let labels, let counts, let normal):
                        text += histogram(rows: Array(zip(labels, counts)), normal: normal)
                    case .integer(let number, let unsigned):
                        // printa divides an unsigned (stddev) value by normalize()'s divisor too.
                        let scalar = unsigned ? number / max(1, value.normal) : number
                        let character = conversion.conversion == "@" ? "d" : String(conversion.conversion)
                        let patched = PrintfConversion(flags: conversion.flags, width: conversion.width, precision: conversion.precision,
                                                       length: "", conversion: Character(character), isAggregationValue: true, text: conversion.text)
                        text += Consumer.render(patched, width: conversion.width, precision: conversion.precision, .integer(scalar, size: 8, signed: !unsigned))
                    }
                } else {
                    // A "*" width or precision takes the next key, as printf takes its
                    // next argument.
                    var width = conversion.width, precision = conversion.precision
                    if width == .fromArgument, case .integer(let value, _, _)? = keys.popFirst() { width = .fixed(Int(truncatingIfNeeded: value)) }
                    if precision == .fromArgument, case .integer(let value, _, _)? = keys.popFirst() { precision = .fixed(Int(truncatingIfNeeded: value)) }
                    let index = keys.startIndex
                    guard let argument = keys.popFirst() else { continue }
                    if let frames = stacks[index] {
                        let spec = Consumer.specification(conversion, width: width, precision: precision, length: "", character: "s")
                        text += "\n" + frames.map { String(repeating: " ", count: StackText.indent) + CFormat.string(spec, Array($0.utf8)) + "\n" }.joined()
                    } else {
                        text += Consumer.render(conversion, width: width, precision: precision, argument)
                    }
                }
            }
        }
        return text
    }

    // MARK: errors

    /// A fault while tracing: DTrace's error line on `errors`, or a JSON error object on
    /// the output (after the records before it).
    public func reportFault(clause index: Int, probe: ProbeIdentity, fault: Fault, errors: OutputSink) {
        let clause = clauseNumber(index)
        if options.format == .json {
            output.write(JSONOutput.line(JSONOutput.faultMembers(clause: clause, probe: probe, fault: fault)))
            output.flush()
        } else {
            errors.write(Consumer.errorLine(clause: clause, probe: probe, fault: fault))
            errors.flush()
        }
    }

    /// Drops counted since the last report: DTrace's line on `errors`, or a JSON drop
    /// object on the output. `cpu` for records dropped on one CPU's buffer.
    public func reportDrops(_ count: Int64, of kind: DropKind, cpu: Int? = nil, errors: OutputSink) {
        let plural = count == 1 ? "" : "s"
        var message = options.dropTags ? "dtrace: [\(kind.tag)] " : "dtrace: "
        switch kind {
        case .records: message += "\(count) drop\(plural)" + (cpu.map { " on CPU \($0)" } ?? "")
        case .dynamicVariables: message += "\(count) dynamic variable drop\(plural)"
        case .aggregations: message += "\(count) aggregation drop\(plural)" + (cpu.map { " on CPU \($0)" } ?? "")
        case .failedSpeculations: message += "\(count) failed speculation\(plural) (no speculative buffer available)"
        case .speculativeDrops: message += "\(count) speculative drop\(plural)"
        }
        if options.format == .json {
            var members = JSONOutput.header("drop") + [("kind", .string(kind.rawValue)), ("count", .integer(count))]
            if let cpu { members.append(("cpu", .integer(Int64(cpu)))) }
            output.write(JSONOutput.line(members + [("message", .string(message))]))
            output.flush()
        } else {
            errors.write(message + "\n")
        }
    }

    /// The N of dt_clause_N for the clause at `index`: Oracle's DTrace makes a clause of each
    /// probe description in a comma list, so each earlier clause counts its descriptions.
    public func clauseNumber(_ index: Int) -> Int {
        program.clauses.prefix(index).reduce(0) { $0 + max(1, $1.probes.count) }
    }

    /// A fault's line as DTrace on Linux prints it: the clause (dt_clause_N, in program
    /// order), the probe, the fault with its address where it has one, and where in the
    /// clause's code it happened.
    public static func errorLine(clause: Int, probe: ProbeIdentity, fault: Fault) -> String {
        var details = ""
        switch fault.kind {
        case .badAddress where fault.address != -1, .badAlignment, .badStack, .badSize:
            details = " (0x" + String(UInt64(bitPattern: fault.address), radix: 16) + ")"
        case .badIndex: details = " (\(fault.address))"
        default: break
        }
        return "dtrace: error in dt_clause_\(clause) for probe ID \(probe.id) (\(probe.fullName)): \(fault.kind.message)\(details) at BPF pc \(fault.instruction)\n"
    }
}

/// What dtrace reports dropping.
public enum DropKind: String, Sendable {
    case records, dynamicVariables = "dynamic-variables", aggregations
    /// speculation() calls that found every speculation busy.
    case failedSpeculations = "failed-speculations"
    /// Speculated data past specsize: a clause ended, or a record its speculation had no room for.
    case speculativeDrops = "speculative-drops"

    /// DTrace's name for the kind (dtrace_dropkind_t), as droptags prints it.
    public var tag: String {
        switch self {
        case .records: "DTRACEDROP_PRINCIPAL"
        case .dynamicVariables: "DTRACEDROP_DYNAMIC"
        case .aggregations: "DTRACEDROP_AGGREGATION"
        case .failedSpeculations: "DTRACEDROP_SPECUNAVAIL"
        case .speculativeDrops: "DTRACEDROP_SPEC"
        }
    }
}

enum CFormatText {
    static func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
    static func padRight(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
}
