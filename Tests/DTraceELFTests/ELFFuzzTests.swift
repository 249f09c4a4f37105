// DTraceELFTests/ELFFuzzTests: hostile input never traps or hangs. Real files (/bin/ls,
// libc.so.6, python3.11 with its USDT notes) and the synthetic object get thousands of
// seeded random mutations — bits flipped and bytes and words overwritten in the ELF
// header, program and section header tables, note, dynamic and symbol sections, and
// truncations — and each result is parsed with every API: headers, functions and their
// bytes, USDT probes and their arguments, the dynamic section, symbol lookups, the
// consumer's ELFSymbols, file offsets and load biases. The argument parser gets mutated
// specifications of its own. The seed is fixed (DTRACE_ELF_FUZZ_SEED overrides it), so a
// failure reproduces; DTRACE_ELF_FUZZ_SCALE=N runs N times the rounds, for a longer soak.

@testable import DTraceELF
import DTraceSystem
import Testing

/// A file's bytes with mutations laid over them, read without copying the whole file.
final class MutatedBytes {
    let original: [UInt8]
    var length: Int
    var patches: [Int: UInt8] = [:]

    init(_ original: [UInt8]) {
        self.original = original
        length = original.count
    }

    func read(offset: Int, count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0 else { return nil }
        guard offset < length else { return [] }
        let end = offset + min(count, length - offset)
        var bytes = Array(original[offset..<end])
        for (position, value) in patches where position >= offset && position < end { bytes[position - offset] = value }
        return bytes
    }

    var source: ELFBytes { ELFBytes(size: length, read: { [self] in read(offset: $0, count: $1) }) }
}

@Suite struct ELFFuzzTests {
    static let seed: UInt64 = ProcessEnvironment.value("DTRACE_ELF_FUZZ_SEED").flatMap { UInt64($0) } ?? 0xD72A_CEE1_F0
    /// DTRACE_ELF_FUZZ_SCALE=N runs N times as many rounds (a longer soak than the default few seconds).
    static let scale = max(1, ProcessEnvironment.value("DTRACE_ELF_FUZZ_SCALE").flatMap { Int($0) } ?? 1)

    /// The byte ranges of a file worth mutating: its headers and the sections it reads.
    static func regions(of bytes: [UInt8]) throws -> [Range<Int>] {
        let object = try ELFObject.parse(bytes: bytes).get()
        let header = ByteReader(bytes, .littleEndian)
        var regions: [Range<Int>] = [0..<64]
        if let offset = header.uint64(at: 32), let count = header.uint16(at: 56), count > 0 {
            regions.append(Int(offset)..<Int(offset) + 56 * Int(count))
        }
        if let offset = header.uint64(at: 40), let count = header.uint16(at: 60), count > 0 {
            regions.append(Int(offset)..<Int(offset) + 64 * Int(count))
        }
        for section in object.sections where [".note.stapsdt", ".dynamic", ".dynsym", ".dynstr", ".symtab", ".strtab", ".shstrtab", ".interp", ".stapsdt.base"].contains(section.name) {
            let start = Int(section.fileOffset), end = min(bytes.count, start + Int(min(section.size, 1 << 20)))
            if start < end { regions.append(start..<end) }
        }
        return regions.filter { $0.upperBound <= bytes.count && !$0.isEmpty }
    }

    static let interesting: [UInt64] = [0, 1, 2, 3, 7, 8, 0x10, 0x18, 0x38, 0x40, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0xffff,
                                        0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 1 << 32, 1 << 47, 1 << 48, .max >> 1, .max, .max - 7]

