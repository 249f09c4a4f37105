// DTraceBPF/BTF: a reader of BPF Type Format blobs, such as the kernel's own
// (/sys/kernel/btf/vmlinux): its header, strings and a struct's members by name, which
// is how dtrace learns kernel layouts (task_struct, thread_info) without headers; the
// whole type graph is read in BTFTypes.
// Every read goes through the bounds-checked ByteReader; a truncated or hostile blob is
// an error, never a trap.

import DTraceSystem

public enum BTFError: Error, Equatable, CustomStringConvertible {
    case truncated(offset: Int)
    case badMagic
    case unknownKind(Int, offset: Int)

    public var description: String {
        switch self {
        case .truncated(let offset): return "BTF data ends early (at byte \(offset))"
        case .badMagic: return "not BTF data (no 0xeb9f magic)"
        case .unknownKind(let kind, let offset): return "BTF type kind \(kind) at byte \(offset) is unknown"
        }
    }
}

public struct BTFMember: Equatable, Sendable {
    public var name: String
    public var type: UInt32
    /// Offset from the struct's start, in bits.
    public var bitOffset: Int
    public init(name: String, type: UInt32, bitOffset: Int) { self.name = name; self.type = type; self.bitOffset = bitOffset }
}

/// Memory holding a BTF blob (a mapping of the kernel's, or a copy) kept alive with it.
public final class BTFStorage: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let release: () -> Void

    public init(bytes: UnsafeRawBufferPointer, release: @escaping () -> Void) { self.bytes = bytes; self.release = release }

    /// A copy of bytes in memory (tests, or a kernel that cannot map its BTF).
    public convenience init(copying array: [UInt8]) {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(array.count, 1), alignment: 8)
        memory.copyBytes(from: array)
        self.init(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(memory)[0..<array.count]), release: { memory.deallocate() })
    }

    deinit { release() }
}

public struct BTF {
    let storage: BTFStorage
    /// The blob, little-endian (the byte order of the x86-64 kernels dtrace runs on).
    let blob: ByteReader<UnsafeRawBufferPointer>
    let typesStart: Int, typesEnd: Int
    /// The string section alone, so that a string ends at the section's end.
    let strings: ByteReader<Slice<UnsafeRawBufferPointer>>
    /// Each type's offset by ID, filled on first use (BTFTypes).
    let index = BTFTypeIndex()

    public init(_ array: [UInt8]) throws(BTFError) { try self.init(storage: BTFStorage(copying: array)) }

    public init(storage: BTFStorage) throws(BTFError) {
        self.storage = storage
        let blob = ByteReader(storage.bytes, .littleEndian)
        self.blob = blob
        guard blob.count >= 24 else { throw .truncated(offset: blob.count) }
        guard blob.uint16(at: 0) == 0xeb9f else { throw .badMagic }
        guard let header = blob.uint32(at: 4).map(Int.init), let typesOffset = blob.uint32(at: 8), let typesLength = blob.uint32(at: 12),
              let stringsOffset = blob.uint32(at: 16), let stringsLength = blob.uint32(at: 20) else { throw .truncated(offset: 4) }
        guard header >= 24, header <= blob.count else { throw .truncated(offset: 4) }
        typesStart = header + Int(typesOffset)
        typesEnd = typesStart + Int(typesLength)
        let stringsStart = header + Int(stringsOffset), stringsEnd = stringsStart + Int(stringsLength)
        guard typesStart <= typesEnd, typesEnd <= blob.count, stringsStart <= stringsEnd, stringsEnd <= blob.count else {
            throw .truncated(offset: max(typesEnd, stringsEnd))
        }
        strings = ByteReader(storage.bytes[stringsStart..<stringsEnd], .littleEndian)
    }

    /// The 32-bit word at byte `offset` of the blob.
    func word(_ offset: Int) throws(BTFError) -> UInt32 {
        guard let value = blob.uint32(at: offset) else { throw .truncated(offset: offset) }
        return value
    }

    /// The string at an offset of the string section ("" when out of range).
    public func string(_ offset: UInt32) -> String {
        strings.string(at: Int(offset)) ?? ""
    }

    /// Whether the string at `offset` is exactly `name` (without building a String).
    func stringEquals(_ offset: UInt32, _ name: [UInt8]) -> Bool {
        guard let candidate = strings.bytes(at: Int(offset), count: name.count + 1) else { return false }
        return candidate.last == 0 && candidate.dropLast().elementsEqual(name)
    }

    /// Bytes of kind-specific data after a type's 12-byte header.
    static func extraSize(kind: Int, count: Int, at offset: Int) throws(BTFError) -> Int {
        switch kind {
        case 1: return 4                          // INT
        case 2, 7, 8, 9, 10, 11, 12, 16, 18: return 0 // PTR FWD TYPEDEF VOLATILE CONST RESTRICT FUNC FLOAT TYPE_TAG
        case 3: return 12                         // ARRAY
        case 4, 5: return 12 * count              // STRUCT UNION
        case 6: return 8 * count                  // ENUM
        case 13: return 8 * count                 // FUNC_PROTO
        case 14: return 4                         // VAR
        case 15: return 12 * count                // DATASEC
        case 17: return 4                         // DECL_TAG
        case 19: return 12 * count                // ENUM64
        default: throw .unknownKind(kind, offset: offset)
        }
    }

    /// The members of the first struct (or union) named `name`, or nil.
    public func members(ofStruct name: String) throws(BTFError) -> [BTFMember]? {
        let wanted = Array(name.utf8)
        var offset = typesStart
        while offset < typesEnd {
            guard offset + 12 <= typesEnd else { throw .truncated(offset: offset) }
            let info = try word(offset + 4)
            let kind = Int(info >> 24 & 0x1f), count = Int(info & 0xffff)
            let extra = try Self.extraSize(kind: kind, count: count, at: offset)
            guard offset + 12 + extra <= typesEnd else { throw .truncated(offset: offset) }
            if kind == 4 || kind == 5, stringEquals(try word(offset), wanted) {
                let bitfields = info >> 31 != 0
                var members: [BTFMember] = []
                for index in 0..<count {
                    let member = offset + 12 + 12 * index
                    let raw = Int(try word(member + 8))
                    members.append(BTFMember(name: string(try word(member)), type: try word(member + 4), bitOffset: bitfields ? raw & 0xffffff : raw))
                }
                return members
            }
            offset += 12 + extra
        }
        return nil
    }

    /// The byte offset of `member` in struct `name`, or nil.
    public func offset(of member: String, in name: String) throws(BTFError) -> Int? {
        guard let members = try members(ofStruct: name), let found = members.first(where: { $0.name == member }) else { return nil }
        return found.bitOffset / 8
    }
}
