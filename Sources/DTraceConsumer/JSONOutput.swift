// DTraceConsumer/JSONOutput: -x oformat=json — every probe firing, printa(), aggregation
// printed at the end, fault, drop and the end of tracing as one JSON object a line (JSON
// Lines), each carrying the schema's version; the schema is docs/JSON-OUTPUT.md's.
// Actions give their own entries (ConsumedAction.jsonEntry); the text an action writes
// stands in for one it does not give.

import DTraceIR
import DTraceSystem

public enum JSONOutput {
    /// The schema's version, in every object; raised when a member changes meaning or goes.
    public static let schemaVersion: Int64 = 1

    /// A message dtrace ends with (it cannot start tracing, or go on) as an error object.
    public static func fatalErrorLine(_ message: String) -> String {
        line(header("error") + [("kind", .string("fatal")), ("message", .string(message))])
    }

    /// The members every object starts with.
    static func header(_ type: String) -> [(String, JSONValue)] {
        [("version", .integer(schemaVersion)), ("type", .string(type))]
    }

    /// One object and its newline.
    static func line(_ members: [(String, JSONValue)]) -> String { JSONValue.object(members).serialized + "\n" }

    /// The probe's identity members.
    static func probeMembers(_ probe: ProbeIdentity) -> [(String, JSONValue)] {
        [("id", .integer(Int64(probe.id))), ("provider", .string(probe.provider)), ("module", .string(probe.module)),
         ("function", .string(probe.function)), ("name", .string(probe.name))]
    }

    /// A fault's error object: its clause, probe, kind, address (where DTrace's line shows
    /// one), the clause's instruction, and DTrace's line as "message".
    static func faultMembers(clause: Int, probe: ProbeIdentity, fault: Fault) -> [(String, JSONValue)] {
        var members = header("error") + [("kind", .string("fault")), ("clause", .integer(Int64(clause)))] + probeMembers(probe)
        members.append(("fault", .string(fault.kind.message)))
        switch fault.kind {
        case .badAddress where fault.address != -1, .badAlignment, .badStack, .badSize:
            members.append(("address", .unsigned(UInt64(bitPattern: fault.address))))
        case .badIndex: members.append(("index", .integer(fault.address)))
        default: break
        }
        members.append(("pc", .integer(Int64(fault.instruction))))
        var message = Consumer.errorLine(clause: clause, probe: probe, fault: fault)
        if message.hasSuffix("\n") { message.removeLast() }
        members.append(("message", .string(message)))
        return members
    }

    /// A histogram's buckets as DTrace shows them, each {"value": lower bound, "count": n};
    /// the bucket below the first bound also has "underflow": true (its values are < value).
    static func buckets(labels: [String], counts: [Int64], whenEmpty: ClosedRange<Int>, normal: Int64) -> JSONValue {
        guard !counts.isEmpty, labels.count == counts.count else { return .array([]) }
        return buckets(rows: Consumer.histogramRows(counts, whenEmpty: whenEmpty).map { (labels[$0], counts[$0]) }, normal: normal)
    }

    /// Rows shown, as buckets: "value" is the label's number ("< V" and llquantize's
    /// "abs() < V" also say "underflow": true; ">= V" and "<= V" are V).
    static func buckets(rows: [(String, Int64)], normal: Int64) -> JSONValue {
        .array(rows.map { label, count in
            var number = Substring(label), underflow = false
            if let prefix = ["abs() < ", "< "].first(where: { number.hasPrefix($0) }) {
                number = number.dropFirst(prefix.count)
                underflow = true
            } else if let prefix = [">= ", "<= "].first(where: { number.hasPrefix($0) }) {
                number = number.dropFirst(prefix.count)
            }
            var members: [(String, JSONValue)] = [("value", .integer(Int64(number) ?? 0)), ("count", .integer(count / normal))]
            if underflow { members.append(("underflow", .bool(true))) }
            return .object(members)
        })
    }
}

