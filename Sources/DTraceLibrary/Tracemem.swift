// DTraceLibrary/Tracemem: tracemem(address, size) — size bytes (a constant) copied into
// the record and shown as a hex dump.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Tracemem: ActionDefinition {
    var names: [String] { ["tracemem"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(2...3)
        let address = try call.value(0)
        guard address.type.isScalar else {
            throw call.error(.prototypeArgument, "tracemem( ) argument #1 is incompatible with prototype:\n\tprototype: pointer or integer\n\t argument: \(address.type)", tag: "D_TRACEMEM_ADDR")
        }
        let sizeValue = try call.value(1)
        guard sizeValue.type.isScalar else {
            throw call.error(.prototypeArgument, "tracemem( ) argument #2 is incompatible with prototype:\n\tprototype: size_t\n\t argument: \(sizeValue.type)")
        }
        guard let size = sizeValue.constant, sizeValue.type.isInteger, size > 0, size <= 1 << 16 else {
            throw call.error(.prototypeArgument, "tracemem( ) argument #2 must be a non-zero positive integral constant expression", tag: "D_TRACEMEM_SIZE")
        }
        let presence = call.beginAction()
        let (offset, destination) = call.reserve(Int(size))
        call.emit(.call(.copyBytes, result: nil, arguments: [address.register, destination, call.constant(size)]))
        call.addAction(TracememUse(size: Int(size)), fields: [RecordField(offset: offset, type: .bytes(size: Int(size)))], presence: presence)
    }
}

struct TracememUse: ConsumedAction {
    let size: Int
    var description: String { "tracemem(\(size))" }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        consumer.write(Consumer.byteDump(consumer.bytes(record, fields[0], size: size), quiet: consumer.isQuiet, forceRaw: true))
    }

    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        .object([("action", .string("tracemem")), ("bytes", .hex(consumer.bytes(record, fields[0], size: size)))])
    }
}
