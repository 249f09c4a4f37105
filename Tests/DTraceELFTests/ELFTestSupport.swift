// DTraceELFTests/ELFTestSupport: what the tests share — the system files they read (and,
// under CI=true, a clear failure naming the Debian package when one is missing instead
// of a silent pass), little-endian byte builders, and a synthetic x86-64 shared object
// built in memory with every part the module reads: PT_INTERP, two PT_LOAD segments at
// different address deltas, a dynamic section, .dynsym and .symtab (a versioned name, an
// indirect function, a local and an undefined symbol), USDT notes written as if before a
// prelink move, a semaphore in .probes, and a note of another owner.

@testable import DTraceELF
import DTraceSystem
import Glibc
import Testing

enum Fixture {
    static let isCI = ProcessEnvironment.value("CI") == "true"

    static let libc = "/lib/x86_64-linux-gnu/libc.so.6"
    static let ls = "/usr/bin/ls"
    static let python = "/usr/bin/python3.11"
    static let postgres = "/usr/lib/postgresql/15/bin/postgres"

    /// Which Debian package installs each file the tests need.
    static let packages = [libc: "libc6", ls: "coreutils", python: "python3.11", postgres: "postgresql-15"]

    /// Whether a test that needs `path` should run: when the file is there, and always
    /// under CI=true (where `require` then fails it, naming the package).
    static func shouldRun(_ path: String) -> Bool { SystemFiles.exists(path) || isCI }

    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) is missing" }
    }

    /// Fails the test, saying which package to install, when `path` does not exist.
    static func require(_ path: String) throws {
        guard !SystemFiles.exists(path) else { return }
        Issue.record("\(path) is missing: install the Debian package \(packages[path] ?? "that provides it") (this test never passes without it under CI=true)")
        throw Missing(path: path)
    }

    /// A new directory under /tmp (the caller removes it).
    static func makeTemporaryDirectory(_ prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        return try #require(made, "mkdtemp failed")
    }

    /// The whole file (tests only read files of a few megabytes).
    static func contents(_ path: String) throws -> [UInt8] {
        let file = try #require(RandomAccessFile(path: path), "cannot open \(path)")
        let size = try #require(file.size)
        return try #require(file.read(offset: 0, count: size))
    }
}

