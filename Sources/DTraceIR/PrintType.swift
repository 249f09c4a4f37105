// DTraceIR/PrintType: what print() needs to lay out a value the way dtrace(1M) does: each
// type's name and shape (members at their byte offsets, element counts, enumerator names).

/// What print() needs to lay out a value the way dtrace(1M) does: each type's name and
/// shape (members at their byte offsets, element counts, enumerator names).
public indirect enum PrintType: Sendable, Equatable {
    case integer(name: String, size: Int, signed: Bool, isCharacter: Bool)
    case pointer(name: String)
    case string
    case array(name: String, element: PrintType, count: Int, elementSize: Int)
    case composite(name: String, members: [PrintMember])
    case enumeration(name: String, size: Int, enumerators: [PrintEnumerator])
    case other(name: String, size: Int)

    public var name: String {
        switch self {
        case .integer(let name, _, _, _), .pointer(let name), .array(let name, _, _, _), .composite(let name, _),
             .enumeration(let name, _, _), .other(let name, _): return name
        case .string: return "string"
        }
    }
}
