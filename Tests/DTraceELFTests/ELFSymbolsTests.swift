// DTraceELFTests/ELFSymbolsTests: the consumer's address-to-name view of an ELF file
// (ELFSymbols) on a small image built here (lookups, aliases, segments) and on every
// truncation and corruption of it (never a trap).

@testable import DTraceELF
import Foundation
import Testing

/// A minimal ELF64 little-endian shared object: one PT_LOAD segment (file offset 0x0 at
/// address 0x400000 for 0x3000 bytes), a .symtab and its .strtab.
enum ELFImage {
    struct SymbolSpec { var name: String; var value: UInt64; var size: UInt64; var type: UInt8; var binding: UInt8; var section: UInt16 = 1 }

    static let symbols: [SymbolSpec] = [
        SymbolSpec(name: "alpha", value: 0x401000, size: 0x20, type: 2, binding: 2),
        SymbolSpec(name: "__alpha", value: 0x401000, size: 0x20, type: 2, binding: 1),
        SymbolSpec(name: "alpha_local", value: 0x401000, size: 0x20, type: 2, binding: 0),
        SymbolSpec(name: "beta", value: 0x401020, size: 0x10, type: 2, binding: 0),
        SymbolSpec(name: "table", value: 0x402000, size: 0x100, type: 1, binding: 1),
        SymbolSpec(name: "undefined", value: 0x401100, size: 8, type: 2, binding: 1, section: 0),
        SymbolSpec(name: "section_symbol", value: 0x401200, size: 8, type: 3, binding: 0),
    ]