/// Little-endian encoding into byte arrays.
struct LittleEndian {
    var bytes: [UInt8] = []
    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { append(UInt64(value), 2) }
    mutating func u32(_ value: UInt32) { append(UInt64(value), 4) }
    mutating func u64(_ value: UInt64) { append(value, 8) }
    mutating func string(_ text: String) { bytes += Array(text.utf8) + [0] }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }
    mutating func append(_ value: UInt64, _ size: Int) {
        for index in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }
    static func put(_ value: UInt64, at offset: Int, size: Int, in buffer: inout [UInt8]) {
        for index in 0..<size { buffer[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }
}

/// A string table built as names are added.
struct StringTable {
    var bytes: [UInt8] = [0]
    var offsets: [String: UInt32] = [:]
    mutating func offset(_ name: String) -> UInt32 {
        if let known = offsets[name] { return known }
        let offset = UInt32(bytes.count)
        bytes += Array(name.utf8) + [0]
        offsets[name] = offset
        return offset
    }
}

/// The synthetic shared object. Segment 0 (read + execute) loads file offsets at the same
/// addresses; segment 1 (read + write) loads them 0x1000 higher, as a linker lays out data.
enum SyntheticELF {
    static let dataDelta: UInt64 = 0x1000
    /// What the notes were written with: every address 0x100 lower than where the sections are.
    static let prelinkShift: UInt64 = 0x100
    static let interpreter = "/lib64/ld-linux-x86-64.so.2"
    static let needed = ["libfoo.so.1", "libc.so.6"]
    static let soname = "libsynth.so.1"
    static let runPath = "$ORIGIN/../lib:/opt/synth/lib"

    struct Layout {
        var textOffset = 0, baseOffset = 0, probesOffset = 0, dynamicOffset = 0
        var textAddress: UInt64 { UInt64(textOffset) }
        var baseAddress: UInt64 { UInt64(baseOffset) }
        var probesAddress: UInt64 { UInt64(probesOffset) + SyntheticELF.dataDelta }
        var counterAddress: UInt64 { probesAddress + 8 }
    }

    struct Symbol { var name: String; var value: UInt64; var size: UInt64; var type: UInt8; var binding: UInt8 = 1; var section: UInt16 = 4 }

    static func symbols(_ layout: Layout, dynamic: Bool) -> [Symbol] {
        let text = layout.textAddress
        if dynamic {
            return [Symbol(name: "alpha", value: text, size: 16, type: 2),
                    Symbol(name: "delta", value: text + 48, size: 8, type: 2),
                    Symbol(name: "imported", value: 0, size: 0, type: 2, section: 0)]
        }
        return [Symbol(name: "alpha", value: text, size: 16, type: 2),
                Symbol(name: "beta@@SYNTH_1.0", value: text + 16, size: 16, type: 2),
                Symbol(name: "gamma", value: text + 32, size: 8, type: 10),
                Symbol(name: "local_fn", value: text + 40, size: 8, type: 2, binding: 0),
                Symbol(name: "undefined_fn", value: 0, size: 0, type: 2, section: 0),
                Symbol(name: "counter", value: layout.counterAddress, size: 8, type: 1, section: 7),
                Symbol(name: "in_bss", value: layout.probesAddress + 0x800, size: 8, type: 2, section: 7)]
    }

    static func symbolTable(_ symbols: [Symbol], strings: inout StringTable) -> [UInt8] {
        var table = LittleEndian(bytes: [UInt8](repeating: 0, count: 24))
        for symbol in symbols {
            table.u32(strings.offset(symbol.name))
            table.u8(symbol.binding << 4 | symbol.type)
            table.u8(0)
            table.u16(symbol.section)
            table.u64(symbol.value)
            table.u64(symbol.size)
        }
        return table.bytes
    }

    static func note(owner: String, type: UInt32, description: [UInt8]) -> [UInt8] {
        var note = LittleEndian()
        note.u32(UInt32(owner.utf8.count + 1))
        note.u32(UInt32(description.count))
        note.u32(type)
        note.string(owner)
        note.pad(to: 4)
        note.bytes += description
        note.pad(to: 4)
        return note.bytes
    }

    static func probeNote(pc: UInt64, base: UInt64, semaphore: UInt64, provider: String, name: String, arguments: String) -> [UInt8] {
        var description = LittleEndian()
        description.u64(pc)
        description.u64(base)
        description.u64(semaphore)
        description.string(provider)
        description.string(name)
        description.string(arguments)
        return note(owner: "stapsdt", type: 3, description: description.bytes)
    }

    static func notes(_ layout: Layout) -> [UInt8] {
        let shift = prelinkShift
        return probeNote(pc: layout.textAddress + 4 - shift, base: layout.baseAddress - shift, semaphore: layout.probesAddress - shift,
                         provider: "synth", name: "start", arguments: "-4@%edi 8@counter+8(%rip) 4@$7 8@missing(%rip)")
            + note(owner: "GNU", type: 3, description: [1, 2, 3, 4])
            + probeNote(pc: layout.textAddress + 20 - shift, base: layout.baseAddress - shift, semaphore: 0,
                        provider: "synth", name: "done", arguments: "")
    }

    /// Builds the image: header, program headers, then sections in file order.
    static func bytes() -> [UInt8] {
        // Section contents whose sizes do not depend on addresses, laid out first.
        var dynamicStrings = StringTable()
        for symbol in symbols(Layout(), dynamic: true) { _ = dynamicStrings.offset(symbol.name) }
        let neededOffsets = needed.map { dynamicStrings.offset($0) }
        let sonameOffset = dynamicStrings.offset(soname), runPathOffset = dynamicStrings.offset(runPath)
        var staticStrings = StringTable()
        let programHeaderCount = 4
        var layout = Layout()
        var sectionNames = StringTable()
        struct Section { var name: String; var type: UInt32; var flags: UInt64; var offset: Int; var size: Int; var address: UInt64; var link: UInt32; var entrySize: UInt64 }
        var sections: [Section] = []
        var file = LittleEndian(bytes: [UInt8](repeating: 0, count: 64 + 56 * programHeaderCount))
        func add(_ name: String, type: UInt32, flags: UInt64 = 0, contents: [UInt8], delta: UInt64? = nil, link: UInt32 = 0, entrySize: UInt64 = 0, align: Int = 8) {
            file.pad(to: align)
            let offset = file.bytes.count
            file.bytes += contents
            sections.append(Section(name: name, type: type, flags: flags, offset: offset, size: contents.count,
                                    address: delta.map { UInt64(offset) + $0 } ?? 0, link: link, entrySize: entrySize))
        }
        // Offsets are fixed by sizes alone, so a first pass with placeholder contents finds them.
        let dynamicSize = 16 * (needed.count + 5)
        let dynamicSymbolsSize = 24 * 4, textSize = 64
        for _ in 0..<2 {
            file = LittleEndian(bytes: [UInt8](repeating: 0, count: 64 + 56 * programHeaderCount))
            sections = [Section(name: "", type: 0, flags: 0, offset: 0, size: 0, address: 0, link: 0, entrySize: 0)]
            var interp = LittleEndian(); interp.string(interpreter)
            add(".interp", type: 1, flags: 2, contents: interp.bytes, delta: 0, align: 1)                      // 1
            add(".dynstr", type: 3, flags: 2, contents: dynamicStrings.bytes, delta: 0, align: 1)              // 2
            let dynsym = symbolTable(symbols(layout, dynamic: true), strings: &dynamicStrings)
            precondition(dynsym.count == dynamicSymbolsSize)
            add(".dynsym", type: 11, flags: 2, contents: dynsym, delta: 0, link: 2, entrySize: 24)          // 3
            layout.textOffset = { file.pad(to: 16); return file.bytes.count }()
            add(".text", type: 1, flags: 6, contents: (0..<textSize).map { UInt8($0) }, delta: 0, align: 16)  // 4
            layout.baseOffset = file.bytes.count
            add(".stapsdt.base", type: 1, flags: 2, contents: [0], delta: 0, align: 1)                        // 5
            // Segment 1 starts on a fresh page so its delta can differ.
            file.bytes += [UInt8](repeating: 0, count: 4096 - file.bytes.count % 4096)
            layout.dynamicOffset = file.bytes.count
            var dynamic = LittleEndian()
            for offset in neededOffsets { dynamic.u64(1); dynamic.u64(UInt64(offset)) }
            dynamic.u64(14); dynamic.u64(UInt64(sonameOffset))
            dynamic.u64(29); dynamic.u64(UInt64(runPathOffset))
            dynamic.u64(5); dynamic.u64(sections[2].address)
            dynamic.u64(10); dynamic.u64(UInt64(dynamicStrings.bytes.count))
            dynamic.u64(0); dynamic.u64(0)
            precondition(dynamic.bytes.count == dynamicSize)
            add(".dynamic", type: 6, flags: 3, contents: dynamic.bytes, delta: dataDelta, link: 2, entrySize: 16) // 6
            layout.probesOffset = { file.pad(to: 8); return file.bytes.count }()
            add(".probes", type: 1, flags: 3, contents: [UInt8](repeating: 0, count: 16), delta: dataDelta)   // 7
            add(".note.stapsdt", type: 7, contents: notes(layout), align: 4)                                // 8
            staticStrings = StringTable()
            add(".symtab", type: 2, contents: symbolTable(symbols(layout, dynamic: false), strings: &staticStrings), link: 10, entrySize: 24) // 9
            add(".strtab", type: 3, contents: staticStrings.bytes, align: 1)                                 // 10
            for section in sections { _ = sectionNames.offset(section.name) }
            _ = sectionNames.offset(".shstrtab")
            add(".shstrtab", type: 3, contents: sectionNames.bytes, align: 1)                                // 11
        }
        file.pad(to: 8)
        let sectionHeaderOffset = file.bytes.count
        for section in sections {
            file.u32(sectionNames.offset(section.name))
            file.u32(section.type)
            file.u64(section.flags)
            file.u64(section.address)
            file.u64(UInt64(section.offset))
            file.u64(UInt64(section.size))
            file.u32(section.link)
            file.u32(0)
            file.u64(section.type == 3 || section.type == 7 ? 1 : 8)
            file.u64(section.entrySize)
        }
        var data = file.bytes
        // ELF header.
        data[0] = 0x7f; data[1] = UInt8(ascii: "E"); data[2] = UInt8(ascii: "L"); data[3] = UInt8(ascii: "F")
        data[4] = 2; data[5] = 1; data[6] = 1
        LittleEndian.put(3, at: 16, size: 2, in: &data)                        // ET_DYN
        LittleEndian.put(62, at: 18, size: 2, in: &data)                       // EM_X86_64
        LittleEndian.put(1, at: 20, size: 4, in: &data)
        LittleEndian.put(layout.textAddress, at: 24, size: 8, in: &data)      // entry
        LittleEndian.put(64, at: 32, size: 8, in: &data)                       // e_phoff
        LittleEndian.put(UInt64(sectionHeaderOffset), at: 40, size: 8, in: &data)
        LittleEndian.put(64, at: 52, size: 2, in: &data)
        LittleEndian.put(56, at: 54, size: 2, in: &data)
        LittleEndian.put(UInt64(programHeaderCount), at: 56, size: 2, in: &data)
        LittleEndian.put(64, at: 58, size: 2, in: &data)
        LittleEndian.put(UInt64(sections.count), at: 60, size: 2, in: &data)
        LittleEndian.put(UInt64(sections.count - 1), at: 62, size: 2, in: &data)
        // Program headers: PT_INTERP, PT_LOAD (r-x), PT_LOAD (rw-), PT_DYNAMIC.
        func programHeader(_ index: Int, type: UInt32, flags: UInt32, offset: Int, size: Int, address: UInt64, memorySize: Int? = nil) {
            let base = 64 + 56 * index
            LittleEndian.put(UInt64(type), at: base, size: 4, in: &data)
            LittleEndian.put(UInt64(flags), at: base + 4, size: 4, in: &data)
            LittleEndian.put(UInt64(offset), at: base + 8, size: 8, in: &data)
            LittleEndian.put(address, at: base + 16, size: 8, in: &data)
            LittleEndian.put(address, at: base + 24, size: 8, in: &data)
            LittleEndian.put(UInt64(size), at: base + 32, size: 8, in: &data)
            LittleEndian.put(UInt64(memorySize ?? size), at: base + 40, size: 8, in: &data)
        }
        let interpSection = sections[1], dynamicSection = sections[6], probesSection = sections[7]
        programHeader(0, type: 3, flags: 4, offset: interpSection.offset, size: interpSection.size, address: interpSection.address)
        programHeader(1, type: 1, flags: 5, offset: 0, size: layout.dynamicOffset, address: 0)
        let dataEnd = probesSection.offset + probesSection.size
        programHeader(2, type: 1, flags: 6, offset: layout.dynamicOffset, size: dataEnd - layout.dynamicOffset,
                      address: UInt64(layout.dynamicOffset) + dataDelta, memorySize: dataEnd - layout.dynamicOffset + 0x1000)
        programHeader(3, type: 2, flags: 6, offset: dynamicSection.offset, size: dynamicSection.size, address: dynamicSection.address)
        return data
    }
}
