// DTraceELF/ELFObject: one x86-64 ELF64 file — an executable or a shared object — as its
// headers describe it: the file type, machine, entry point, its loadable segments
// (PT_LOAD), the program interpreter (PT_INTERP), the sections by name, and the
// translation between the addresses the file is linked at and offsets in the file
// (uprobes are placed at file offsets). Loading reads only the headers; the symbols,
// USDT notes and dynamic section are read when asked for (FunctionSymbols, USDTProbes,
// DynamicSection). Every read goes through ByteReader over bytes actually read, and
// every count is capped, so a truncated or hostile file is an error or less data,
// never a trap or a hang.

import DTraceSystem

/// e_type: what kind of object the file is.
public enum ELFFileType: Equatable, Hashable, Sendable {
    /// ET_REL: an object file (.o), not loadable.
    case relocatable
    /// ET_EXEC: an executable linked at fixed addresses.
    case executable
    /// ET_DYN: a shared object, or a position-independent executable.
    case sharedObject
    /// ET_CORE: a core dump.
    case core
    case other(UInt16)

    init(_ value: UInt16) {
        switch value {
        case 1: self = .relocatable
        case 2: self = .executable
        case 3: self = .sharedObject
        case 4: self = .core
        default: self = .other(value)
        }
    }
}

/// A PT_LOAD segment: file bytes [fileOffset, fileOffset + fileSize) are loaded at
/// [address, address + fileSize); the rest up to memorySize is zero-filled (.bss).
public struct ELFSegment: Equatable, Hashable, Sendable {
    public var fileOffset: UInt64
    public var fileSize: UInt64
    public var address: UInt64
    public var memorySize: UInt64
    public var isReadable: Bool
    public var isWritable: Bool
    public var isExecutable: Bool

    public init(fileOffset: UInt64, fileSize: UInt64, address: UInt64, memorySize: UInt64,
                isReadable: Bool = true, isWritable: Bool = false, isExecutable: Bool = false) {
        self.fileOffset = fileOffset
        self.fileSize = fileSize
        self.address = address
        self.memorySize = memorySize
        self.isReadable = isReadable
        self.isWritable = isWritable
        self.isExecutable = isExecutable
    }

    /// Whether `address` lies in the part of the segment that comes from the file.
    public func containsFileBacked(address candidate: UInt64) -> Bool {
        candidate >= address && candidate - address < fileSize
    }

    /// Whether the byte at `offset` of the file is loaded by this segment.
    public func contains(fileOffset candidate: UInt64) -> Bool {
        candidate >= fileOffset && candidate - fileOffset < fileSize
    }
}

/// A section header, with its name from the section-name string table.
public struct ELFSection: Equatable, Hashable, Sendable {
    public var name: String
    /// sh_type: SHT_PROGBITS 1, SHT_SYMTAB 2, SHT_STRTAB 3, SHT_DYNAMIC 6, SHT_NOTE 7,
    /// SHT_NOBITS 8, SHT_DYNSYM 11...
    public var type: UInt32
    public var flags: UInt64
    public var address: UInt64
    public var fileOffset: UInt64
    public var size: UInt64
    public var link: UInt32
    public var info: UInt32
    public var entrySize: UInt64
}

/// A program header of any type (PT_LOAD, PT_DYNAMIC, PT_INTERP...).
struct ELFProgramHeader: Equatable, Sendable {
    var type: UInt32
    var flags: UInt32
    var fileOffset: UInt64
    var address: UInt64
    var fileSize: UInt64
    var memorySize: UInt64

    static let load: UInt32 = 1, dynamic: UInt32 = 2, interpreter: UInt32 = 3
}

public struct ELFObject: Sendable {
    /// The path the file was loaded from; nil for bytes parsed in memory.
    public let path: String?
    public let fileType: ELFFileType
    /// e_machine: 62 (EM_X86_64) for every object `load` accepts.
    public let machine: UInt16
    public let entryPoint: UInt64
    /// PT_LOAD segments, in the order of the program header table.
    public let loadSegments: [ELFSegment]
    /// PT_INTERP's path (the dynamic linker an executable asks for), or nil.
    public let interpreter: String?
    /// Every section header (empty when the file has none, or they cannot be read).
    public let sections: [ELFSection]
    let programHeaders: [ELFProgramHeader]
    let bytes: ELFBytes

    static let machineX86_64: UInt16 = 62

    /// Caps on what the headers may claim.
    static let programHeaderLimit = 65_536
    static let sectionLimit = 1 << 20
    static let nameLimit = 4096

    /// A position-independent object (ET_DYN: a shared library or a PIE executable),
    /// loaded at an address of the dynamic linker's choosing.
    public var isPositionIndependent: Bool { fileType == .sharedObject }

    // MARK: loading

    /// The x86-64 ELF64 object at `path`, or why it is not one.
    public static func load(path: String) -> Result<ELFObject, ELFLoadError> {
        load(path: path, requireX86_64: true)
    }

