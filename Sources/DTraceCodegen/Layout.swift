// DTraceCodegen/Layout: how a compiled program's state lies in BPF maps — the shared
// facts the code generator and the kernel engine (which creates the maps and reads
// them back) must agree on: map sizes, engine areas beyond the IR's own scratch and
// globals, aggregation value layouts. The ring buffer's records are RecordFormat's.

import DTraceIR

/// Address regions of the IR (see DTraceIR.MemoryRegion); in BPF each one is a map value.
public enum KernelRegion {
    public static let scratch = MemoryRegion.scratch
    public static let global = MemoryRegion.global
    public static let constant = MemoryRegion.constant
    public static let zero = MemoryRegion.zero
    public static let firstSite = MemoryRegion.firstMap
}

/// Sizes and offsets of the program's state maps.
public struct KernelLayout: Sendable {
    public let stringSize: Int
    /// Per-CPU scratch: [IR scratch | alloca area | two string temporaries | engine counters].
    public let irScratchSize: Int
    public let allocaOffset: Int
    public static let allocaSize = 2048
    /// What alloca() may hand out in a firing (`IRProgram.allocaLimit`).
    public let allocaLimit: Int
    public let stringTemporaryA: Int
    public let stringTemporaryB: Int
    public let allocaUsedOffset: Int
    public let faultAreaOffset: Int
    /// Per-CPU counters the consumer reads: records dropped, dynamic variables dropped,
    /// aggregation entries dropped, speculation() calls that found no free speculation.
    public let recordDropsOffset: Int
    public let dynamicDropsOffset: Int
    public let aggregationDropsOffset: Int
    public let failedSpeculationsOffset: Int
    /// Speculating clauses ended because their data passed specsize.
    public let speculativeDropsOffset: Int
    /// Six u64 slots the string routines keep lengths and positions in across helper calls.
    public let routineStateOffset: Int
    public let scratchSize: Int
    /// Globals: [IR globals | padding for a string | exit flag].
    public let globalSize: Int
    public let exitFlagOffset: Int
    /// In globals: how many threads have strings pending at their call's return
    /// (DeferredStrings): the sys_exit program leaves at once while there are none.
    public let pendingStringThreadsOffset: Int
    /// In globals: how many dynamic variables exist (against `KernelMaps.dynamicVariableCapacity`).
    public let dynamicVariableCountOffset: Int
    /// The exit flag's values besides 0 (running): exit() or the end of tracing, and
    /// before BEGIN has run (the value the globals start with).
    public static let exitFlagStopped: UInt8 = 1
    public static let exitFlagNotStarted: UInt8 = 2
    /// One u64 per speculation (nspec of them): 1 while it is active.
    public let speculationSlotsOffset: Int
    public let speculationLimit: Int
    /// Scratch: the speculation this firing's records go to (0: none).
    public let pendingSpeculationOffset: Int
    /// Scratch areas library subroutines declared (`ScratchArea`), by name, allocated
    /// after the engine's own; per CPU, and kept across firings.
    public let areaOffsets: [String: Int]
    /// Scratch: the process id noteProcess looks up and reports (u32).
    public let processNoteOffset: Int
    /// Scratch: the standard probe context (ProbeContextSlots: arg0..arg9, errno, the
    /// argument record's address, the current task), filled by the probe's prologue.
    public let probeContextOffset: Int
    /// Scratch: room for a user stack's frames (`userStackFrames` words), which
    /// ustackdepth counts with bpf_get_stack.
    public let userFramesOffset: Int
    /// Scratch, for strings read again at a system call's return (DeferredStrings): the
    /// clause's ticket and its count of deferred reads (zeroed when such a clause starts),
    /// the CPU's count of deferring clauses (kept), the thread id as a map key, and a
    /// zeroed value for the thread's first entry.
    public let deferTicketOffset: Int
    public let deferCountOffset: Int
    public let deferCounterOffset: Int
    public let deferKeyOffset: Int
    public let deferZeroOffset: Int
    /// Scratch: an aggregation's map key as a firing writes it — the D key (8 zero bytes
    /// for none) followed by the CPU's number (`aggregationMapKeySize`).
    public let aggregationKeyOffset: Int
    /// The most frames a stack holds (the kernel's perf_event_max_stack default).
    public static let userStackFrames = 127
    /// The most frames stackdepth and ustackdepth count (the maxframes option).
    public let maxFrames: Int
    /// Constants: [IR constants | zeroes].
    public let zeroOffset: Int
    public let zeroSize: Int
    public let constantsSize: Int