extension Consumer {
    /// One firing as a "probe" object: its identity, CPU and each action's entry in order.
    func consumeAsJSON(clause: Int, probe: ProbeIdentity, cpu: Int32, bytes: [UInt8]) {
        var entries: [JSONValue] = []
        for action in program.clauses[clause].record.actions {
            guard RecordReader.integer(bytes, at: action.presenceOffset, size: 8) != 0 else { continue }
            capturedText = ""
            pendingJSONEntries = []
            perform(action, bytes)
            let text = capturedText ?? ""
            capturedText = nil
            entries += pendingJSONEntries
            pendingJSONEntries = []
            if let consumed = action.output as? any ConsumedAction, let entry = consumed.jsonEntry(action.fields, record: bytes, consumer: self) {
                entries.append(entry)
            } else if !text.isEmpty {
                let name = action.output.description.prefix { $0 != "(" }
                entries.append(.object([("action", .string(String(name))), ("output", .string(text))]))
            }
        }
        output.write(JSONOutput.line(JSONOutput.header("probe") + JSONOutput.probeMembers(probe) + [("cpu", .integer(Int64(cpu))), ("actions", .array(entries))]))
        // freopen() moves the output from the next object on.
        let reopens = pendingReopens
        pendingReopens = []
        for path in reopens { reopenOutput(path) }
    }

    /// printa()'s entry: its format and the text it gives (when it has a format), and each
    /// aggregation's object.
    func printaEntry(_ ids: [Int], format: PrintfFormat?, formatText: String?) -> JSONValue {
        var members: [(String, JSONValue)] = [("action", .string("printa"))]
        if let format, let formatText {
            let saved = capturedText
            capturedText = ""
            printAggregationsAsText(ids, format: format)
            members += [("format", .string(formatText)), ("output", .string(capturedText ?? ""))]
            capturedText = saved
        }
        members.append(("aggregations", .array(ids.map { .object(jsonAggregationMembers($0)) })))
        return .object(members)
    }

    /// An aggregation: its name ("@" for the anonymous one), function and entries in
    /// DTrace's order, each {"keys": [...], "value": n} or {"keys": [...], "buckets": [...]}.
    func jsonAggregationMembers(_ id: Int) -> [(String, JSONValue)] {
        aggregations.printed.insert(id)
        let descriptor = aggregations.descriptors[id]
        let entries = aggregations.sortedKeys(id, options: options).compactMap { key -> JSONValue? in
            guard let value = aggregations.entries[id][key] else { return nil }
            let keys = JSONValue.array(descriptor.keyFields.map { jsonKey($0, key) })
            switch descriptor.function.presentation(value.words, normal: value.normal) {
            case .integer(let number, let unsigned):
                return .object([("keys", keys), ("value", unsigned ? .unsigned(UInt64(bitPattern: number)) : .integer(number))])
            case .histogram(let labels, let counts, let whenEmpty, let normal):
                return .object([("keys", keys), ("buckets", JSONOutput.buckets(labels: labels, counts: counts, whenEmpty: whenEmpty, normal: normal))])
            case .histogramRows(let labels, let counts, let normal):
                return .object([("keys", keys), ("buckets", JSONOutput.buckets(rows: Array(zip(labels, counts)), normal: normal))])
            }
        }
        return [("name", .string("@" + descriptor.name)), ("function", .string(descriptor.function.name)), ("entries", .array(entries))]
    }

    /// One key field: integers as numbers, strings and symbol names as strings, stacks as
    /// arrays of frames (leaf first), other bytes as hexadecimal.
    func jsonKey(_ field: RecordField, _ key: [UInt8]) -> JSONValue {
        switch field.type {
        case .string(let size): return .text(RecordReader.string(key, at: field.offset, size: size))
        case .addressText: return .text(RecordReader.addressText(key, field))
        case .integer(let size, let signed): return JSONValue.recorded(RecordReader.integer(key, at: field.offset, size: 8), size: size, signed: signed)
        case .pointer: return .unsigned(UInt64(bitPattern: RecordReader.integer(key, at: field.offset, size: 8)))
        case .bytes(let size), .floating(let size): return .hex(ByteReader(key, .littleEndian).bytes(at: field.offset, count: size).map(Array.init) ?? [])
        case .symbol(let kind): return .string(SymbolText.text(kind, key, field, user: userSymbols))
        case .stack(let frames, let user):
            return .array(StackText.names(key, field, frames: frames, user: user, source: stackSource, symbols: userSymbols).map { .string($0) })
        }
    }
}
