// DTraceLibrary/Print: print(expression) — the value shown by its type, as dtrace(1M)
// shows it: integers in hexadecimal, chars and strings quoted, arrays, structs member by
// member, enums by name.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Print: ActionDefinition {
    var names: [String] { ["print"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let value = try call.value(0)
        if value.type.isVoid { throw call.error(.prototypeArgument, "print( ) argument #1 is incompatible with prototype:\n\tprototype: non-void\n\t argument: void") }
        let presence = call.beginAction()
        call.addAction(PrintOutput(type: call.printType(of: value.type)), fields: [call.recordField(value)], presence: presence)
    }
}

/// One print() with the type of its value.
struct PrintOutput: ConsumedAction {
    let type: PrintType
    var description: String { "print(\(type.name))" }

    /// The recorded value's bytes.
    func recordedData(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> [UInt8] {
        let field = fields[0]
        switch field.type {
        case .integer, .pointer, .stack, .symbol: return consumer.bytes(record, field, size: 8)
        case .string(let size): return consumer.string(record, field, size: size)
        case .bytes(let size): return consumer.bytes(record, field, size: size)
        }
    }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        consumer.write((consumer.isQuiet ? "" : " ") + consumer.printed(type, recordedData(fields, record: record, consumer: consumer)))
    }

    /// {"action": "print", "type": its name, "output": print()'s text without the final newline}.
    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        let data = recordedData(fields, record: record, consumer: consumer)
        var text = consumer.printed(type, data)
        if text.hasSuffix("\n") { text.removeLast() }
        return .object([("action", .string("print")), ("type", .string(type.name)), ("output", .string(text))])
    }
}
