// DTraceLibrary/Print: print(pointer) as Oracle's DTrace has it — prototype void(void *):
// the pointer and the bytes it points to (its type's size, copied into the record), which
// the consumer lays out by type (DTraceConsumer's PrintWalk), and the type as that walk
// reads it: named as CTF names types, members at their bit offsets, kernel structures'
// anonymous members as declared, the array elements CTF gives no encoding.

import DTraceConsumer
import DTraceIR
import DTraceLanguage

struct Print: ActionDefinition {
    var names: [String] { ["print"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...1)
        let pointer = try call.value(0)
        guard case .pointer(let pointee) = pointer.type.resolved else {
            throw call.argumentMismatch(1, prototype: "void *", argument: pointer.type)
        }
        let size = pointee.size
        guard size > 0 else {
            throw call.error(.prototypeArgument, "print( ) argument #1 reference has type '\(PrintTypes.name(of: pointee))' with size 0; cannot print( ) it.", tag: "D_PRINT_SIZE")
        }
        let presence = call.beginAction()
        let address = call.recordUnsigned(pointer.register)
        let data = call.recordPointee(pointer, size: size)
        call.addAction(PrintOutput(type: PrintTypes.type(of: pointee)), fields: [address, data], presence: presence)
    }
}

/// One print(): the type of what its pointer points to.
struct PrintOutput: ConsumedAction {
    let type: PrintType
    var description: String { "print(\(type.name))" }

    func text(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> String {
        let address = UInt64(bitPattern: consumer.integer(record, fields[0]))
        return consumer.printed(address: address, type, consumer.bytes(record, fields[1], size: type.size))
    }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        consumer.write(text(fields, record: record, consumer: consumer))
    }

    /// {"action": "print", "type": the type pointed to, "address": the pointer, "output":
    /// print()'s text without the final newline}.
    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        var output = text(fields, record: record, consumer: consumer)
        if output.hasSuffix("\n") { output.removeLast() }
        let address = UInt64(bitPattern: consumer.integer(record, fields[0]))
        return .object([("action", .string("print")), ("type", .string(type.name)), ("address", .unsigned(address)), ("output", .string(output))])
    }
}

/// D types as print()'s walk reads them (DTraceIR's `PrintType`).
enum PrintTypes {
    static func type(of type: DType, depth: Int = 0) -> PrintType {
        guard depth < PrintType.depthLimit else { return .beyondDepth }
        let name = name(of: type)
        switch type.resolved {
        case .integer(let base, let size, let signed):
            return .integer(name: name, size: size, bits: size * 8, signed: signed, isCharacter: base == "char" && size == 1)
        case .pointer:
            return .pointer(name: name)
        case .array(let element, let count):
            return .array(name: name, element: self.type(of: element, depth: depth + 1), count: count, elementSize: element.size,
                          elements: elementEncoding(element))
        case .composite(let composite) where composite.isFloatingPoint:
            return .unshown(name: name, size: composite.size)
        case .composite(let composite):
            let bitFields = composite.bitFields
            let members = composite.declaredMembers.map { member -> PrintMember in
                if let field = bitFields[member.name] {
                    return PrintMember(name: member.name, type: bitField(member.type, bits: field.bits), bitOffset: field.bitOffset)
                }
                return PrintMember(name: member.name, type: self.type(of: member.type, depth: depth + 1), bitOffset: member.offset * 8)
            }
            return .composite(name: name, size: composite.size, members: members)
        case .enumeration(let enumeration):
            return .enumeration(name: name, size: 4, enumerators: enumerators(enumeration))
        case .void, .string, .alias:
            return .unshown(name: name, size: type.size)
        }
    }

    /// A bit-field `bits` wide: named by its integer (or enum) type with typedefs removed,
    /// held in the fewest bytes — a power of two — that take its bits.
    static func bitField(_ type: DType, bits: Int) -> PrintType {
        var storage = 1
        while storage * 8 < bits { storage *= 2 }
        switch type.resolved {
        case .integer(let base, _, let signed):
            return .integer(name: base, size: storage, bits: bits, signed: signed, isCharacter: base == "char")
        case .enumeration(let enumeration):
            return .enumeration(name: name(of: type.resolved), size: storage, enumerators: enumerators(enumeration))
        default:
            return .unshown(name: name(of: type), size: storage)
        }
    }

    static func enumerators(_ enumeration: EnumType) -> [PrintEnumerator] {
        enumeration.values.map { PrintEnumerator(name: $0.0, value: $0.1) }
    }

    /// How CTF encodes an array's elements: only integers, floating point and enums that
    /// are not typedefs have an encoding (D's own type names such as uint8_t are typedefs
    /// there); 8-bit integers other than _Bool are characters.
    static func elementEncoding(_ element: DType) -> PrintElementEncoding {
        switch element {
        case .integer(let base, let size, _):
            if base != "_Bool" && BuiltinTypes.table[base] != nil { return .none }
            return size == 1 && base != "_Bool" ? .characters : .other
        case .enumeration: return .other
        case .composite(let composite) where composite.isFloatingPoint: return .other
        default: return .none
        }
    }

    /// A type's name as CTF writes it: "struct foo", "union " (anonymous), "char [5]",
    /// "char *[2]", "int (*)[3]", a typedef by its name.
    static func name(of type: DType) -> String {
        var declarator = ""
        var base = type
        declarators: while true {
            switch base {
            case .pointer(let target):
                declarator = "*" + declarator
                base = target
            case .array(let element, let count):
                if declarator.hasPrefix("*") { declarator = "(" + declarator + ")" }
                declarator += "[\(count)]"
                base = element
            default:
                break declarators
            }
        }
        let baseName: String
        switch base {
        case .void: baseName = "void"
        case .integer(let name, _, _): baseName = name
        case .string: baseName = "string"
        case .alias(let name, _): baseName = name
        case .composite(let composite) where composite.isFloatingPoint: baseName = composite.name
        case .composite(let composite): baseName = (composite.isUnion ? "union " : "struct ") + tag(composite.name)
        case .enumeration(let enumeration): baseName = "enum " + tag(enumeration.name)
        case .pointer, .array: baseName = ""
        }
        return declarator.isEmpty ? baseName : baseName + " " + declarator
    }

    /// A struct, union or enum tag; anonymous ones have none.
    static func tag(_ name: String) -> String { name == "<anon>" ? "" : name }
}
