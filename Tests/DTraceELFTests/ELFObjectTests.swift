// DTraceELFTests/ELFObjectTests: loading — the reasons a file is refused (missing, a
// directory, not ELF, 32-bit, big-endian, another machine, cut short), the facts of real
// files (/usr/bin/ls: a PIE with an interpreter; python3.11: a fixed-address executable;
// libc: a shared object) and of the synthetic object, and address <-> file offset.

@testable import DTraceELF
import DTraceSystem
import Testing

@Suite struct ELFObjectTests {
    /// An ELF header of `count` bytes with the given class, data encoding and machine.
    static func header(elfClass: UInt8 = 2, encoding: UInt8 = 1, machine: UInt16 = 62, count: Int = 64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[0] = 0x7f; bytes[1] = UInt8(ascii: "E"); bytes[2] = UInt8(ascii: "L"); bytes[3] = UInt8(ascii: "F")
        bytes[4] = elfClass; bytes[5] = encoding; bytes[6] = 1
        LittleEndian.put(2, at: 16, size: 2, in: &bytes)
        LittleEndian.put(UInt64(machine), at: 18, size: 2, in: &bytes)
        return Array(bytes.prefix(count))
    }

    @Test func refusalsSayWhy() {
        #expect(ELFObject.parse(bytes: Self.header(elfClass: 1)) == .failure(.is32Bit))
        #expect(ELFLoadError.is32Bit.description == "is a 32-bit ELF file")
        #expect(ELFObject.parse(bytes: Self.header(encoding: 2)) == .failure(.bigEndian))
        #expect(ELFObject.parse(bytes: Self.header(machine: 183)) == .failure(.notX86_64(machine: 183)))
        #expect(ELFObject.parse(bytes: Array("#!/bin/sh\necho hello\n".utf8)) == .failure(.notELF))
        #expect(ELFObject.parse(bytes: []) == .failure(.notELF))
        #expect(ELFObject.parse(bytes: [0x7f, 0x45]) == .failure(.notELF))
        guard case .failure(.malformed(let what)) = ELFObject.parse(bytes: Self.header(count: 40)) else {
            Issue.record("a 40-byte header is not refused as malformed"); return
        }
        #expect(what.contains("truncated ELF header"))
        guard case .failure(.malformed) = ELFObject.parse(bytes: Self.header(elfClass: 7)) else { Issue.record("class 7 accepted"); return }

        #expect(ELFObject.load(path: "/nonexistent/dtrace-elf-test") == .failure(.cannotOpen(reason: "No such file or directory")))
        #expect(ELFObject.load(path: "/nonexistent/x").failureDescription == "cannot open: No such file or directory")
        #expect(ELFObject.load(path: "/") == .failure(.notARegularFile))
        #expect(ELFObject.load(path: "/proc/self/status") == .failure(.notARegularFile) || ELFObject.load(path: "/proc/self/status") == .failure(.notELF))
    }

    @Test func programHeadersCutShortAreMalformed() throws {
        let image = SyntheticELF.bytes()
        // The header promises four program headers; give it the first one and a half.
        let cut = Array(image.prefix(64 + 56 + 28))
        guard case .failure(.malformed(let what)) = ELFObject.parse(bytes: cut) else {
            Issue.record("truncated program headers accepted"); return
        }
        #expect(what == "truncated program header table")
    }

    @Test func syntheticObjectFacts() throws {
        let object = try ELFObject.parse(bytes: SyntheticELF.bytes()).get()
        #expect(object.fileType == .sharedObject)
        #expect(object.isPositionIndependent)
        #expect(object.machine == 62)
        #expect(object.interpreter == SyntheticELF.interpreter)
        #expect(object.loadSegments.count == 2)
        #expect(object.loadSegments.map(\.isExecutable) == [true, false])
        #expect(object.loadSegments.map(\.isWritable) == [false, true])
        let probes = try #require(object.section(named: ".probes"))
        #expect(probes.address == probes.fileOffset + SyntheticELF.dataDelta)
        #expect(object.fileOffset(ofAddress: probes.address) == probes.fileOffset)
        #expect(object.address(ofFileOffset: probes.fileOffset + 4) == probes.address + 4)
        // Past the data segment's file bytes (its .bss) there is no file offset.
        let data = object.loadSegments[1]
        #expect(object.fileOffset(ofAddress: data.address + data.fileSize) == nil)
        #expect(object.fileOffset(ofAddress: data.address + data.fileSize - 1) == data.fileOffset + data.fileSize - 1)
        #expect(object.fileOffset(ofAddress: 0xffff_ffff_ffff_ff00) == nil)
        #expect(object.path == nil)
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.ls))) func lsIsAPositionIndependentExecutable() throws {
        try Fixture.require(Fixture.ls)
        let ls = try ELFObject.load(path: Fixture.ls).get()
        #expect(ls.fileType == .sharedObject && ls.isPositionIndependent)
        #expect(ls.interpreter == "/lib64/ld-linux-x86-64.so.2")
        #expect(ls.entryPoint != 0)
        #expect(ls.loadSegments.contains { $0.isExecutable })
        // The entry point lies in the executable segment and maps to a file offset there.
        let text = try #require(ls.loadSegments.first { $0.isExecutable })
        let entryOffset = try #require(ls.fileOffset(ofAddress: ls.entryPoint))
        #expect(text.contains(fileOffset: entryOffset))
        #expect(ls.address(ofFileOffset: entryOffset) == ls.entryPoint)
        #expect(ls.path == Fixture.ls)
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.python))) func pythonIsAFixedAddressExecutable() throws {
        try Fixture.require(Fixture.python)
        let python = try ELFObject.load(path: Fixture.python).get()
        #expect(python.fileType == .executable)
        #expect(!python.isPositionIndependent)
        #expect(python.loadSegments.first?.address ?? 0 >= 0x400000)
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.libc))) func libcIsASharedObject() throws {
        try Fixture.require(Fixture.libc)
        let libc = try ELFObject.load(path: Fixture.libc).get()
        #expect(libc.fileType == .sharedObject)
        #expect(libc.soname == "libc.so.6")
        #expect(libc.neededLibraries == ["ld-linux-x86-64.so.2"])
        #expect(libc.section(named: ".dynsym") != nil)
    }
}

extension Result {
    var failureDescription: String? {
        if case .failure(let error) = self { return "\(error)" }
        return nil
    }
}

extension Result where Success == ELFObject, Failure == ELFLoadError {
    /// Objects compare by path and header facts (enough for the refusal tests).
    static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.failure(let x), .failure(let y)): return x == y
        case (.success(let x), .success(let y)): return x.path == y.path && x.loadSegments == y.loadSegments
        default: return false
        }
    }
}