    /// An x86-64 ELF64 object in memory (tests; bytes already read).
    public static func parse(bytes: [UInt8]) -> Result<ELFObject, ELFLoadError> {
        parse(ELFBytes(bytes: bytes), path: nil, requireX86_64: true)
    }

    static func load(path: String, requireX86_64: Bool) -> Result<ELFObject, ELFLoadError> {
        switch RandomAccessFile.open(path: path) {
        case .failure(let error): return .failure(ELFLoadError(error))
        case .success(let file):
            guard file.isRegularFile else { return .failure(.notARegularFile) }
            return parse(ELFBytes(file: file), path: path, requireX86_64: requireX86_64)
        }
    }

    static func parse(_ bytes: ELFBytes, path: String?, requireX86_64: Bool) -> Result<ELFObject, ELFLoadError> {
        guard let identity = bytes.read(offset: 0, count: 64), identity.count >= 4,
              identity[0] == 0x7f, identity[1] == UInt8(ascii: "E"), identity[2] == UInt8(ascii: "L"), identity[3] == UInt8(ascii: "F") else {
            return .failure(.notELF)
        }
        guard identity.count >= 6 else { return .failure(.malformed("truncated ELF identification")) }
        switch identity[4] {
        case 2: break
        case 1: return .failure(.is32Bit)
        default: return .failure(.malformed("unknown ELF class \(identity[4])"))
        }
        switch identity[5] {
        case 1: break
        case 2: return .failure(.bigEndian)
        default: return .failure(.malformed("unknown data encoding \(identity[5])"))
        }
        guard identity.count == 64 else { return .failure(.malformed("truncated ELF header (\(identity.count) of 64 bytes)")) }
        let header = ByteReader(identity, .littleEndian)
        guard let type = header.uint16(at: 16), let machine = header.uint16(at: 18), let entry = header.uint64(at: 24),
              let programOffset = header.uint64(at: 32), let sectionOffset = header.uint64(at: 40),
              let programEntrySize = header.uint16(at: 54), let programCountField = header.uint16(at: 56),
              let sectionEntrySize = header.uint16(at: 58), let sectionCountField = header.uint16(at: 60),
              let sectionNamesField = header.uint16(at: 62) else {
            return .failure(.malformed("truncated ELF header"))
        }
        if requireX86_64, machine != machineX86_64 { return .failure(.notX86_64(machine: machine)) }

        // Section 0 holds the real counts when they do not fit the header's 16 bits.
        let firstSection = sectionEntrySize >= 64 && sectionOffset != 0
            ? bytes.readExactly(offset: sectionOffset, count: 64).map { ByteReader($0, .littleEndian) } : nil
        var programCount = Int(programCountField)
        if programCountField == 0xffff /* PN_XNUM */, let info = firstSection?.uint32(at: 44) { programCount = Int(info) }
        var sectionCount = Int(sectionCountField)
        if sectionCountField == 0, let size = firstSection?.uint64(at: 32) { sectionCount = Int(min(size, UInt64(sectionLimit) + 1)) }
        var sectionNamesIndex = Int(sectionNamesField)
        if sectionNamesField == 0xffff /* SHN_XINDEX */, let link = firstSection?.uint32(at: 40) { sectionNamesIndex = Int(link) }

        // Program headers: required to be whole, since segments are what uprobes need.
        var programHeaders: [ELFProgramHeader] = []
        if programCount > 0 {
            guard programCount <= programHeaderLimit else { return .failure(.malformed("\(programCount) program headers")) }
            guard programEntrySize >= 56 else { return .failure(.malformed("program header entries of \(programEntrySize) bytes")) }
            let tableSize = UInt64(programCount) * UInt64(programEntrySize)
            guard let table = bytes.readExactly(offset: programOffset, count: tableSize) else {
                return .failure(.malformed("truncated program header table"))
            }
            let reader = ByteReader(table, .littleEndian)
            for index in 0..<programCount {
                let base = index * Int(programEntrySize)
                guard let type = reader.uint32(at: base), let flags = reader.uint32(at: base + 4),
                      let offset = reader.uint64(at: base + 8), let address = reader.uint64(at: base + 16),
                      let fileSize = reader.uint64(at: base + 32), let memorySize = reader.uint64(at: base + 40) else { break }
                programHeaders.append(ELFProgramHeader(type: type, flags: flags, fileOffset: offset, address: address, fileSize: fileSize, memorySize: memorySize))
            }
        }
        let loadSegments = programHeaders.filter { $0.type == ELFProgramHeader.load }.map {
            ELFSegment(fileOffset: $0.fileOffset, fileSize: $0.fileSize, address: $0.address, memorySize: $0.memorySize,
                       isReadable: $0.flags & 4 != 0, isWritable: $0.flags & 2 != 0, isExecutable: $0.flags & 1 != 0)
        }
        let interpreter = programHeaders.first { $0.type == ELFProgramHeader.interpreter }.flatMap { header -> String? in
            guard let text = bytes.read(offset: header.fileOffset, count: min(header.fileSize, UInt64(nameLimit))) else { return nil }
            return ByteReader(text, .littleEndian).string(at: 0).flatMap { $0.isEmpty ? nil : $0 }
        }

        let sections = readSections(bytes, offset: sectionOffset, entrySize: Int(sectionEntrySize), count: sectionCount, namesIndex: sectionNamesIndex)
        return .success(ELFObject(path: path, fileType: ELFFileType(type), machine: machine, entryPoint: entry, loadSegments: loadSegments,
                                  interpreter: interpreter, sections: sections, programHeaders: programHeaders, bytes: bytes))
    }

