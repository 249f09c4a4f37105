// DTraceSession/SpeculationRoom: how much of specsize each speculation has used, as the
// engines buffer its records (both engines keep speculations on dtrace's side): a record
// with no room left is a speculative drop, counted here; commit() and discard() free it.

struct SpeculationRoom<ID: Hashable> {
    private var used: [ID: Int] = [:]
    /// Records dropped for want of room.
    private(set) var drops: Int64 = 0

    /// Whether a record of `size` bytes (as `RecordLayout.speculatedSize` counts it) fits
    /// in speculation `id` under `limit`: then it is counted in; else it is a drop.
    mutating func admit(_ size: Int, to id: ID, limit: Int) -> Bool {
        guard used[id, default: 0] + size <= limit else {
            drops += 1
            return false
        }
        used[id, default: 0] += size
        return true
    }

    /// Speculation `id` committed or discarded: its room is free again.
    mutating func free(_ id: ID) { used[id] = nil }
}
