// DTraceCodegen/KernelMaps: the file descriptors of the maps a program refers to.

import DTraceBPF
import DTraceIR

/// File descriptors of the maps a program refers to.
public struct KernelMaps: Sendable {
    public var scratch: Int32
    public var globals: Int32
    public var constants: Int32
    public var records: Int32
    public var associativeArrays: [Int32]
    public var aggregations: [Int32]
    /// The stack-trace map (stack(), ustack()), or -1.
    public var stacks: Int32
    /// The callers at function entries that user stacks name beside their stack ids (a
    /// hash from the address's low 32 bits to the address), or -1.
    public var entryCallers: Int32 = -1
    /// The processes already reported by noteProcess (an LRU hash of pids), or -1.
    public var processes: Int32
    /// The reads of system call strings pending at their calls' returns, by thread
    /// (DeferredStrings), or -1: no clause defers one.
    public var pendingStrings: Int32 = -1
    /// The ring buffer's size in bytes (0: unknown, every record wakes the consumer).
    public var recordsSize: Int = 0
    /// How many dynamic variables the program's maps hold together (dynvarsize, as
    /// DTrace's one map of them): a store creating one more is a drop.
    public var dynamicVariableCapacity: Int = .max
    /// The entries each CPU has made in each aggregation's map (a mappable array of u64
    /// counters, aggregation * possibleCPUs + CPU, which the consumer lowers when it
    /// deletes entries), or -1; a CPU's new key past its aggregation's capacity (aggsize
    /// per CPU, as DTrace's per-CPU buffers) is a drop.
    public var aggregationEntries: Int32 = -1
    public var aggregationCapacities: [Int] = []
    public var possibleCPUs: Int = 1
    public init(scratch: Int32, globals: Int32, constants: Int32, records: Int32, associativeArrays: [Int32], aggregations: [Int32], stacks: Int32 = -1, processes: Int32 = -1) {
        self.scratch = scratch; self.globals = globals; self.constants = constants; self.records = records
        self.associativeArrays = associativeArrays; self.aggregations = aggregations; self.stacks = stacks; self.processes = processes
    }
}
