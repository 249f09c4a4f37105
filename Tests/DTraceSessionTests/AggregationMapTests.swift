// DTraceSessionTests/AggregationMapTests: how many entries an aggregation's kernel map may
// hold — each CPU's keys (aggsize per CPU), but at most a million beyond one CPU's share,
// since the kernel gives a hash a 16-byte bucket per entry it may hold.

@testable import DTraceSession
import Testing

@Suite struct AggregationMapTests {
    @Test func entriesAreEveryCPUsKeysWithinABound() {
        #expect(KernelEngine.aggregationMapEntries(perCPU: 8_000, cpus: 2) == 16_000)
        #expect(KernelEngine.aggregationMapEntries(perCPU: 1, cpus: 2) == 2)
        #expect(KernelEngine.aggregationMapEntries(perCPU: 262_144, cpus: 2) == 524_288)
        // count() on 64 CPUs: not 16.7 million entries (268 MB of buckets).
        #expect(KernelEngine.aggregationMapEntries(perCPU: 262_144, cpus: 64) == 1 << 20)
        // One CPU's share is never cut.
        #expect(KernelEngine.aggregationMapEntries(perCPU: 2_000_000, cpus: 8) == 2_000_000)
        #expect(KernelEngine.aggregationMapEntries(perCPU: Int.max / 2, cpus: 64) == Int(Int32.max))
        #expect(KernelEngine.aggregationMapEntries(perCPU: 5, cpus: 0) == 5)
    }
}
