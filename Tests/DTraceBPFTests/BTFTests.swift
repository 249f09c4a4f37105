// DTraceBPFTests/BTFTests: the BTF reader on a blob built here (a struct with two
// members, one a bitfield), on truncated, garbled and random blobs (errors, never a
// trap), and on this kernel's own BTF where it has one.

import DTraceBPF
import DTraceSystem
import Glibc
import Testing

enum BTFBlob {
    static func word(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }

    /// int; struct pair { int first; int second:3 (bit 35) }  (kind_flag bitfield encoding)
    static var pair: [UInt8] {
        let strings = Array("\0int\0pair\0first\0second\0".utf8)   // 0, 1, 5, 10, 16
        var types: [UInt8] = []
        types += word(1) + word(1 << 24) + word(4) + word(0x0100_0020)                 // 1: int
        types += word(5) + word(4 << 24 | 1 << 31 | 2) + word(8)                      // 2: struct pair, 2 members, bitfields
        types += word(10) + word(1) + word(0)                                          //    first @ bit 0
        types += word(16) + word(1) + word(3 << 24 | 35)                               //    second @ bit 35, 3 bits
        var blob: [UInt8] = [0x9f, 0xeb, 1, 0] + word(24) + word(0) + word(UInt32(types.count))
        blob += word(UInt32(types.count)) + word(UInt32(strings.count))
        return blob + types + strings
    }
}

@Suite struct BTFTests {
    @Test func findsStructMembers() throws {
        let btf = try BTF(BTFBlob.pair)
        let members = try #require(try btf.members(ofStruct: "pair"))
        #expect(members == [BTFMember(name: "first", type: 1, bitOffset: 0), BTFMember(name: "second", type: 1, bitOffset: 35)])
        #expect(try btf.offset(of: "second", in: "pair") == 4)
        #expect(try btf.offset(of: "third", in: "pair") == nil)
        #expect(try btf.members(ofStruct: "int") == nil)
        #expect(try btf.members(ofStruct: "pai") == nil)
    }

    @Test func badInputIsAnError() {
        #expect(throws: BTFError.badMagic) { try BTF([0, 0] + Array(BTFBlob.pair.dropFirst(2))) }
        #expect(throws: BTFError.self) { try BTF(Array(BTFBlob.pair.prefix(20))) }
        #expect(throws: BTFError.self) { try BTF(Array(BTFBlob.pair.prefix(40))) }
        var unknown = BTFBlob.pair
        unknown[24 + 7] = 30   // kind 30 in the first type's info
        #expect(throws: BTFError.unknownKind(30, offset: 24)) { try BTF(unknown).members(ofStruct: "pair") }
    }

    /// Mutated and truncated copies of the blob, from a fixed seed so that a failure is found again.
    @Test func randomBlobsNeverTrap() {
        var generator = SeededRandom(seed: 0xB7F_B10B)
        let original = BTFBlob.pair
        for round in 0..<5000 {
            var bytes = original
            for _ in 0..<(1 + round % 6) { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            if round % 3 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator))) }
            _ = try? BTF(bytes).members(ofStruct: "pair")
        }
    }

    @Test func thisKernelsTaskLayout() throws {
        guard access("/sys/kernel/btf/vmlinux", R_OK) == 0 else { return }
        let file = try #require(fopen("/sys/kernel/btf/vmlinux", "rb"))
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        let btf = try BTF(bytes)
        #expect(try btf.offset(of: "thread_info", in: "task_struct") == 0)
        #expect(try btf.offset(of: "status", in: "thread_info") != nil)
    }
}
