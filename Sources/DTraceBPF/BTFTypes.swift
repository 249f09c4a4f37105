// DTraceBPF/BTFTypes: the BTF type graph — each type by its ID (integers, pointers,
// arrays, structs and unions with their members and bitfields, enums, typedefs,
// qualifiers, functions), and a named struct, union, enum or typedef found by name — so
// that D can use the kernel's own types (`struct task_struct *`) without headers. The
// type table is indexed once, on first use; every read stays bounds-checked.

import DTraceSystem

/// One BTF type, as the blob describes it (IDs refer to other types; 0 is void).
public enum BTFType: Equatable, Sendable {
    public struct Member: Equatable, Sendable {
        public var name: String
        public var type: UInt32
        /// From the start of the struct, in bits.
        public var bitOffset: Int
        /// Bits of a bitfield member; 0 for an ordinary member.
        public var bitfieldSize: Int
    }

    case integer(name: String, size: Int, signed: Bool, isChar: Bool, isBool: Bool, bitOffset: Int, bits: Int)
    case pointer(target: UInt32)
    case array(element: UInt32, count: Int)
    case structure(name: String, isUnion: Bool, size: Int, members: [Member])
    case enumeration(name: String, size: Int, signed: Bool, values: [(String, Int64)])
    case forward(name: String, isUnion: Bool)
    case typedef(name: String, target: UInt32)
    /// const, volatile, restrict and type tags: the target's type.
    case qualifier(target: UInt32)
    case functionPrototype
    case function(name: String)
    case float(name: String, size: Int)
    /// Variables, data sections, declaration tags: not types a value can have.
    case other

    public static func == (a: BTFType, b: BTFType) -> Bool { String(describing: a) == String(describing: b) }
}

/// Where each type's record starts in the blob, by ID.
final class BTFTypeIndex: @unchecked Sendable {
    var offsets: [Int] = [0]   // ID 0 is void
}

extension BTF {
    /// The kinds a name lookup can ask for.
    public enum NamedKind: Sendable { case structure, union, enumeration, typedef }

    /// The offsets of every type record, in ID order.
    func typeOffsets() throws(BTFError) -> [Int] {
        if index.offsets.count > 1 || typesStart == typesEnd { return index.offsets }
        var offsets = [0]
        var offset = typesStart
        while offset < typesEnd {
            guard offset + 12 <= typesEnd else { throw .truncated(offset: offset) }
            let info = try word(offset + 4)
            let extra = try Self.extraSize(kind: Int(info >> 24 & 0x1f), count: Int(info & 0xffff), at: offset)
            guard offset + 12 + extra <= typesEnd else { throw .truncated(offset: offset) }
            offsets.append(offset)
            offset += 12 + extra
        }
        index.offsets = offsets
        return offsets
    }

    /// How many types the blob holds (IDs 1...count).
    public func typeCount() throws(BTFError) -> Int { try typeOffsets().count - 1 }

    /// The type with this ID (nil for void or an ID past the table).
    public func type(_ id: UInt32) throws(BTFError) -> BTFType? {
        let offsets = try typeOffsets()
        guard id > 0, Int(id) < offsets.count else { return nil }
        let offset = offsets[Int(id)]
        let name = string(try word(offset))
        let info = try word(offset + 4)
        let kind = Int(info >> 24 & 0x1f), count = Int(info & 0xffff), kindFlag = info >> 31 != 0
        let sizeOrType = try word(offset + 8)
        switch kind {
        case 1:
            let encoding = try word(offset + 12)
            return .integer(name: name, size: Int(sizeOrType), signed: encoding >> 24 & 1 != 0, isChar: encoding >> 24 & 2 != 0,
                            isBool: encoding >> 24 & 4 != 0, bitOffset: Int(encoding >> 16 & 0xff), bits: Int(encoding & 0xff))
        case 2: return .pointer(target: sizeOrType)
        case 3: return .array(element: try word(offset + 12), count: Int(try word(offset + 20)))
        case 4, 5:
            var members: [BTFType.Member] = []
            members.reserveCapacity(count)
            for position in 0..<count {
                let member = offset + 12 + 12 * position
                let raw = Int(try word(member + 8))
                members.append(BTFType.Member(name: string(try word(member)), type: try word(member + 4),
                                              bitOffset: kindFlag ? raw & 0xffffff : raw, bitfieldSize: kindFlag ? raw >> 24 : 0))
            }
            return .structure(name: name, isUnion: kind == 5, size: Int(sizeOrType), members: members)
        case 6, 19:
            var values: [(String, Int64)] = []
            let width = kind == 6 ? 8 : 12
            for position in 0..<count {
                let entry = offset + 12 + width * position
                let low = try word(entry + 4)
                let value: Int64
                if kind == 6 {
                    value = kindFlag ? Int64(Int32(bitPattern: low)) : Int64(low)
                } else {
                    value = Int64(bitPattern: UInt64(try word(entry + 8)) << 32 | UInt64(low))
                }
                values.append((string(try word(entry)), value))
            }
            return .enumeration(name: name, size: Int(sizeOrType), signed: kindFlag, values: values)
        case 7: return .forward(name: name, isUnion: kindFlag)
        case 8: return .typedef(name: name, target: sizeOrType)
        case 9, 10, 11, 18: return .qualifier(target: sizeOrType)
        case 12: return .function(name: name)
        case 13: return .functionPrototype
        case 16: return .float(name: name, size: Int(sizeOrType))
        default: return .other
        }
    }

    /// The ID of the first complete struct, union or enum, or typedef, with this name.
    public func typeID(named name: String, kind: NamedKind) throws(BTFError) -> UInt32? {
        let wanted = Array(name.utf8)
        let offsets = try typeOffsets()
        for id in 1..<max(offsets.count, 1) {
            let offset = offsets[id]
            let info = try word(offset + 4)
            let found = Int(info >> 24 & 0x1f)
            let matches: Bool
            switch kind {
            case .structure: matches = found == 4
            case .union: matches = found == 5
            case .enumeration: matches = found == 6 || found == 19
            case .typedef: matches = found == 8
            }
            if matches, stringEquals(try word(offset), wanted) { return UInt32(id) }
        }
        return nil
    }
}
