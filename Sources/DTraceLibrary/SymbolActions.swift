// DTraceLibrary/SymbolActions: sym(), mod(), func(), usym(), umod(), uaddr(), ufunc() as
// actions — the address recorded (a user one with its process) and printed by name.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct SymbolActions: ActionDefinition {
    var names: [String] { ["sym", "mod", "func", "usym", "umod", "uaddr", "ufunc"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let address = try call.integer(0, prototype: "uintptr_t")
        let presence = call.beginAction()
        let kind = SymbolKind(function: call.name)!
        let field = kind.isUser ? call.recordWithProcess(address.register, as: .symbol(kind)) : call.recordUnsigned(address.register)
        call.addAction(SymbolOutput(kind: kind), fields: [field], presence: presence)
    }
}

struct SymbolOutput: ConsumedAction {
    let kind: SymbolKind
    var description: String { kind.rawValue }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        consumer.write(consumer.symbolField(kind, record, fields[0]))
    }

    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        .object([("action", .string(kind.rawValue)), ("value", .string(consumer.symbolText(kind, record, fields[0])))])
    }
}