    static func bytes() -> [UInt8] {
        var data = [UInt8](repeating: 0, count: 64)
        func put(_ value: UInt64, at offset: Int, size: Int, in buffer: inout [UInt8]) {
            for index in 0..<size { buffer[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        // Strings, symbols, program header, section headers, in that order after the header.
        var strings: [UInt8] = [0]
        var symbolTable = [UInt8](repeating: 0, count: 24)   // entry 0 is null
        for symbol in symbols {
            var entry = [UInt8](repeating: 0, count: 24)
            put(UInt64(strings.count), at: 0, size: 4, in: &entry)
            entry[4] = symbol.binding << 4 | symbol.type
            put(UInt64(symbol.section), at: 6, size: 2, in: &entry)
            put(symbol.value, at: 8, size: 8, in: &entry)
            put(symbol.size, at: 16, size: 8, in: &entry)
            symbolTable += entry
            strings += Array(symbol.name.utf8) + [0]
        }
        let stringsOffset = 64, symbolsOffset = stringsOffset + strings.count
        let programOffset = (symbolsOffset + symbolTable.count + 7) & ~7
        let sectionOffset = programOffset + 56
        data += strings + symbolTable
        data += [UInt8](repeating: 0, count: programOffset - data.count)
        var program = [UInt8](repeating: 0, count: 56)
        put(1, at: 0, size: 4, in: &program)          // PT_LOAD
        put(0, at: 8, size: 8, in: &program)          // p_offset
        put(0x400000, at: 16, size: 8, in: &program)  // p_vaddr
        put(0x3000, at: 32, size: 8, in: &program)    // p_filesz
        data += program
        func section(type: UInt32, offset: Int, size: Int, link: UInt32, entrySize: Int) -> [UInt8] {
            var header = [UInt8](repeating: 0, count: 64)
            put(UInt64(type), at: 4, size: 4, in: &header)
            put(UInt64(offset), at: 24, size: 8, in: &header)
            put(UInt64(size), at: 32, size: 8, in: &header)
            put(UInt64(link), at: 40, size: 4, in: &header)
            put(UInt64(entrySize), at: 56, size: 8, in: &header)
            return header
        }
        data += [UInt8](repeating: 0, count: 64)       // section 0
        data += section(type: 2, offset: symbolsOffset, size: symbolTable.count, link: 2, entrySize: 24)
        data += section(type: 3, offset: stringsOffset, size: strings.count, link: 0, entrySize: 0)
        data[0] = 0x7f; data[1] = UInt8(ascii: "E"); data[2] = UInt8(ascii: "L"); data[3] = UInt8(ascii: "F")
        data[4] = 2; data[5] = 1; data[6] = 1
        put(3, at: 16, size: 2, in: &data)             // ET_DYN
        put(62, at: 18, size: 2, in: &data)            // x86-64
        put(UInt64(programOffset), at: 32, size: 8, in: &data)
        put(UInt64(sectionOffset), at: 40, size: 8, in: &data)
        put(64, at: 52, size: 2, in: &data)
        put(56, at: 54, size: 2, in: &data)
        put(1, at: 56, size: 2, in: &data)
        put(64, at: 58, size: 2, in: &data)
        put(3, at: 60, size: 2, in: &data)
        return data
    }
}

@Suite struct ELFSymbolsTests {
    @Test func symbolsOfAnImage() throws {
        let file = try #require(ELFSymbols.parse(bytes: ELFImage.bytes()))
        // Undefined and section symbols are not kept; of the names at one address a weak
        // one beats a local one, and fewer leading underscores beat more.
        #expect(file.symbols.map(\.name) == ["alpha", "__alpha", "alpha_local", "beta", "table"])
        #expect(file.symbol(covering: 0x401000)?.name == "alpha")
        #expect(file.symbol(covering: 0x40101f)?.name == "alpha")
        #expect(file.symbol(covering: 0x401020)?.name == "beta")
        #expect(file.symbol(covering: 0x40102f)?.name == "beta")
        #expect(file.symbol(covering: 0x401030) == nil)
        #expect(file.symbol(covering: 0x4020ff)?.name == "table")
        #expect(file.symbol(covering: 0x3fffff) == nil)
        #expect(file.address(ofFileOffset: 0x1005) == 0x401005)
        #expect(file.address(ofFileOffset: 0x3000) == nil)
    }

    @Test func truncatedAndCorruptImagesNeverTrap() {
        let image = ELFImage.bytes()
        for length in 0..<image.count {
            let symbols = ELFSymbols.parse(bytes: Array(image.prefix(length)))
            #expect(symbols == nil || symbols!.symbols.count <= ELFImage.symbols.count)
        }
        // Every byte of the headers and tables set to 0xff in turn: huge counts, offsets
        // and sizes, out-of-range links and string offsets.
        for position in 0..<image.count {
            var corrupt = image
            corrupt[position] = 0xff
            if let symbols = ELFSymbols.parse(bytes: corrupt) {
                for symbol in symbols.symbols { _ = symbols.symbol(covering: symbol.address &+ symbol.size &- 1) }
            }
        }
        #expect(ELFSymbols.parse(bytes: Array("not an ELF file at all, just text padding out sixty-four bytes....".utf8)) == nil)
        #expect(ELFSymbols.load(path: "/nonexistent/file") == nil)
        #expect(ELFSymbols.load(path: "/proc/self/status") == nil)
    }

    /// A stripped library's static functions are named from its build-id debug file:
    /// libc's own build ID (as readelf -n shows it) names the file, whose .symtab has
    /// __libc_start_call_main, which libc's .dynsym lacks. A directory without the file,
    /// or with another object's, leaves the .dynsym names.
    @Test func strippedLibraryNamedFromItsDebugFile() throws {
        guard Fixture.shouldRun(Fixture.libc) else { return }
        let libc = try ELFObject.load(path: Fixture.libc).get()
        let identifier = try #require(libc.buildID)
        #expect(identifier.count == 20)
        let path = try #require(ELFObject.debugFilePath(buildID: identifier))
        let hex = identifier.map { String(format: "%02x", $0) }.joined()
        #expect(path == "/usr/lib/debug/.build-id/\(hex.prefix(2))/\(hex.dropFirst(2)).debug")
        #expect(ELFObject.debugFilePath(buildID: [1]) == nil)
        let plain = try #require(ELFSymbols.load(path: Fixture.libc, debugDirectory: nil))
        #expect(!plain.symbols.contains { $0.name == "__libc_start_call_main" })
        #expect(ELFSymbols.load(path: Fixture.libc, debugDirectory: "/nonexistent")?.symbols.count == plain.symbols.count)
        guard libc.debugFile() != nil || Fixture.isCI else { return }
        let named = try #require(ELFSymbols.load(path: Fixture.libc))
        let start = try #require(named.symbols.first { $0.name == "__libc_start_call_main" })
        #expect(named.symbol(covering: start.address + 1)?.name == "__libc_start_call_main")
        #expect(named.segments == plain.segments)
    }

}