    static func mutate(_ file: MutatedBytes, regions: [Range<Int>], using random: inout SeededRandom) {
        let region = regions.randomElement(using: &random) ?? 0..<file.original.count
        switch Int.random(in: 0..<10, using: &random) {
        case 0...2:   // flip a bit
            let position = Int.random(in: region, using: &random)
            file.patches[position] = (file.patches[position] ?? file.original[position]) ^ (1 << UInt8.random(in: 0..<8, using: &random))
        case 3...4:   // any byte
            file.patches[Int.random(in: region, using: &random)] = UInt8.random(in: 0...255, using: &random)
        case 5...7:   // an interesting value as a 2-, 4- or 8-byte field
            let size = [2, 4, 8].randomElement(using: &random) ?? 8
            let position = Int.random(in: region, using: &random) & ~(size - 1)
            let value = interesting.randomElement(using: &random) ?? 0
            for index in 0..<size where region.contains(position + index) {
                file.patches[position + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
            }
        case 8:       // cut the file inside a region
            file.length = min(file.length, Int.random(in: region, using: &random))
        default:      // a byte anywhere
            file.patches[Int.random(in: 0..<file.original.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
        }
    }

    /// Every API on one (probably broken) object. Returns a count so nothing is optimized away.
    @discardableResult
    static func exercise(_ object: ELFObject, using random: inout SeededRandom) -> Int {
        var touched = object.sections.count + object.loadSegments.count + (object.interpreter?.count ?? 0)
        _ = object.isPositionIndependent
        touched += object.buildID?.count ?? 0
        let functions = object.functions
        touched += functions.count
        for _ in 0..<min(4, functions.count) {
            if let function = functions.randomElement(using: &random) { touched += object.bytes(ofFunction: function)?.count ?? 0 }
        }
        for probe in object.usdtProbes {
            touched += probe.arguments.count + probe.name.count
            for case .success(let argument) in probe.arguments {
                if case .memory(let memory) = argument.operand { _ = memory.staticAddress(probeAddress: probe.address) }
            }
        }
        let dynamic = object.dynamic
        touched += dynamic.neededLibraries.count + object.runPath.count + dynamic.runPath(origin: "/o").count
        _ = object.symbolAddress(named: "malloc")
        let symbols = ELFSymbols(object)
        touched += symbols.symbols.count
        _ = symbols.symbol(covering: object.entryPoint)
        _ = symbols.symbol(covering: UInt64.random(in: 0...UInt64.max, using: &random))
        if let offset = object.fileOffset(ofAddress: object.entryPoint) { _ = object.address(ofFileOffset: offset) }
        _ = object.loadBias(mappingStart: 0x7f00_0000_0000, fileOffset: UInt64.random(in: 0..<0x10_0000, using: &random))
        _ = object.section(named: ".text")
        return touched
    }

    /// `rounds` mutated copies of `bytes`, 1 to 4 mutations each, parsed and exercised.
    static func fuzz(_ bytes: [UInt8], rounds: Int, seed: UInt64) throws -> (parsed: Int, refused: Int) {
        var random = SeededRandom(seed: seed)
        let regions = try regions(of: bytes)
        var parsed = 0, refused = 0
        for _ in 0..<rounds * scale {
            let file = MutatedBytes(bytes)
            for _ in 0..<Int.random(in: 1...4, using: &random) { mutate(file, regions: regions, using: &random) }
            switch ELFObject.parse(file.source, path: nil, requireX86_64: Bool.random(using: &random)) {
            case .success(let object):
                parsed += 1
                exercise(object, using: &random)
            case .failure(let error):
                refused += 1
                _ = error.description
            }
        }
        return (parsed, refused)
    }

    @Test func syntheticObject() throws {
        let result = try Self.fuzz(SyntheticELF.bytes(), rounds: 3000, seed: Self.seed)
        #expect(result.parsed + result.refused == 3000 * Self.scale)
        #expect(result.parsed > 1000 * Self.scale)   // most mutations leave a parseable header
        // Every truncation too.
        let bytes = SyntheticELF.bytes()
        var random = SeededRandom(seed: Self.seed)
        for length in 0...bytes.count {
            if case .success(let object) = ELFObject.parse(bytes: Array(bytes.prefix(length))) { Self.exercise(object, using: &random) }
        }
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.ls))) func ls() throws {
        try Fixture.require(Fixture.ls)
        let result = try Self.fuzz(try Fixture.contents(Fixture.ls), rounds: 1000, seed: Self.seed &+ 1)
        #expect(result.parsed > 0)
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.libc))) func libc() throws {
        try Fixture.require(Fixture.libc)
        let result = try Self.fuzz(try Fixture.contents(Fixture.libc), rounds: 80, seed: Self.seed &+ 2)
        #expect(result.parsed > 0)
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.python))) func python() throws {
        try Fixture.require(Fixture.python)
        let result = try Self.fuzz(try Fixture.contents(Fixture.python), rounds: 80, seed: Self.seed &+ 3)
        #expect(result.parsed > 0)
    }

    @Test func argumentSpecifications() {
        var random = SeededRandom(seed: Self.seed &+ 4)
        let corpus = ["-4@%edi", "8@-8(%rbp)", "4@(%rax,%rdx,8)", "-4@40+CheckpointStats(%rip)", "4@sym-8(%rip)", "8@0x10(%rip)",
                      "-4@$-1", "1@%al", "4@-24(%rbx,%rcx,4)", "8@%r12", "2@12(%r12)", "4@8(,%rdx,2)", "%edi", "$5"]
        let alphabet = Array("%$@()+-,:0123456789abcdefxrsipl. \t".utf8)
        for _ in 0..<20_000 {
            var text = Array((corpus.randomElement(using: &random) ?? "").utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = Int.random(in: 0...text.count, using: &random)
                let byte = alphabet.randomElement(using: &random) ?? 0
                switch Int.random(in: 0..<3, using: &random) {
                case 0: text.insert(byte, at: position)
                case 1: if position < text.count { text.remove(at: position) }
                default: if position < text.count { text[position] = byte }
                }
            }
            let specification = String(decoding: text, as: UTF8.self)
            for result in USDTArgument.parseList(specification) {
                switch result {
                case .success(let argument):
                    #expect([1, 2, 4, 8].contains(argument.size))
                    _ = argument.resolvingSymbol { _ in 0x1000 }
                case .failure(let error): _ = error.description
                }
            }
        }
        // Random bytes, including invalid UTF-8.
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = USDTArgument.parseList(String(decoding: bytes, as: UTF8.self))
        }
    }
}
