// DTraceELF/ELFSymbolTable: the entries of an object's symbol tables — .symtab (every
// symbol, removed by strip) and .dynsym (the exported ones, always kept) — with their
// names from the linked string table, and a lookup of a symbol's address by name (USDT
// arguments written as `sym(%rip)`). Tables and strings are read whole up to
// ELFBytes.readLimit, names up to 4096 bytes; a table whose string table is missing or
// of the wrong type gives no entries.

import DTraceSystem

/// One Elf64_Sym, named.
struct ELFSymbolEntry: Equatable, Sendable {
    var name: String
    var value: UInt64
    var size: UInt64
    /// STT_*: 0 NOTYPE, 1 OBJECT, 2 FUNC, 3 SECTION, 4 FILE, 6 TLS, 10 GNU_IFUNC.
    var type: UInt8
    /// STB_*: 0 LOCAL, 1 GLOBAL, 2 WEAK, 10 GNU_UNIQUE.
    var binding: UInt8
    /// st_shndx: 0 (SHN_UNDEF) for a symbol defined elsewhere.
    var sectionIndex: UInt16

    var isDefined: Bool { sectionIndex != 0 }

    static let typeObject: UInt8 = 1, typeFunction: UInt8 = 2, typeSection: UInt8 = 3, typeFile: UInt8 = 4
    static let typeTLS: UInt8 = 6, typeIndirectFunction: UInt8 = 10
}

/// Which symbol table.
enum ELFSymbolTableKind: UInt32 {
    case symtab = 2   // SHT_SYMTAB
    case dynsym = 11  // SHT_DYNSYM
}

extension ELFObject {
    /// At most this many symbols are taken from one table.
    static let symbolLimit = 1 << 22

    /// The entries of the first table of `kind` (entry 0, the null symbol, and entries
    /// without a name left out); nil when the object has no such table.
    func symbolEntries(_ kind: ELFSymbolTableKind) -> [ELFSymbolEntry]? {
        guard let table = sections.first(where: { $0.type == kind.rawValue }) else { return nil }
        guard Int(table.link) < sections.count, case let strings = sections[Int(table.link)], strings.type == 3 /* SHT_STRTAB */,
              let symbolBytes = contents(of: table), let stringBytes = contents(of: strings) else { return [] }
        let entrySize = table.entrySize >= 24 && table.entrySize <= 4096 ? Int(table.entrySize) : 24
        let reader = ByteReader(symbolBytes, .littleEndian), names = ByteReader(stringBytes, .littleEndian)
        var entries: [ELFSymbolEntry] = []
        var offset = entrySize   // entry 0 is the null symbol
        while offset + 24 <= symbolBytes.count, entries.count < ELFObject.symbolLimit {
            defer { offset += entrySize }
            guard let nameOffset = reader.uint32(at: offset), let info = reader.uint8(at: offset + 4),
                  let sectionIndex = reader.uint16(at: offset + 6), let value = reader.uint64(at: offset + 8),
                  let size = reader.uint64(at: offset + 16) else { break }
            guard nameOffset != 0, let name = names.string(at: Int(nameOffset), limit: ELFObject.nameLimit), !name.isEmpty else { continue }
            entries.append(ELFSymbolEntry(name: name, value: value, size: size, type: info & 0xf, binding: info >> 4, sectionIndex: sectionIndex))
        }
        return entries
    }

    /// Addresses of the defined data and code symbols (not sections or files) by name,
    /// from .symtab then .dynsym; of several symbols with one name, a global one first,
    /// then the first seen.
    func symbolAddresses() -> [String: UInt64] {
        var globals: [String: UInt64] = [:], locals: [String: UInt64] = [:]
        for entry in (symbolEntries(.symtab) ?? []) + (symbolEntries(.dynsym) ?? []) where entry.isDefined {
            guard entry.type != ELFSymbolEntry.typeSection, entry.type != ELFSymbolEntry.typeFile, entry.type != ELFSymbolEntry.typeTLS else { continue }
            let name = ELFSymbolEntry.unversioned(entry.name)
            if entry.binding == 0 {
                if locals[name] == nil { locals[name] = entry.value }
            } else if globals[name] == nil {
                globals[name] = entry.value
            }
        }
        return globals.merging(locals) { global, _ in global }
    }

    /// The address (as linked) of the defined symbol `name` (a global one before a local
    /// one), or nil. Reads the tables on each call.
    public func symbolAddress(named name: String) -> UInt64? {
        symbolAddresses()[name]
    }
}

extension ELFSymbolEntry {
    /// A symbol's name without a version suffix ("memcpy@@GLIBC_2.14" -> "memcpy"); a name
    /// that starts with "@" is kept whole.
    static func unversioned(_ name: String) -> String {
        guard let at = name.firstIndex(of: "@"), at != name.startIndex else { return name }
        return String(name[..<at])
    }
}
