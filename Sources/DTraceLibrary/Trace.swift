// DTraceLibrary/Trace: trace(expression) — the value recorded and printed as dtrace(1M)
// prints it: integers right-aligned by size, strings left-aligned, other data as a
// string when printable or a hex dump.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Trace: ActionDefinition, ConsumedAction {
    var names: [String] { ["trace"] }
    var description: String { "trace" }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let value = try call.value(0)
        if value.type.isVoid { throw call.error(.prototypeArgument, "trace( ) may not be applied to a void expression", tag: "D_TRACE_VOID") }
        let presence = call.beginAction()
        call.addAction(self, fields: [call.recordField(value)], presence: presence)
    }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        let field = fields[0], quiet = consumer.isQuiet
        switch field.type {
        case .integer(let size, _):
            let value = consumer.integer(record, field)
            if quiet { consumer.write(size == 8 ? String(value) : String(Int32(truncatingIfNeeded: value))) }
            else {
                let width = size >= 8 ? 16 : (size == 4 ? 8 : (size == 2 ? 5 : 3))
                consumer.write(" " + CFormat.integer("%\(width)lld", size == 8 ? value : Int64(Int32(truncatingIfNeeded: value))))
            }
        case .pointer, .stack, .symbol:
            let value = consumer.integer(record, field)
            consumer.write(quiet ? String(value) : " " + CFormat.integer("%16lld", value))
        case .string(let size):
            let text = consumer.string(record, field, size: size)
            consumer.write(quiet ? String(decoding: text, as: UTF8.self) : CFormat.string("  %-33s", text))
        case .bytes(let size):
            consumer.write(Consumer.byteDump(consumer.bytes(record, field, size: size), quiet: quiet))
        }
    }

    /// {"action": "trace", "value": number or string}, or "bytes" in hexadecimal.
    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        let field = fields[0]
        let value: (String, JSONValue)
        switch field.type {
        case .integer(let size, let signed): value = ("value", JSONValue.recorded(consumer.integer(record, field), size: size, signed: signed))
        case .pointer, .stack, .symbol: value = ("value", .unsigned(UInt64(bitPattern: consumer.integer(record, field))))
        case .string(let size): value = ("value", .text(consumer.string(record, field, size: size)))
        case .bytes(let size): value = ("bytes", .hex(consumer.bytes(record, field, size: size)))
        }
        return .object([("action", .string("trace")), value])
    }
}
