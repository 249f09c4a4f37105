// DTraceLibrary/Trace: trace(expression) — the value recorded and printed as dtrace(1M)
// prints it: integers right-aligned by size, strings left-aligned, other data as a
// string when printable or a hex dump.

import DTraceText
import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Trace: ActionDefinition, ConsumedAction {
    var names: [String] { ["trace"] }
    var description: String { "trace" }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let value = try call.formatValue(0)
        if value.type == .aggregation { throw call.error(.prototypeArgument, "trace( ) may not be applied to a dynamic expression", tag: "D_TRACE_DYN") }
        if value.type.isVoid { throw call.error(.prototypeArgument, "trace( ) may not be applied to a void expression", tag: "D_TRACE_VOID") }
        let presence = call.beginAction()
        call.addAction(self, fields: [call.recordData(value)], presence: presence)
    }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        let field = fields[0], quiet = consumer.isQuiet
        if consumer.options.rawBytes {
            // dt_print_trace under rawbytes: every value as its bytes (a string as strsize
            // bytes and its terminator).
            let bytes: [UInt8]
            switch field.type {
            case .integer(let size, _): bytes = Array(consumer.bytes(record, field, size: 8).prefix(max(1, min(size, 8))))
            case .pointer, .stack, .symbol: bytes = consumer.bytes(record, field, size: 8)
            case .string(let size): bytes = Array(consumer.bytes(record, field, size: size).prefix(consumer.options.stringSize + 1))
            case .bytes(let size), .floating(let size), .addressText(let size): bytes = consumer.bytes(record, field, size: size)
            }
            consumer.write(Consumer.byteDump(bytes, quiet: quiet, forceRaw: true))
            return
        }
        switch field.type {
        case .integer(let size, let signed):
            consumer.write(Self.integerText(consumer.integer(record, field), size: size, signed: signed, quiet: quiet))
        case .pointer, .stack, .symbol:
            consumer.write(Self.integerText(consumer.integer(record, field), size: 8, signed: false, quiet: quiet))
        case .string(let size):
            let text = consumer.string(record, field, size: size)
            consumer.write(quiet ? RawText.string(text) : CFormat.string("  %-33s", text))
        case .bytes(let size), .floating(let size), .addressText(let size):
            // Data that is not a D string (a struct, an array, a kernel char array, a
            // floating-point value): its bytes, as dt_print_trace shows them.
            consumer.write(Consumer.byteDump(consumer.bytes(record, field, size: size), quiet: quiet, forceRaw: true))
        }
    }

    /// dt_print_trace: the value at its recorded width and signedness, right-aligned in
    /// a column as wide as the width's longest number (19 or 20 digits for 64 bits, 10
    /// for 32, 5 for 16, 3 for 8), or bare when quiet.
    static func integerText(_ value: Int64, size: Int, signed: Bool, quiet: Bool) -> String {
        let bits = min(max(size, 1), 8) * 8
        let text: String
        if signed {
            text = String(bits == 64 ? value : (value << (64 - bits)) >> (64 - bits))
        } else {
            text = String(bits == 64 ? UInt64(bitPattern: value) : UInt64(bitPattern: value) & ((1 << UInt64(bits)) - 1))
        }
        if quiet { return text }
        let width = switch bits { case 64: signed ? 19 : 20; case 32: 10; case 16: 5; default: 3 }
        return " " + String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// {"action": "trace", "value": number or string}, or "bytes" in hexadecimal.
    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        let field = fields[0]
        let value: (String, JSONValue)
        switch field.type {
        case .integer(let size, let signed): value = ("value", JSONValue.recorded(consumer.integer(record, field), size: size, signed: signed))
        case .pointer, .stack, .symbol: value = ("value", .unsigned(UInt64(bitPattern: consumer.integer(record, field))))
        case .string(let size): value = ("value", .text(consumer.string(record, field, size: size)))
        case .bytes(let size), .floating(let size), .addressText(let size): value = ("bytes", .hex(consumer.bytes(record, field, size: size)))
        }
        return .object([("action", .string("trace")), value])
    }
}
