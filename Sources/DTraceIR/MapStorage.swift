// DTraceIR/MapStorage: a hash map with fixed-size keys and values, as a BPF hash map would
// be, for the interpreter; values live in one arena so their addresses stay valid while
// the entry exists.

/// How many dynamic variables the maps of a program hold together (dynvarsize), as
/// DTrace's one map of them does.
public final class DynamicVariableBudget {
    public let capacity: Int
    var used = 0
    public init(capacity: Int) { self.capacity = max(1, capacity) }
}

/// A hash map with fixed-size keys and values, as a BPF hash map would be. Values live
/// in one arena so that their addresses stay valid while the entry exists.
public final class MapStorage {
    public let descriptor: MapDescriptor
    public let capacity: Int
    /// Shared with the program's other maps (nil: this map's capacity only).
    let budget: DynamicVariableBudget?
    private(set) var slots: [[UInt8]: Int] = [:]
    var arena: [UInt8]
    private var freeSlots: [Int] = []
    private var nextSlot = 0
    public private(set) var drops = 0

    public init(descriptor: MapDescriptor, capacity: Int, budget: DynamicVariableBudget? = nil) {
        self.descriptor = descriptor
        self.capacity = max(1, capacity)
        self.budget = budget
        self.arena = []
    }

    public var count: Int { slots.count }

    func lookup(_ key: [UInt8]) -> Int? { slots[key] }

    func lookupOrCreate(_ key: [UInt8]) -> Int? {
        if let slot = slots[key] { return slot }
        if let budget {
            guard budget.used < budget.capacity else { drops += 1; return nil }
            budget.used += 1
        }
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
        } else {
            guard nextSlot < capacity else { drops += 1; return nil }
            slot = nextSlot
            nextSlot += 1
            arena.append(contentsOf: repeatElement(0, count: descriptor.valueSize))
        }
        let start = slot * descriptor.valueSize
        for index in start..<(start + descriptor.valueSize) { arena[index] = 0 }
        slots[key] = slot
        return slot
    }

    func delete(_ key: [UInt8]) {
        if let slot = slots.removeValue(forKey: key) {
            freeSlots.append(slot)
            budget?.used -= 1
        }
    }

    /// The entries as (key, value) byte arrays, for tests and listing.
    public var entries: [(key: [UInt8], value: [UInt8])] {
        slots.map { key, slot in
            let start = slot * descriptor.valueSize
            return (key, Array(arena[start..<(start + descriptor.valueSize)]))
        }
    }
}