    /// `areas`: what the program's library subroutines declared (`KernelLayout.areas`).
    public init(program: IRProgram, areas: [ScratchArea] = []) {
        stringSize = max(1, program.stringSize)
        maxFrames = max(1, min(program.maxFrames, Self.userStackFrames))
        let stringSpan = (stringSize + 1 + 7) & ~7
        irScratchSize = (program.scratchSize + 7) & ~7
        allocaOffset = irScratchSize
        allocaLimit = max(0, program.allocaLimit)
        stringTemporaryA = allocaOffset + Self.allocaSize
        stringTemporaryB = stringTemporaryA + stringSpan
        allocaUsedOffset = stringTemporaryB + stringSpan
        faultAreaOffset = allocaUsedOffset + 8
        recordDropsOffset = faultAreaOffset + 48
        dynamicDropsOffset = recordDropsOffset + 8
        aggregationDropsOffset = dynamicDropsOffset + 8
        failedSpeculationsOffset = aggregationDropsOffset + 8
        speculativeDropsOffset = failedSpeculationsOffset + 8
        routineStateOffset = speculativeDropsOffset + 8
        pendingSpeculationOffset = routineStateOffset + 48
        processNoteOffset = pendingSpeculationOffset + 8
        probeContextOffset = processNoteOffset + 8 + stringSpan
        var next = probeContextOffset + 8 * ProbeContextSlots.count
        var offsets: [String: Int] = [:]
        for area in areas where offsets[area.name] == nil {
            offsets[area.name] = next
            next += (area.size + 7) & ~7
        }
        areaOffsets = offsets
        userFramesOffset = next
        next += 8 * Self.userStackFrames
        deferTicketOffset = next
        deferCountOffset = next + 8
        deferCounterOffset = next + 16
        deferKeyOffset = next + 24
        deferZeroOffset = next + 32
        next += 32 + DeferredStrings.valueSize
        aggregationKeyOffset = next
        next += ((program.aggregations.map(Self.aggregationMapKeySize).max() ?? 0) + 7) & ~7
        // Room for a read of run-time size at any offset of the alloca area, as the
        // verifier sees it (`BPFCodeGenerator.readIntoAlloca`).
        scratchSize = max(next, allocaOffset + 2 * Self.allocaSize)
        let irGlobals = (program.globalSize + 7) & ~7
        exitFlagOffset = irGlobals + stringSpan
        speculationLimit = max(1, min(program.speculationLimit, 64))
        speculationSlotsOffset = exitFlagOffset + 8
        dynamicVariableCountOffset = speculationSlotsOffset + 8 * speculationLimit
        pendingStringThreadsOffset = dynamicVariableCountOffset + 8
        globalSize = pendingStringThreadsOffset + 8
        zeroOffset = (program.constants.count + 7) & ~7
        let largestValue = (program.maps.map(\.valueSize) + program.maps.map(\.keySize) + program.aggregations.map { Self.aggregationValueSize($0.function) }).max() ?? 0
        zeroSize = max(largestValue, stringSpan, 64)
        constantsSize = zeroOffset + zeroSize
    }

    /// The scratch areas the library subroutines a program calls declare, each once (a
    /// subroutine called in several clauses shares its area: strtok's state spans firings).
    public static func areas(for program: IRProgram, subroutines: [String: any KernelSubroutine]) -> [ScratchArea] {
        var names: [String] = []
        for clause in program.clauses {
            for instruction in clause.function.instructions {
                if case .call(.subroutine(let call), _, _) = instruction, !names.contains(call.name) { names.append(call.name) }
            }
        }
        var areas: [ScratchArea] = []
        for name in names { for area in subroutines[name]?.scratchAreas(stringSize: max(1, program.stringSize)) ?? [] where !areas.contains(area) { areas.append(area) } }
        return areas
    }

    /// The offset (from the scratch base) of a declared area.
    public func offset(of area: String) -> Int { areaOffsets[area] ?? 0 }

    /// The constants map's single value: the IR's constants followed by zeroes.
    public func constantsValue(_ program: IRProgram) -> [UInt8] {
        program.constants + [UInt8](repeating: 0, count: constantsSize - program.constants.count)
    }

    /// Bytes of one aggregation entry (one CPU's part of a key): the function's words.
    public static func aggregationValueSize(_ function: AggregatingFunction) -> Int { 8 * max(1, function.wordCount) }

    /// How many keys an aggregation holds in `aggregationSize` bytes (aggsize), each its
    /// key and value: the next new key is an aggregation drop, as in DTrace.
    public static func aggregationCapacity(_ descriptor: AggregationDescriptor, aggregationSize: Int) -> Int {
        max(1, aggregationSize / max(1, max(descriptor.nominalKeySize ?? 0, aggregationKeySize(descriptor)) + aggregationValueSize(descriptor.function)))
    }

    /// Hash maps need a non-empty key: keyless aggregations use 8 zero bytes.
    public static func aggregationKeySize(_ descriptor: AggregationDescriptor) -> Int { max(descriptor.keySize, 8) }

    /// An aggregation's map is one hash whose keys are the D key followed by the CPU's
    /// number (8 bytes), each CPU's partial value its own entry. Not a per-CPU hash: that
    /// one allocates a new key's per-CPU value from a cache the kernel refills one value at
    /// a time, so a firing with interrupts off (sched:::on-cpu and off-cpu share
    /// sched_switch) could make only one new key until interrupts came back; a plain hash's
    /// entries come from a cache refilled dozens at a time.
    public static func aggregationMapKeySize(_ descriptor: AggregationDescriptor) -> Int { aggregationKeySize(descriptor) + 8 }
}
