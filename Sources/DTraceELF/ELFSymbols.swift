// DTraceConsumer/ELFSymbols: the function and object symbols of an ELF64 little-endian
// file (an executable or a shared library), with its loadable segments, so that a
// file offset can be turned into the address its symbols are written in. Only the parts
// needed are read (headers, section headers, the symbol table and its strings), each
// through a bounds-checked reader: a truncated, hostile or foreign file gives nil or
// fewer symbols, never a trap, and is read with pread so a file changing under us
// cannot fault a mapping.

import DTraceSystem

/// ELF64's field types, read (little-endian) at offsets of the bytes read; nil past their end.
fileprivate extension ByteReader {
    func half(_ offset: Int) -> Int? { uint16(at: offset).map(Int.init) }
    func word(_ offset: Int) -> Int? { uint32(at: offset).map(Int.init) }
    /// An Elf64_Off or Elf64_Xword that must fit a file offset or size (below 2^48), else nil.
    func fileOffset(_ offset: Int) -> Int? { uint64(at: offset).flatMap { $0 < 1 << 48 ? Int($0) : nil } }
}

public struct ELFSymbols: Sendable {
    public struct Symbol: Sendable, Equatable {
        public var address: UInt64
        public var size: UInt64
        public var name: String
    }

    /// A PT_LOAD segment: file bytes [fileOffset, fileOffset + fileSize) are at `address`.
    public struct Segment: Sendable, Equatable {
        public var fileOffset: UInt64
        public var fileSize: UInt64
        public var address: UInt64
    }

    /// Sorted by address; among symbols at one address, the preferred name first (Candidate).
    public let symbols: [Symbol]
    public let segments: [Segment]

    /// At most this many bytes of symbols and strings are read from one file.
    static let tableLimit = 256 << 20

    /// The symbols of the file at `path`; nil when it cannot be read or is not ELF64 LE.
    public static func load(path: String) -> ELFSymbols? {
        guard let file = RandomAccessFile(path: path) else { return nil }
        return parse { offset, count in count <= tableLimit ? file.read(offset: offset, count: count) : nil }
    }

    /// The symbols of an ELF image in memory (tests, and any bytes already read).
    public static func parse(bytes: [UInt8]) -> ELFSymbols? {
        parse { offset, count in
            guard offset >= 0, count >= 0, offset <= bytes.count else { return nil }
            return Array(bytes[offset..<min(bytes.count, offset + min(count, bytes.count - offset))])
        }
    }

