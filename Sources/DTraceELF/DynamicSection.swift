// DTraceELF/DynamicSection: what an object's dynamic section tells the dynamic linker
// about its dependencies — the libraries it needs (DT_NEEDED, in order), its own name
// (DT_SONAME), and where to look (DT_RUNPATH, or the older DT_RPATH, with $ORIGIN
// expanded to the object's directory). Read from PT_DYNAMIC (or the SHT_DYNAMIC section),
// names from DT_STRTAB through the segments (or .dynstr); at most 65,536 entries.

import DTraceSystem

public struct DynamicSection: Equatable, Sendable {
    /// DT_NEEDED, in the order written (the order the linker loads them).
    public var neededLibraries: [String] = []
    public var soname: String?
    /// DT_RUNPATH as written (colon-separated, $ORIGIN not expanded); nil when absent.
    public var runPathText: String?
    /// DT_RPATH as written; the linker ignores it when DT_RUNPATH is present.
    public var rPathText: String?

    public init(neededLibraries: [String] = [], soname: String? = nil, runPathText: String? = nil, rPathText: String? = nil) {
        self.neededLibraries = neededLibraries
        self.soname = soname
        self.runPathText = runPathText
        self.rPathText = rPathText
    }

    /// DT_RUNPATH's directories with $ORIGIN / ${ORIGIN} replaced by `origin` (the
    /// directory of the object); entries naming $ORIGIN are left out when it is unknown.
    public func runPath(origin: String?) -> [String] { Self.directories(runPathText, origin: origin) }

    /// DT_RPATH's directories, expanded as `runPath(origin:)`.
    public func rPath(origin: String?) -> [String] { Self.directories(rPathText, origin: origin) }

    static func directories(_ text: String?, origin: String?) -> [String] {
        guard let text else { return [] }
        return text.split(separator: ":").compactMap { entry -> String? in
            let expanded = String(entry).replacing("${ORIGIN}", with: "$ORIGIN")
            guard expanded.contains("$ORIGIN") else { return expanded }
            guard let origin else { return nil }
            return expanded.replacing("$ORIGIN", with: origin)
        }
    }

    static let entryLimit = 65_536
    static let tagNull: Int64 = 0, tagNeeded: Int64 = 1, tagStringTable: Int64 = 5, tagStringTableSize: Int64 = 10
    static let tagSoname: Int64 = 14, tagRPath: Int64 = 15, tagRunPath: Int64 = 29
}

extension ELFObject {
    /// The object's dynamic section (empty for a static executable). Read from the file
    /// on each use.
    public var dynamic: DynamicSection {
        let table: [UInt8]?
        if let header = programHeaders.first(where: { $0.type == ELFProgramHeader.dynamic }) {
            table = readFile(offset: header.fileOffset, count: min(header.fileSize, UInt64(DynamicSection.entryLimit * 16)))
        } else if let section = sections.first(where: { $0.type == 6 /* SHT_DYNAMIC */ }) {
            table = contents(of: section, limit: UInt64(DynamicSection.entryLimit * 16))
        } else {
            table = nil
        }
        guard let table else { return DynamicSection() }
        let reader = ByteReader(table, .littleEndian)
        var entries: [(tag: Int64, value: UInt64)] = []
        var offset = 0
        while let tag = reader.int64(at: offset), let value = reader.uint64(at: offset + 8), tag != DynamicSection.tagNull {
            entries.append((tag, value))
            offset += 16
        }
        // The strings: DT_STRTAB's address through the segments, else the .dynstr section.
        var strings: [UInt8]?
        if let address = entries.first(where: { $0.tag == DynamicSection.tagStringTable })?.value,
           let size = entries.first(where: { $0.tag == DynamicSection.tagStringTableSize })?.value,
           let start = fileOffset(ofAddress: address) {
            strings = readFile(offset: start, count: min(size, 16 << 20))
        }
        if strings == nil, let section = section(named: ".dynstr") { strings = contents(of: section, limit: 16 << 20) }
        let names = ByteReader(strings ?? [], .littleEndian)
        func name(_ value: UInt64) -> String? {
            guard value < UInt64(names.count) else { return nil }
            return names.string(at: Int(value), limit: 4096)
        }
        var result = DynamicSection()
        for (tag, value) in entries {
            switch tag {
            case DynamicSection.tagNeeded: if let needed = name(value), !needed.isEmpty { result.neededLibraries.append(needed) }
            case DynamicSection.tagSoname: result.soname = result.soname ?? name(value)
            case DynamicSection.tagRunPath: result.runPathText = result.runPathText ?? name(value)
            case DynamicSection.tagRPath: result.rPathText = result.rPathText ?? name(value)
            default: break
            }
        }
        return result
    }

    /// DT_NEEDED, in order.
    public var neededLibraries: [String] { dynamic.neededLibraries }

    /// DT_SONAME, or nil.
    public var soname: String? { dynamic.soname }

    /// Where the linker looks for this object's dependencies that the object itself
    /// names: DT_RUNPATH's directories, or DT_RPATH's when there is no DT_RUNPATH, with
    /// $ORIGIN expanded to this file's directory.
    public var runPath: [String] {
        let dynamic = dynamic
        let origin = path.map(ELFModuleName.directory(of:))
        return dynamic.runPathText != nil ? dynamic.runPath(origin: origin) : dynamic.rPath(origin: origin)
    }
}