    /// The section headers, named. Lenient: a file without them (or with a table cut
    /// short) has fewer; only whole entries are kept.
    static func readSections(_ bytes: ELFBytes, offset: UInt64, entrySize: Int, count: Int, namesIndex: Int) -> [ELFSection] {
        guard entrySize >= 64, count > 0, count <= sectionLimit, offset != 0,
              let table = bytes.read(offset: offset, count: UInt64(count) * UInt64(entrySize)) else { return [] }
        let reader = ByteReader(table, .littleEndian)
        var sections: [ELFSection] = []
        var nameOffsets: [Int] = []
        for index in 0..<min(count, table.count / entrySize) {
            let base = index * entrySize
            guard let nameOffset = reader.uint32(at: base), let type = reader.uint32(at: base + 4), let flags = reader.uint64(at: base + 8),
                  let address = reader.uint64(at: base + 16), let fileOffset = reader.uint64(at: base + 24), let size = reader.uint64(at: base + 32),
                  let link = reader.uint32(at: base + 40), let info = reader.uint32(at: base + 44), let tableEntrySize = reader.uint64(at: base + 56) else { break }
            sections.append(ELFSection(name: "", type: type, flags: flags, address: address, fileOffset: fileOffset, size: size, link: link, info: info, entrySize: tableEntrySize))
            nameOffsets.append(Int(nameOffset))
        }
        if namesIndex > 0, namesIndex < sections.count, sections[namesIndex].type == 3 /* SHT_STRTAB */,
           let names = bytes.read(offset: sections[namesIndex].fileOffset, count: min(sections[namesIndex].size, 16 << 20)) {
            let nameReader = ByteReader(names, .littleEndian)
            for index in sections.indices {
                sections[index].name = nameReader.string(at: nameOffsets[index], limit: nameLimit) ?? ""
            }
        }
        return sections
    }

    // MARK: questions

    /// The first section called `name` (".note.stapsdt", ".dynsym"...), or nil.
    public func section(named name: String) -> ELFSection? {
        sections.first { $0.name == name }
    }

    /// The file offset of the byte loaded at `address` (an address as linked), through the
    /// PT_LOAD segment whose file-backed part contains it; nil when none does (.bss, or
    /// not loaded at all). Uprobes and USDT semaphores are given as file offsets.
    public func fileOffset(ofAddress address: UInt64) -> UInt64? {
        for segment in loadSegments where segment.containsFileBacked(address: address) {
            return segment.fileOffset &+ (address - segment.address)
        }
        return nil
    }

    /// The address (as linked) the byte at `fileOffset` is loaded at, or nil.
    public func address(ofFileOffset fileOffset: UInt64) -> UInt64? {
        for segment in loadSegments where segment.contains(fileOffset: fileOffset) {
            return segment.address &+ (fileOffset - segment.fileOffset)
        }
        return nil
    }

    /// How far this object was moved from its link-time addresses when a process mapped
    /// file offset `fileOffset` at `mappingStart` (/proc/PID/maps): mapped address minus
    /// linked address; 0 for a fixed-address executable. Mappings start on a page
    /// boundary at or below the segment's first byte, so the segment whose page-aligned
    /// file range holds the offset is the one mapped. nil when no segment loads it.
    public func loadBias(mappingStart: UInt64, fileOffset: UInt64, pageSize: UInt64 = 4096) -> UInt64? {
        let pageMask = ~(pageSize &- 1)
        let candidates = loadSegments.filter { segment in
            let mappedStart = segment.fileOffset & pageMask
            guard fileOffset >= mappedStart else { return false }
            let (mappedLength, overflow) = (segment.fileOffset - mappedStart).addingReportingOverflow(segment.fileSize)
            return overflow || fileOffset - mappedStart < mappedLength
        }
        guard let segment = candidates.first(where: \.isExecutable) ?? candidates.first else { return nil }
        let linkedAddress = segment.address &- segment.fileOffset &+ fileOffset
        return mappingStart &- linkedAddress
    }

    /// Up to `count` bytes of the file at `offset`, or nil (used by the readers of
    /// symbols, notes and the dynamic section; capped by ELFBytes.readLimit).
    func readFile(offset: UInt64, count: UInt64) -> [UInt8]? {
        bytes.read(offset: offset, count: count)
    }

    /// The bytes of a section (up to `limit`), or nil when SHT_NOBITS or unreadable.
    func contents(of section: ELFSection, limit: UInt64 = UInt64(ELFBytes.readLimit)) -> [UInt8]? {
        guard section.type != 8 /* SHT_NOBITS */, section.size <= limit else { return nil }
        return bytes.read(offset: section.fileOffset, count: section.size)
    }
}
