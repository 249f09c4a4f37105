// DTraceSystemTests/BPFMapEntriesTests: a hash map's entries read in batches
// (BPF_MAP_LOOKUP_BATCH) — every key once with its value, for plain and per-CPU hashes,
// across several batches, and none from an empty map. Needs root for bpf(2).

import DTraceSystem
import Foundation
import Testing

@Suite(.enabled(if: ProcessInfo.processInfo.environment["CI"] == "true" || geteuid() == 0, "needs root for BPF; runs always under CI=true"))
struct BPFMapEntriesTests {
    static func bytes(_ value: UInt64, _ size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0 % 8))) }
    }

    @Test(arguments: [BPFMapType.hash, BPFMapType.perCPUHash])
    func everyEntryOnceWithItsValue(_ type: BPFMapType) throws {
        let map = try BPFMap(type: type, keySize: 12, valueSize: 8, capacity: 4096, flags: BPFMap.noPreallocation, name: "entries_test")
        #expect(map.entries().isEmpty)
        let count = 1_000   // several batches of 256
        for index in 0..<count {
            let key = Self.bytes(UInt64(index), 8) + [0xaa, 0xbb, 0xcc, 0xdd]
            let value = (0..<(map.lookupSize / 8)).flatMap { _ in Self.bytes(UInt64(index) * 3 + 1, 8) }
            try map.update(key, value)
        }
        let entries = map.entries()
        #expect(entries.count == count)
        var seen = Set<UInt64>()
        for (key, value) in entries {
            let index = key.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            #expect(Array(key.suffix(4)) == [0xaa, 0xbb, 0xcc, 0xdd])
            #expect(value.count == map.lookupSize)
            #expect(value == (0..<(map.lookupSize / 8)).flatMap { _ in Self.bytes(index * 3 + 1, 8) })
            seen.insert(index)
        }
        #expect(seen == Set((0..<UInt64(count))))
    }
}
