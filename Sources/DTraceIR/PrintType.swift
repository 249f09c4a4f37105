// DTraceIR/PrintType: what print() needs to lay out the bytes a pointer points to the way
// Oracle's DTrace does (its walk over the CTF type): each type's name as CTF writes it,
// its size, its shape (members at their bit offsets, element counts, enumerator names) and
// the encodings that walk depends on.

/// The type print() lays out, as Oracle's DTrace walks it.
public indirect enum PrintType: Sendable, Equatable {
    /// An integer read from `size` bytes (a bit-field: the bytes that hold it), `bits`
    /// wide; `isCharacter`: shown as a character ('c'), as the type char itself is.
    case integer(name: String, size: Int, bits: Int, signed: Bool, isCharacter: Bool)
    case pointer(name: String)
    case array(name: String, element: PrintType, count: Int, elementSize: Int, elements: PrintElementEncoding)
    case composite(name: String, size: Int, members: [PrintMember])
    case enumeration(name: String, size: Int, enumerators: [PrintEnumerator])
    /// What the walk does not show (floating point): only its size counts.
    case unshown(name: String, size: Int)
    /// Deeper than the walk goes: never read (the walk stops before it).
    case beyondDepth

    /// The levels the walk goes down: a value this deep is "..." (the top level is 0).
    public static let depthLimit = 10

    /// The name as CTF writes it ("struct foo", "char [5]", "char *[2]", "uint64_t").
    public var name: String {
        switch self {
        case .integer(let name, _, _, _, _), .pointer(let name), .array(let name, _, _, _, _), .composite(let name, _, _),
             .enumeration(let name, _, _), .unshown(let name, _): return name
        case .beyondDepth: return ""
        }
    }

    /// The bytes the type takes (the bytes the walk compares with zero).
    public var size: Int {
        switch self {
        case .integer(_, let size, _, _, _), .composite(_, let size, _), .enumeration(_, let size, _), .unshown(_, let size): return size
        case .pointer: return 8
        case .array(_, _, let count, let elementSize, _): return count * elementSize
        case .beyondDepth: return 0
        }
    }
}

/// How the walk reads an array's elements: CTF has an encoding only for integer, floating
/// point and enum types that are not typedefs; without one the walk stops at the array.
/// Elements of 8-bit integers other than _Bool are characters: the elements end at a NUL.
public enum PrintElementEncoding: Sendable, Equatable {
    case none, characters, other
}

/// A member of a struct or union; `bitOffset` counts from the start of its struct or union.
/// Anonymous members (a kernel structure's unnamed structs and unions) have the name "".
public struct PrintMember: Sendable, Equatable {
    public var name: String
    public var type: PrintType
    public var bitOffset: Int
    public init(name: String, type: PrintType, bitOffset: Int) { self.name = name; self.type = type; self.bitOffset = bitOffset }
}

public struct PrintEnumerator: Sendable, Equatable {
    public var name: String
    public var value: Int64
    public init(name: String, value: Int64) { self.name = name; self.value = value }
}
