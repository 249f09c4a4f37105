// DTraceELFTests/FunctionSymbolsTests: the functions listed for pid probes — in the
// synthetic object (both tables merged, duplicates once, versions stripped, indirect,
// local, undefined and unloaded symbols) and in libc (malloc with its size, a file
// offset that maps back, its bytes as the file holds them).

@testable import DTraceELF
import DTraceSystem
import Testing

@Suite struct FunctionSymbolsTests {
    @Test func syntheticFunctions() throws {
        let object = try ELFObject.parse(bytes: SyntheticELF.bytes()).get()
        let text = try #require(object.section(named: ".text"))
        let functions = object.functions
        #expect(functions.map(\.name) == ["alpha", "beta", "gamma", "local_fn", "delta"])
        #expect(functions.map(\.address) == [text.address, text.address + 16, text.address + 32, text.address + 40, text.address + 48])
        #expect(functions.map(\.fileOffset) == functions.map(\.address))   // segment 0 loads offsets at equal addresses
        #expect(functions.first { $0.name == "gamma" }?.isIndirect == true)
        #expect(functions.first { $0.name == "local_fn" }?.isLocal == true)
        #expect(functions.first { $0.name == "alpha" }?.size == 16)
        // The bytes of .text are 0, 1, 2, ...: beta's are 16..<32.
        let beta = try #require(functions.first { $0.name == "beta" })
        #expect(object.bytes(ofFunction: beta) == (16..<32).map { UInt8($0) })
        var sizeless = beta
        sizeless.size = 0
        #expect(object.bytes(ofFunction: sizeless) == nil)
        var huge = beta
        huge.size = 1 << 40
        // Bounded by the segment's end, not the claimed size.
        let segment = object.loadSegments[0]
        #expect(object.bytes(ofFunction: huge)?.count == Int(segment.fileSize - (beta.address - segment.address)))
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.libc))) func libcMalloc() throws {
        try Fixture.require(Fixture.libc)
        let libc = try ELFObject.load(path: Fixture.libc).get()
        let functions = libc.functions
        #expect(functions.count > 1000)
        #expect(functions == functions.sorted { $0.address != $1.address ? $0.address < $1.address : $0.name < $1.name })
        #expect(!functions.contains { $0.name.contains("@") })
        #expect(Set(functions.map { "\($0.name)@\($0.address)" }).count == functions.count)
        let malloc = try #require(functions.first { $0.name == "malloc" })
        #expect(malloc.size > 0)
        #expect(libc.address(ofFileOffset: malloc.fileOffset) == malloc.address)
        #expect(libc.fileOffset(ofAddress: malloc.address) == malloc.fileOffset)
        let segment = try #require(libc.loadSegments.first { $0.contains(fileOffset: malloc.fileOffset) })
        #expect(segment.isExecutable)
        let bytes = try #require(libc.bytes(ofFunction: malloc))
        #expect(bytes.count == Int(malloc.size))
        let file = try #require(RandomAccessFile(path: Fixture.libc))
        #expect(file.read(offset: Int(malloc.fileOffset), count: bytes.count) == bytes)
        // memcpy is both an indirect function (the current version) and a plain one.
        #expect(functions.contains { $0.name == "memcpy" && $0.isIndirect })
        #expect(libc.symbolAddress(named: "malloc") == malloc.address)
    }
}