    static func parse(read: (Int, Int) -> [UInt8]?) -> ELFSymbols? {
        guard let identity = read(0, 64), identity.count == 64,
              identity[0] == 0x7f, identity[1] == UInt8(ascii: "E"), identity[2] == UInt8(ascii: "L"), identity[3] == UInt8(ascii: "F"),
              identity[4] == 2 /* ELFCLASS64 */, identity[5] == 1 /* ELFDATA2LSB */ else { return nil }
        let header = ByteReader(identity, .littleEndian)
        guard let programOffset = header.fileOffset(32), let sectionOffset = header.fileOffset(40),
              let programEntrySize = header.half(54), let programCount = header.half(56),
              let sectionEntrySize = header.half(58), let sectionCount = header.half(60) else { return nil }

        var segments: [Segment] = []
        if programEntrySize >= 56, programCount > 0, let table = read(programOffset, programEntrySize * programCount) {
            let reader = ByteReader(table, .littleEndian)
            for index in 0..<programCount {
                let base = index * programEntrySize
                guard reader.word(base) == 1 /* PT_LOAD */, let offset = reader.uint64(at: base + 8), let address = reader.uint64(at: base + 16),
                      let size = reader.uint64(at: base + 32) else { continue }
                segments.append(Segment(fileOffset: offset, fileSize: size, address: address))
            }
        }

        guard sectionEntrySize >= 64, sectionCount > 0, let sectionBytes = read(sectionOffset, sectionEntrySize * sectionCount) else {
            return ELFSymbols(symbols: [], segments: segments)
        }
        let sections = ByteReader(sectionBytes, .littleEndian)
        func section(_ index: Int) -> (type: Int, offset: Int, size: Int, link: Int, entrySize: Int)? {
            let base = index * sectionEntrySize
            guard index >= 0, index < sectionCount, let type = sections.word(base + 4), let offset = sections.fileOffset(base + 24),
                  let size = sections.fileOffset(base + 32), let link = sections.word(base + 40), let entrySize = sections.fileOffset(base + 56) else { return nil }
            return (type, offset, size, link, entrySize)
        }
        // .symtab (type 2) names everything; a stripped file keeps .dynsym (type 11).
        let tables = (0..<sectionCount).compactMap { section($0) }.filter { $0.type == 2 || $0.type == 11 }
        guard let table = tables.first(where: { $0.type == 2 }) ?? tables.first,
              table.size <= tableLimit, let strings = section(table.link), strings.type == 3 /* SHT_STRTAB */, strings.size <= tableLimit,
              let symbolBytes = read(table.offset, table.size), let stringBytes = read(strings.offset, strings.size) else {
            return ELFSymbols(symbols: [], segments: segments)
        }
        let entrySize = max(24, table.entrySize)
        let reader = ByteReader(symbolBytes, .littleEndian), names = ByteReader(stringBytes, .littleEndian)
        var found: [Candidate] = []
        var index = 0
        while index + 24 <= symbolBytes.count {
            defer { index += entrySize }
            guard let nameOffset = reader.word(index), let info = reader.uint8(at: index + 4),
                  let sectionIndex = reader.half(index + 6), let value = reader.uint64(at: index + 8), let size = reader.uint64(at: index + 16) else { break }
            let type = info & 0xf, binding = info >> 4
            // Functions, objects and GNU indirect functions, defined, with a name.
            guard type == 1 || type == 2 || type == 10, sectionIndex != 0, value != 0, nameOffset != 0,
                  let name = names.string(at: nameOffset, limit: 4096), !name.isEmpty else { continue }
            found.append(Candidate(symbol: Symbol(address: value, size: size, name: name), isFunction: type != 1, isLocal: binding == 0))
        }
        found.sort(by: Candidate.precedes)
        return ELFSymbols(symbols: found.map(\.symbol), segments: segments)
    }

    /// A symbol read, with what decides which of several names at one address is shown.
    struct Candidate {
        var symbol: Symbol
        var isFunction: Bool
        var isLocal: Bool

        /// By address; at one address the name a debugger shows first: a function before
        /// an object, a global or weak name before a local one, a name not starting with
        /// "$", fewer leading underscores, the smaller symbol, then by name.
        static func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
            if a.symbol.address != b.symbol.address { return a.symbol.address < b.symbol.address }
            if a.isFunction != b.isFunction { return a.isFunction }
            if a.isLocal != b.isLocal { return !a.isLocal }
            let aDollar = a.symbol.name.hasPrefix("$"), bDollar = b.symbol.name.hasPrefix("$")
            if aDollar != bDollar { return bDollar }
            let aUnderscores = a.symbol.name.prefix { $0 == "_" }.count, bUnderscores = b.symbol.name.prefix { $0 == "_" }.count
            if aUnderscores != bUnderscores { return aUnderscores < bUnderscores }
            if a.symbol.size != b.symbol.size { return a.symbol.size < b.symbol.size }
            return a.symbol.name < b.symbol.name
        }
    }

    /// The address a byte at `fileOffset` of the file is loaded at (its segment's), or nil.
    public func address(ofFileOffset fileOffset: UInt64) -> UInt64? {
        for segment in segments where fileOffset >= segment.fileOffset && fileOffset - segment.fileOffset < segment.fileSize {
            return segment.address &+ (fileOffset - segment.fileOffset)
        }
        return nil
    }

    /// The symbol covering `address` (an address in the file's own terms), or nil.
    public func symbol(covering address: UInt64) -> Symbol? {
        var low = 0, high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        // Symbols may nest or overlap: look back a little for one whose extent covers it.
        var candidate = low - 1
        while candidate >= 0, low - candidate <= 16 {
            let symbol = symbols[candidate]
            if address - symbol.address < max(symbol.size, 1) {
                // The first of the symbols at that address (the preferred name).
                var first = candidate
                while first > 0, symbols[first - 1].address == symbol.address { first -= 1 }
                return symbols[first]
            }
            candidate -= 1
        }
        return nil
    }
}
