// DTraceSession/KernelEngine: runs a compiled program in the kernel. Creates the maps
// of the program's state (KernelLayout), compiles every enabling (clause x probe) to
// BPF, loads and attaches it (tracepoints, cpu-clock perf events; BEGIN, END and ERROR
// as raw-tracepoint programs test-run from here, so they share every map), then feeds
// ring-buffer records to the consumer, reports faults and drops as DTrace does, reads
// aggregations back from their maps (each CPU's part its own entry), and detaches
// everything on the way out.

import DTraceBPF
import DTraceCodegen
import DTraceConsumer
import DTraceIR
import DTraceProviders
import DTraceSystem

public struct KernelEngineError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

public struct KernelSettings {
    public var bufferSize = 4 << 20
    public var aggregationSize = 4 << 20
    public var dynamicVariableSize = 1 << 20
    public var verifierLog = false
    /// `-x cpu=N`: probes (other than BEGIN, END and ERROR) fire only on CPU N.
    public var onlyCPU: Int?
    /// Few system call probes on raw_syscalls (`-x syscallprobes=raw`, the default) or
    /// always on their syscalls tracepoints (`-x syscallprobes=tracepoint`).
    public var rawSyscalls = true
    /// Uprobes through uprobe_multi links, else one perf event each.
    public var uprobesThroughMultiLinks = true
    /// Rows the shared probe table keeps free for probes added while tracing (the
    /// libraries a traced process loads later, `add(_:)`).
    public var spareProbeRows = 0
    public var showProgram: ((String) -> Void)?
    /// The library's subroutines' BPF bodies.
    public var subroutines: [String: any KernelSubroutine] = [:]
    /// The kernel's types, shared with the compiler so BTF is read once a session.
    public var types = KernelTypes()
    public init() {}
}

public final class KernelEngine: AggregationBackend, StackSource {
    let program: IRProgram
    let layout: KernelLayout
    /// Every enabling, the EPID its place + 1; probes added while tracing go last.
    private(set) var enablings: [Enabling]
    let consumer: Consumer
    let errors: OutputSink
    let tracefsRoot: String
    let scratch: BPFMap
    let globals: BPFMap
    let constants: BPFMap
    let records: BPFMap
    let associativeArrays: [BPFMap]
    let aggregationMaps: [BPFMap]
    let aggregationEntries: SharedCounters?
    let ring: RingBufferReader
    var programs: [Int: BPFProgram] = [:]       // epid -> program
    /// Programs that serve many enablings of one clause, and those enablings.
    var sharedPrograms: [(program: BPFProgram, members: [Enabling], sharing: SharedAttachment)] = []
    /// Site cookie -> probe ID, EPID and names, for the shared programs (nil when there
    /// are none).
    var sharedProbeTable: BPFMap?
    /// The table's next free row, and its rows' name width.
    var nextProbeRow: UInt32 = 1
    var probeTableNameWidth = 0
    /// The cookies of each shared enabling's sites, by EPID.
    var siteCookies: [Int: [UInt64]] = [:]
    /// How each enabling's probe runs in the kernel (its provider's answer), by epid.
    var kernelProbes: [Int: KernelProbe] = [:]
    let attachments: KernelAttachments
    /// What enabling and loading more probes while tracing needs again.
    let setup: KernelSetup
    let maps: KernelMaps
    let settings: KernelSettings
    /// The program that tells of a watched process's dynamic linker changing its list of
    /// objects (`watchLinker`), and what to do then: the processes it told of.
    var linkerWatch: BPFProgram?
    public var linkerActivity: ((Set<Int32>) -> Void)?
    var continueWatchedProcess: (() -> Void)?
    /// Records of speculations not yet committed or discarded, by speculation.
    var speculationBuffers: [UInt32: [(enabling: Enabling, cpu: Int32, bytes: [UInt8])]] = [:]
    /// Each speculation's bytes as specsize counts them, and the records dropped for want of room.
    var speculationRoom = SpeculationRoom<UInt32>()
    var reportedSpeculativeDrops: Int64 = 0
    /// During BEGIN: records of clauses whose actions wait for the probes stay in the ring.
    var holdingForProbes = false
    /// Strings of system call entries read again at the call's return (DeferredStrings):
    /// the per-thread map of reads pending and the sys_exit program that reads them (nil
    /// when no clause defers a read), each deferring clause's slots by clause index, and
    /// the records waiting for their strings, by ticket, in arrival order.
    var pendingStrings: BPFMap?
    var stringCompletion: BPFProgram?
    /// The syscalls tracepoints the sys_exit program is on (sys_exit_NAME), or none: on
    /// raw_syscalls' sys_exit.
    var stringCompletionExits: [String] = []
    var deferredSlots: [Int: [Int]] = [:]
    /// Entry clauses run again at their call's return (ReplayedClauses): the per-thread
    /// map, each replayed enabling's bit by EPID, and the replaying programs with the
    /// syscalls tracepoint each is on.
    var replayedThreads: BPFMap?
    var replaySites: [Int: ReplaySite] = [:]
    var replayPrograms: [(program: BPFProgram, event: String)] = []
    var heldRecords: [UInt32: HeldRecord] = [:]
    var heldOrder: [UInt32] = []
    struct HeldRecord {
        var enabling: Enabling
        var cpu: Int32
        var bytes: [UInt8]
        var awaited: Int
        var fault: Fault?
    }
    /// Probes whose clauses run as a chain (`KernelProbe.chainsClauses`): by EPID, the
    /// program array and the enabling's place in it (0: the one attached).
    var clauseChains: [Int: (programs: BPFMap, index: Int)] = [:]
    let stackMap: BPFMap?
    /// The callers at pid entry probes that user stack ids name (see `frames(ofStack:)`).
    let entryCallerMap: BPFMap?
    /// Entry callers already read from that map, by key.
    var entryCallers: [UInt32: UInt64] = [:]
    let processMap: BPFMap?
    static let stackFrames = 127
    /// Where the built-ins the clauses read find their kernel structures.
    let builtinFacts: BuiltinFacts
    var reportedDrops: [Int: Int64] = [:]
    var reportedDynamicDrops: Int64 = 0
    var reportedAggregationDrops: [Int: Int64] = [:]
    var reportedFailedSpeculations: Int64 = 0
    public private(set) var errorCount = 0

    public init(program: IRProgram, enablings: [Enabling], consumer: Consumer, errors: OutputSink, tracefsRoot: String, settings: KernelSettings) throws {
        self.program = program
        self.layout = KernelLayout(program: program, areas: KernelLayout.areas(for: program, subroutines: settings.subroutines))
        self.enablings = enablings
        self.consumer = consumer
        self.errors = errors
        self.tracefsRoot = tracefsRoot
        attachments = KernelAttachments(tracefsRoot: tracefsRoot)
        let setup = KernelSetup(tracefsRoot: tracefsRoot, enabledProbes: enablings.map(\.probe), allowsRawSyscalls: settings.rawSyscalls,
                                types: settings.types, uprobesThroughMultiLinks: settings.uprobesThroughMultiLinks)
        setup.onlyCPU = settings.onlyCPU
        self.setup = setup
        self.settings = settings
        for enabling in enablings {
            do { kernelProbes[enabling.epid] = try enabling.probe.provider.kernelProbe(for: enabling.probe, in: setup) } catch {
                throw KernelEngineError(error.description)
            }
        }
        builtinFacts = Self.builtinFacts(of: program, types: setup.types)
        let state = try Self.makeState(program: program, layout: layout, settings: settings)
        scratch = state.scratch
        globals = state.globals
        constants = state.constants
        records = state.records
        associativeArrays = state.associativeArrays
        aggregationMaps = state.aggregationMaps
        aggregationEntries = state.aggregationEntries
        ring = state.ring
        stackMap = state.stacks
        entryCallerMap = state.entryCallers
        processMap = state.processes
        var maps = KernelMaps(scratch: scratch.descriptor, globals: globals.descriptor, constants: constants.descriptor, records: records.descriptor,
                              associativeArrays: associativeArrays.map(\.descriptor), aggregations: aggregationMaps.map(\.descriptor),
                              stacks: state.stacks?.descriptor ?? -1, processes: state.processes?.descriptor ?? -1)
        maps.recordsSize = records.capacity
        maps.entryCallers = state.entryCallers?.descriptor ?? -1
        maps.aggregationEntries = state.aggregationEntries?.map.descriptor ?? -1
        maps.aggregationCapacities = state.aggregationCapacities
        maps.possibleCPUs = SystemCPUs.possible
        maps.dynamicVariableCapacity = max(1, settings.dynamicVariableSize / Machine.dynamicVariableEntrySize(program))
        // Clauses at system call entries whose copyinstr() strings may be read again at
        // the call's return: the map of pending reads and the program that reads them.
        var deferringCalls: Set<String> = []
        for enabling in enablings {
            let sites = DeferredStrings.sites(in: program.clauses[enabling.clause].function, probe: enabling.probe.identity, stringSize: layout.stringSize)
            guard !sites.isEmpty else { continue }
            deferredSlots[enabling.clause] = sites.map(\.recordOffset)
            deferringCalls.insert(enabling.probe.identity.function)
        }
        if !deferredSlots.isEmpty {
            // On the few calls' own exit tracepoints where they have them, so that other
            // calls' returns pay (almost) nothing; else on raw_syscalls' sys_exit.
            let ownExits = deferringCalls.count <= SyscallProvider.rawLimit
                && deferringCalls.allSatisfy { Tracefs.eventID(root: tracefsRoot, group: "syscalls", event: "sys_exit_" + $0) != nil }
            stringCompletionExits = ownExits ? deferringCalls.sorted().map { "sys_exit_" + $0 } : []
            do {
                let pending = try BPFMap(type: .lruHash, keySize: 8, valueSize: DeferredStrings.valueSize, capacity: DeferredStrings.threads, name: "dt_pending")
                let instructions = try DeferredStrings.completionProgram(pending: pending.descriptor, records: records.descriptor,
                                                                         threadsPending: (globals.descriptor, layout.pendingStringThreadsOffset), stringSize: layout.stringSize)
                stringCompletion = try BPFProgram(type: ownExits ? .tracepoint : .rawTracepoint, instructions: instructions.flatMap(\.bytes), name: "dt_strings")
                pendingStrings = pending
                maps.pendingStrings = pending.descriptor
            } catch let error as SystemError {
                throw KernelEngineError("failed to make the reader of system call strings: \(Self.explain(error))")
            } catch {
                throw KernelEngineError("failed to make the reader of system call strings: \(error)")
            }
        }
        // Clauses at system call entries whose copyinstr() strings DeferredStrings cannot
        // read again (kept, keyed or tested): run again at the call's return, on its own
        // exit tracepoint, when a read finds its page absent.
        // (Not where the probe has other clauses: run alone at the return, a clause would
        // neither see nor leave the firing's this-> values, and a later clause would miss
        // what it sets.)
        var replayed: [Enabling] = []
        for enabling in enablings where replayed.count < ReplayedClauses.maximumEnablings && deferredSlots[enabling.clause] == nil {
            let sharesFiring = enablings.contains { $0.epid != enabling.epid && $0.probe.identity.id == enabling.probe.identity.id }
            guard let probe = kernelProbes[enabling.epid], probe.sharing == nil, !probe.chainsClauses, !sharesFiring,
                  ReplayedClauses.replays(program.clauses[enabling.clause].function, probe: enabling.probe.identity),
                  Tracefs.eventID(root: tracefsRoot, group: "syscalls", event: "sys_exit_" + enabling.probe.identity.function) != nil else { continue }
            replayed.append(enabling)
        }
        if !replayed.isEmpty {
            do {
                let threads = try BPFMap(type: .lruHash, keySize: 8, valueSize: ReplayedClauses.valueSize, capacity: ReplayedClauses.threads, name: "dt_replay")
                for (bit, enabling) in replayed.enumerated() { replaySites[enabling.epid] = ReplaySite(map: threads.descriptor, bit: bit) }
                replayedThreads = threads
            } catch {
                throw KernelEngineError("failed to make the map of system call entries run again: \(Self.explain(error))")
            }
        }
        self.maps = maps
        // Enablings whose provider shares programs: one program per clause and key.
        var groups: [String: [Enabling]] = [:]
        var groupOrder: [String] = []
        var keyBases: [String: UInt32] = [:]
        clauseChains = try Self.clauseChains(enablings, kernelProbes)
        for enabling in enablings {
            guard let sharing = kernelProbes[enabling.epid]?.sharing else {
                try load(enabling, maps: maps, settings: settings)
                continue
            }
            let key = "\(enabling.clause)/\(sharing.key)"
            if groups[key] == nil { groupOrder.append(key) }
            groups[key, default: []].append(enabling)
        }
        if !groups.isEmpty || settings.spareProbeRows > 0 {
            // One table entry per site of every shared probe; its key is the site's cookie.
            let table = SharedProbeTable(descriptor: -1, nameWidth: min(128, layout.stringSize + 1))
            var entries: [(key: UInt32, value: [UInt8])] = []
            var nextKey: UInt32 = 1
            for key in groupOrder {
                let first = groups[key]![0]
                if let keyOfProbe = kernelProbes[first.epid]!.sharing!.keyOfProbe {
                    // Keys the prologue works out: the group's range, one entry per probe.
                    keyBases[key] = nextKey
                    for enabling in groups[key]! {
                        let siteKey = nextKey + keyOfProbe(enabling.probe)
                        entries.append((siteKey, table.value(for: enabling.probe.identity, epid: enabling.epid, siteData: 0)))
                        siteCookies[enabling.epid] = [UInt64(siteKey)]
                    }
                    nextKey += kernelProbes[first.epid]!.sharing!.keySpan
                    continue
                }
                for enabling in groups[key]! {
                    let sharing = kernelProbes[enabling.epid]!.sharing!
                    var cookies: [UInt64] = []
                    for data in sharing.siteData(enabling.probe) {
                        let cookie = nextKey
                        nextKey += 1
                        entries.append((cookie, table.value(for: enabling.probe.identity, epid: enabling.epid, siteData: data)))
                        cookies.append(UInt64(cookie))
                    }
                    siteCookies[enabling.epid] = cookies
                }
            }
            let map: BPFMap
            do {
                map = try BPFMap(type: .array, keySize: 4, valueSize: table.valueSize, capacity: Int(nextKey) + settings.spareProbeRows, name: "dt_probes")
                for entry in entries { try map.update(withUnsafeBytes(of: entry.key.littleEndian) { Array($0) }, entry.value) }
            } catch { throw KernelEngineError(Self.explain(error)) }
            sharedProbeTable = map
            nextProbeRow = nextKey
            probeTableNameWidth = table.nameWidth
            for key in groupOrder {
                try loadShared(groups[key]!, table: SharedProbeTable(descriptor: map.descriptor, nameWidth: table.nameWidth), keyBase: keyBases[key] ?? 0,
                               maps: maps, settings: settings)
            }
        }
        consumer.aggregationBackend = self
        consumer.stackSource = self
    }

    /// The maps holding a program's state.
    struct StateMaps {
        let scratch, globals, constants, records: BPFMap
        let associativeArrays, aggregationMaps: [BPFMap]
        /// The entries each CPU made in each aggregation's map (KernelMaps.aggregationEntries).
        let aggregationEntries: SharedCounters?
        let aggregationCapacities: [Int]
        let ring: RingBufferReader
        /// Stack traces by id: up to 127 program counters each.
        let stacks: BPFMap?
        /// Callers at function entries (key: the address's low 32 bits, value: the address).
        let entryCallers: BPFMap?
        /// The processes already reported to the consumer (noteProcess), least recently
        /// seen forgotten first.
        let processes: BPFMap?

        init(program: IRProgram, layout: KernelLayout, settings: KernelSettings) throws(SystemError) {
            scratch = try BPFMap(type: .perCPUArray, keySize: 4, valueSize: layout.scratchSize, capacity: 1, name: "dt_scratch")
            globals = try BPFMap(type: .array, keySize: 4, valueSize: layout.globalSize, capacity: 1, name: "dt_globals")
            var initialGlobals = [UInt8](repeating: 0, count: layout.globalSize)
            initialGlobals[layout.exitFlagOffset] = KernelLayout.exitFlagNotStarted
            try globals.update([0, 0, 0, 0], initialGlobals)
            constants = try BPFMap(type: .array, keySize: 4, valueSize: layout.constantsSize, capacity: 1, name: "dt_constants")
            try constants.update([0, 0, 0, 0], layout.constantsValue(program))
            let pageSize = SystemProcess.pageSize
            var ringSize = pageSize
            while ringSize < settings.bufferSize && ringSize < 1 << 30 { ringSize <<= 1 }
            records = try BPFMap(type: .ringBuffer, keySize: 0, valueSize: 0, capacity: ringSize, name: "dt_records")
            var arrays: [BPFMap] = []
            for descriptor in program.maps {
                // As many entries as DTrace's one map of them holds (each map may take them all).
                let capacity = max(1, settings.dynamicVariableSize / Machine.dynamicVariableEntrySize(program))
                arrays.append(try BPFMap(type: .hash, keySize: descriptor.keySize, valueSize: max(descriptor.valueSize, 1), capacity: capacity,
                                         flags: BPFMap.noPreallocation, name: "dt_var\(descriptor.id)"))
            }
            associativeArrays = arrays
            var aggregations: [BPFMap] = []
            var capacities: [Int] = []
            for descriptor in program.aggregations {
                let valueSize = KernelLayout.aggregationValueSize(descriptor.function)
                // The keys aggsize holds on each CPU (KernelLayout.aggregationMapKeySize), as
                // DTrace's per-CPU buffers of aggsize: counted per CPU in aggregationEntries.
                let perCPU = KernelLayout.aggregationCapacity(descriptor, aggregationSize: settings.aggregationSize)
                capacities.append(perCPU)
                let capacity = KernelEngine.aggregationMapEntries(perCPU: perCPU, cpus: SystemCPUs.possible)
                do {
                    aggregations.append(try BPFMap(type: .hash, keySize: KernelLayout.aggregationMapKeySize(descriptor), valueSize: valueSize,
                                                   capacity: capacity, flags: BPFMap.noPreallocation, name: "dt_agg\(descriptor.id)"))
                } catch {
                    // Most often a value or key larger than the kernel allows: say whose.
                    throw SystemError("\(error.operation) for @\(descriptor.name) (\(valueSize) bytes a key)", code: error.code)
                }
            }
            aggregationMaps = aggregations
            aggregationCapacities = capacities
            // Where the kernel will not map the array, only the map's own bound holds.
            aggregationEntries = aggregations.isEmpty ? nil : try? SharedCounters(count: aggregations.count * SystemCPUs.possible, name: "dt_aggentries")
            KernelEngine.fillAllocationCaches(aggregations)
            ring = try RingBufferReader(map: records)
            stacks = program.usesStacks ? try BPFMap(type: .stackTrace, keySize: 4, valueSize: 8 * KernelEngine.stackFrames, capacity: 4096, name: "dt_stacks") : nil
            entryCallers = program.usesStacks ? try BPFMap(type: .hash, keySize: 4, valueSize: 8, capacity: 4096, name: "dt_ucallers") : nil
            processes = program.notesProcesses ? try BPFMap(type: .lruHash, keySize: 4, valueSize: 4, capacity: 4096, name: "dt_processes") : nil
        }
    }

    /// The entries an aggregation's map may hold: its keys on every CPU, but no more than
    /// a million, or one CPU's share when that is more (the kernel gives a hash a bucket,
    /// 16 bytes, per entry it may hold, at creation: 262,144 keys of count() on 64 CPUs
    /// would be 268 MB of them). Past that bound, new keys are drops on their CPU.
    static func aggregationMapEntries(perCPU: Int, cpus: Int) -> Int {
        let every = perCPU.multipliedReportingOverflow(by: max(1, cpus))
        return min(every.overflow ? Int.max : every.partialValue, max(perCPU, 1 << 20), Int(Int32.max))
    }

    /// A new hash map's allocation cache on each CPU starts with one entry (for entries of
    /// more than 256 bytes) and is refilled only when interrupts are on, so a first firing
    /// with them off (sched_switch) making two keys would drop one. A key made and deleted
    /// on each CPU here, before any program runs, has the kernel fill each CPU's cache.
    static func fillAllocationCaches(_ maps: [BPFMap]) {
        guard !maps.isEmpty else { return }
        ProcessIdentity.onEachCPU(SystemCPUs.online) { cpu in
            for map in maps {
                var key = [UInt8](repeating: 0xff, count: map.keySize - 8)
                key += withUnsafeBytes(of: UInt64(cpu).littleEndian) { Array($0) }
                if (try? map.update(key, [UInt8](repeating: 0, count: map.valueSize))) != nil { map.delete(key) }
            }
        }
    }

    static func makeState(program: IRProgram, layout: KernelLayout, settings: KernelSettings) throws(KernelEngineError) -> StateMaps {
        do { return try StateMaps(program: program, layout: layout, settings: settings) } catch { throw KernelEngineError(explain(error)) }
    }

    static func explain(_ error: SystemError) -> String {
        if error.code == ErrorNumber.noSuchProcess && error.operation.hasSuffix(" has exited") { return error.operation }
        // For root the kernel refused this one thing (some tracepoints refuse perf events
        // outright), so privileges are not the reason to give.
        if error.isPermissionDenied && ProcessIdentity.userID != 0 {
            return "\(error): the kernel engine needs root or CAP_BPF and CAP_PERFMON (or use -x engine=user for BEGIN, END and profile probes)"
        }
        return error.description
    }

    // MARK: loading

    /// Offsets of kernel structures the built-ins read (ppid, vtimestamp, execname);
    /// the kernel's BTF is read only when a clause uses one of them.
    struct BuiltinFacts {
        var parentOffsets: (realParent: Int, processID: Int)?
        var executionTimeOffset: Int?
        var commandNameOffset: Int?
        var threadRegisterFields: [Int64: ThreadRegisterField] = [:]
    }

    static func builtinFacts(of program: IRProgram, types: KernelTypes) -> BuiltinFacts {
        func calls(_ helper: (Helper) -> Bool) -> Bool {
            program.clauses.contains { clause in
                clause.function.instructions.contains { instruction in
                    if case .call(let called, _, _) = instruction { return helper(called) }
                    return false
                }
            }
        }
        func uses(_ variable: BuiltinVariable) -> Bool { calls { $0 == .readBuiltin(variable) } }
        /// progenyof() walks the same parent links ppid reads.
        func walksParents() -> Bool { calls { if case .subroutine(let call) = $0 { call.name == "progenyof" } else { false } } }
        var facts = BuiltinFacts()
        if uses(.ppid) || walksParents() { facts.parentOffsets = types.parentOffsets }
        if uses(.vtimestamp) { facts.executionTimeOffset = types.executionTimeOffset }
        if uses(.execname) { facts.commandNameOffset = types.commandNameOffset }
        if calls({ $0 == .readUserRegister }) { facts.threadRegisterFields = types.threadRegisterFields }
        return facts
    }

    func load(_ enabling: Enabling, maps: KernelMaps, settings: KernelSettings) throws {
        let kernelProbe = kernelProbes[enabling.epid]!
        var site = ProbeSite(identity: enabling.probe.identity, epid: enabling.epid, prologue: kernelProbe.prologue)
        site.replay = replaySites[enabling.epid]
        site.parentOffsets = builtinFacts.parentOffsets
        site.executionTimeOffset = builtinFacts.executionTimeOffset
        site.commandNameOffset = builtinFacts.commandNameOffset
        site.threadRegisterFields = builtinFacts.threadRegisterFields
        site.wallClockOffset = SystemClock.wallNanoseconds() &- SystemClock.monotonicNanoseconds()
        if enabling.probe.identity.provider != "dtrace" { site.onlyCPU = settings.onlyCPU }
        site.startsFiring = startsFiring(enabling)
        let chain = clauseChains[enabling.epid]
        if let chain, chain.index + 1 < chain.programs.capacity { site.nextClause = (chain.programs.descriptor, Int32(chain.index + 1)) }
        var typedProgram: BPFProgram?
        if let typed = kernelProbe.typed, chain == nil {
            // The typed program first; the untyped one when the verifier refuses it.
            var typedSite = site
            typedSite.readsKernelDirectly = true
            typedProgram = try? load(enabling, site: typedSite, programType: .tracing, attachType: .typedRawTracepoint, attachBTFID: typed.attachBTFID,
                                     maps: maps, settings: settings, label: enabling.probe.identity.fullName + ", typed", explainsRefusal: false)
            if typedProgram != nil { kernelProbes[enabling.epid]?.attach = typed.attach }
        }
        let loaded: BPFProgram
        if let typedProgram {
            loaded = typedProgram
        } else {
            do {
                loaded = try load(enabling, site: site, programType: kernelProbe.programType, maps: maps, settings: settings)
            } catch where kernelProbe.fallbackPrologue != nil {
                site.prologue = kernelProbe.fallbackPrologue!
                loaded = try load(enabling, site: site, programType: kernelProbe.programType, maps: maps, settings: settings)
            }
        }
        if let replay = site.replay {
            // The same clause at the call's return, for the threads its entry noted.
            var replaying = site
            replaying.replay = nil
            replaying.onlyCPU = nil   // the entry was on the CPU -x cpu names; the return may not be
            replaying.prologue = ReplayPrologue(replay: replay, argumentCount: kernelProbe.prologue.argumentCount)
            replaying.startsFiring = true
            let program = try load(enabling, site: replaying, programType: .tracepoint, maps: maps, settings: settings,
                                   label: enabling.probe.identity.fullName + ", run again at the call's return")
            replayPrograms.append((program, "sys_exit_" + enabling.probe.identity.function))
        }
        if let chain, chain.index > 0 {
            do {
                try chain.programs.update(withUnsafeBytes(of: UInt32(chain.index).littleEndian, Array.init), withUnsafeBytes(of: UInt32(bitPattern: loaded.descriptor).littleEndian, Array.init))
            } catch {
                throw KernelEngineError("failed to enable probe \(enabling.probe.identity.fullName): \(Self.explain(error))")
            }
        }
    }

    /// The chains of clauses for probes whose attachments are event sources of their own:
    /// one program array per probe enabled by two clauses or more.
    static func clauseChains(_ enablings: [Enabling], _ kernelProbes: [Int: KernelProbe]) throws -> [Int: (programs: BPFMap, index: Int)] {
        var byProbe: [Int: [Enabling]] = [:]
        for enabling in enablings where kernelProbes[enabling.epid]?.chainsClauses == true && kernelProbes[enabling.epid]?.sharing == nil {
            byProbe[enabling.probe.identity.id, default: []].append(enabling)
        }
        var chains: [Int: (programs: BPFMap, index: Int)] = [:]
        for (_, members) in byProbe where members.count > 1 {
            let programs: BPFMap
            do { programs = try BPFMap(type: .programArray, keySize: 4, valueSize: 4, capacity: members.count, name: "dt_clauses") } catch {
                throw KernelEngineError("failed to create a map for probe \(members[0].probe.identity.fullName): \(explain(error))")
            }
            for (index, member) in members.sorted(by: { $0.epid < $1.epid }).enumerated() { chains[member.epid] = (programs, index) }
        }
        return chains
    }

    /// Whether no earlier clause is enabled on the enabling's probe: its program starts
    /// the firing (and zeroes the this-> variables the firing's clauses share).
    func startsFiring(_ enabling: Enabling) -> Bool {
        !enablings.contains { $0.epid < enabling.epid && $0.probe.identity.id == enabling.probe.identity.id }
    }

    /// One program for every enabling of a group (one clause, one sharing key).
    func loadShared(_ members: [Enabling], table: SharedProbeTable, keyBase: UInt32, maps: KernelMaps, settings: KernelSettings) throws {
        let first = members[0]
        let kernelProbe = kernelProbes[first.epid]!
        var site = ProbeSite(identity: first.probe.identity, epid: first.epid, prologue: kernelProbe.prologue)
        site.sharedProbes = table
        site.sharedKeyBase = Int(keyBase)
        site.parentOffsets = builtinFacts.parentOffsets
        site.executionTimeOffset = builtinFacts.executionTimeOffset
        site.commandNameOffset = builtinFacts.commandNameOffset
        site.threadRegisterFields = builtinFacts.threadRegisterFields
        site.wallClockOffset = SystemClock.wallNanoseconds() &- SystemClock.monotonicNanoseconds()
        if first.probe.identity.provider != "dtrace" { site.onlyCPU = settings.onlyCPU }
        site.startsFiring = members.allSatisfy(startsFiring)
        let loaded = try load(first, site: site, programType: kernelProbe.programType, attachType: kernelProbe.attachType, maps: maps, settings: settings,
                              label: members.count == 1 ? first.probe.identity.fullName : "\(members.count) probes (\(first.probe.identity.fullName), ...)")
        sharedPrograms.append((loaded, members, kernelProbe.sharing!))
    }

    @discardableResult
    func load(_ enabling: Enabling, site: ProbeSite, programType: BPFProgramType, attachType: BPFAttachType = .unspecified, attachBTFID: UInt32 = 0,
              maps: KernelMaps, settings: KernelSettings, label: String? = nil, explainsRefusal: Bool = true) throws -> BPFProgram {
        let probe = enabling.probe
        let identity = probe.identity
        let clause = program.clauses[enabling.clause]
        let instructions: [BPFInstruction]
        do {
            instructions = try BPFCodeGenerator.generate(clause: clause, program: program, layout: layout, maps: maps, site: site, subroutines: settings.subroutines)
        } catch {
            throw KernelEngineError("clause at line \(clause.line) for probe \(identity.fullName): \(error)")
        }
        settings.showProgram?("BPF program for enabled probe ID \(enabling.epid) (\(label ?? identity.fullName)), clause at line \(clause.line):\n"
                                + BPFDisassembler.text(instructions).joined(separator: "\n") + "\n")
        let bytes = instructions.flatMap(\.bytes)
        let loaded: BPFProgram
        do {
            loaded = try BPFProgram(type: programType, attachType: attachType, attachBTFID: attachBTFID, instructions: bytes, name: "dt_\(enabling.epid)",
                                    verboseLog: settings.verifierLog, explainsRefusal: explainsRefusal)
            if settings.verifierLog { errors.write(loaded.verifierLog); errors.flush() }
        } catch {
            if settings.verifierLog { errors.write(error.log) }
            var reason = Self.verifierReason(error.log)
            if error.error.isTooLarge {
                reason = "the clause is too complex for the verifier (it stops at 1,000,000 processed instructions; split the clause or lower strsize)"
            }
            if reason.contains("cannot use helper bpf_probe_write_user") {
                // Kernel lockdown (integrity or confidentiality) withholds the helper.
                throw KernelEngineError("copyout() and copyoutstr() cannot work in the kernel engine here: the kernel refuses BPF writes to user memory (kernel lockdown); with -c or -p, -x engine=ptrace writes the process's memory")
            }
            throw KernelEngineError("failed to enable probe \(identity.fullName) (clause at line \(clause.line)): BPF verifier rejected the program: \(reason.isEmpty ? error.error.description : reason)\(settings.verifierLog ? "" : " (use -x bpflog for the verifier's log)")")
        }
        if site.sharedProbes == nil && !(site.prologue is ReplayPrologue) { programs[enabling.epid] = loaded }
        return loaded
    }

    /// The verifier's reason: the last non-empty line of its log that is not a summary.
    static func verifierReason(_ log: String) -> String {
        let lines = log.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("processed ") && !$0.hasPrefix("verification time") && !$0.hasPrefix("stack depth") }
        return lines.last ?? ""
    }

    /// Attaches every enabling whose provider attaches it (not BEGIN, END and ERROR,
    /// which dtrace test-runs).
    public func attach() throws {
        // Before the return probes: a deferred string is sent before the return's records.
        if let stringCompletion {
            do {
                if stringCompletionExits.isEmpty {
                    try attachments.attachRawTracepoint("sys_exit", program: stringCompletion)
                } else {
                    for event in stringCompletionExits { try attachments.attachTracepoint(group: "syscalls", event: event, program: stringCompletion) }
                }
            } catch let error as SystemError {
                throw KernelEngineError("failed to attach the reader of system call strings: \(Self.explain(error))")
            } catch {
                throw KernelEngineError("failed to attach the reader of system call strings: \(error)")
            }
        }
        for (program, event) in replayPrograms {
            do { try attachments.attachTracepoint(group: "syscalls", event: event, program: program) } catch let error as SystemError {
                throw KernelEngineError("failed to attach the clauses run again at system call returns: \(Self.explain(error))")
            } catch {
                throw KernelEngineError("failed to attach the clauses run again at system call returns: \(error)")
            }
        }
        for enabling in enablings where (clauseChains[enabling.epid]?.index ?? 0) == 0 {
            guard let loaded = programs[enabling.epid], let attach = kernelProbes[enabling.epid]?.attach else { continue }
            do {
                try attach(loaded, attachments)
            } catch let error as SystemError {
                throw KernelEngineError("failed to enable probe \(enabling.probe.identity.fullName): \(Self.explain(error))")
            } catch {
                throw KernelEngineError("\(error)")
            }
        }
        try attachShared(sharedPrograms)
    }

    /// Attaches shared programs to their members' sites. Clause order is firing order:
    /// where the kernel runs a site's programs newest first, those clauses are attached
    /// last to first.
    func attachShared(_ shared: [(program: BPFProgram, members: [Enabling], sharing: SharedAttachment)]) throws {
        let ordered = shared.filter { !$0.sharing.runsNewestFirst } + shared.filter(\.sharing.runsNewestFirst).reversed()
        for shared in ordered {
            do {
                try shared.sharing.attach(shared.program, shared.members.map { ($0.probe, siteCookies[$0.epid] ?? []) }, attachments)
            } catch let error as SystemError {
                throw KernelEngineError("failed to enable probe \(shared.members[0].probe.identity.fullName): \(Self.explain(error))")
            } catch {
                throw KernelEngineError("\(error)")
            }
        }
    }

    // MARK: probes added while tracing

    /// Enables more probes while tracing (those of a library a traced process has just
    /// loaded), each for its clause: probes of providers that share programs only (pid,
    /// USDT), each given rows of the shared probe table kept free for them and attached
    /// to its clause's program for its kind, loaded now if the clause has none. Returns
    /// the enablings, numbered after the others.
    public func add(_ probes: [(clause: Int, probe: Probe)]) throws -> [Enabling] {
        guard let table = sharedProbeTable else { throw KernelEngineError("no probes can be added: the probe table was made without room") }
        var added: [Enabling] = []
        var groupOrder: [String] = []
        var groups: [String: [Enabling]] = [:]
        for (clause, probe) in probes {
            let enabling = Enabling(epid: enablings.count + added.count + 1, clause: clause, probe: probe)
            let kernelProbe: KernelProbe
            do { kernelProbe = try probe.provider.kernelProbe(for: probe, in: setup) } catch { throw KernelEngineError(error.description) }
            guard let sharing = kernelProbe.sharing, sharing.keyOfProbe == nil else {
                throw KernelEngineError("probe \(probe.identity.fullName) cannot be added while tracing")
            }
            kernelProbes[enabling.epid] = kernelProbe
            added.append(enabling)
            let key = "\(clause)/\(sharing.key)"
            if groups[key] == nil { groupOrder.append(key) }
            groups[key, default: []].append(enabling)
        }
        let rowsNeeded = added.reduce(0) { $0 + kernelProbes[$1.epid]!.sharing!.siteData($1.probe).count }
        guard Int(nextProbeRow) + rowsNeeded <= table.capacity else {
            throw KernelEngineError("\(added.count) probes cannot be added: the probe table has \(table.capacity - Int(nextProbeRow)) rows left")
        }
        enablings += added
        let rows = SharedProbeTable(descriptor: table.descriptor, nameWidth: probeTableNameWidth)
        var toAttach: [(program: BPFProgram, members: [Enabling], sharing: SharedAttachment)] = []
        for key in groupOrder {
            let members = groups[key]!
            let sharing = kernelProbes[members[0].epid]!.sharing!
            for enabling in members {
                var cookies: [UInt64] = []
                for data in sharing.siteData(enabling.probe) {
                    do {
                        try table.update(withUnsafeBytes(of: nextProbeRow.littleEndian) { Array($0) }, rows.value(for: enabling.probe.identity, epid: enabling.epid, siteData: data))
                    } catch { throw KernelEngineError("failed to enable probe \(enabling.probe.identity.fullName): \(Self.explain(error))") }
                    cookies.append(UInt64(nextProbeRow))
                    nextProbeRow += 1
                }
                siteCookies[enabling.epid] = cookies
            }
            // The clause's program for this kind serves them when it starts the firing as
            // they do (this-> variables are zeroed by the first clause of a probe).
            let starts = members.allSatisfy(startsFiring)
            if let index = sharedPrograms.firstIndex(where: { shared in
                shared.members[0].clause == members[0].clause && shared.sharing.key == sharing.key && shared.members.allSatisfy(startsFiring) == starts
            }) {
                sharedPrograms[index].members += members
                toAttach.append((sharedPrograms[index].program, members, sharing))
            } else {
                try loadShared(members, table: rows, keyBase: 0, maps: maps, settings: settings)
                toAttach.append(sharedPrograms[sharedPrograms.count - 1])
            }
        }
        try attachShared(toAttach)
        return added
    }

    /// Watches process `site.processID`'s dynamic linker at `site` (where it says its list
    /// of objects changes): each time, a record tells the consumer (`linkerActivity`,
    /// from `drain()`), and with `stopping` the process stops itself (SIGSTOP) until the
    /// consumer has enabled the probes of what it loaded and continues it. Once the probes
    /// are stopped the watch does nothing, and `continueProcess` runs when it is detached
    /// (a stop not yet handled must not outlive dtrace).
    public func watchLinker(at site: UprobeSite, stopping: Bool, continueProcess: @escaping () -> Void) throws {
        var asm = BPFAssembler()
        let done = asm.newLabel()
        asm.load(.r1, mapValue: globals.descriptor)
        asm.load(.r2, from: .r1, offset: Int16(layout.exitFlagOffset), size: .double)
        asm.jump(.jeq, .r2, immediate: Int32(KernelLayout.exitFlagStopped), done)
        if stopping {
            asm.load(.r1, constant: Int64(SignalNumber.stop))
            asm.call(.sendSignal)
        }
        // The record: a header of kind linkerActivity, then the process's ID.
        asm.call(.getCurrentPIDTGID)
        asm.alu64(.rsh, .r0, immediate: 32)
        asm.store(.r0, to: .r10, offset: -8, size: .double)
        asm.store(immediate: RecordHeader.Kind.linkerActivity.rawValue, to: .r10, offset: -24, size: .double)
        asm.store(immediate: 0, to: .r10, offset: -16, size: .double)
        asm.load(.r1, mapDescriptor: records.descriptor)
        asm.move(.r2, .r10)
        asm.alu64(.add, .r2, immediate: -24)
        asm.load(.r3, constant: Int64(ProcessReport.recordSize))
        asm.load(.r4, constant: 2)   // BPF_RB_FORCE_WAKEUP
        asm.call(.ringbufOutput)
        asm.bind(done)
        asm.load(.r0, constant: 0)
        asm.exit()
        if stopping { continueWatchedProcess = continueProcess }
        do {
            let multi = settings.uprobesThroughMultiLinks
            let watch = try BPFProgram(type: .kprobe, attachType: multi ? .uprobeMulti : .unspecified, instructions: try asm.assemble().flatMap(\.bytes), name: "dt_linker")
            try attachments.attachUprobes([(site: site, cookie: 0)], program: watch, throughMultiLinks: multi)
            linkerWatch = watch
        } catch let error as SystemError {
            throw KernelEngineError("failed to watch the dynamic linker of process \(site.processID): \(Self.explain(error))")
        }
    }

    /// Makes every kernel clause but the dtrace provider's return at once (the exit flag),
    /// so nothing more is traced while END runs and the output is printed. Clauses may be
    /// writing globals meanwhile, so the flag is set by a program storing that one word
    /// (a write of the whole value from here could undo theirs).
    public func stopProbes() {
        var asm = BPFAssembler()
        asm.load(.r1, mapValue: globals.descriptor)
        asm.store(immediate: Int32(KernelLayout.exitFlagStopped), to: .r1, offset: Int16(layout.exitFlagOffset), size: .double)
        asm.load(.r0, constant: 0)
        asm.exit()
        do {
            let stopper = try BPFProgram(type: .rawTracepoint, instructions: try asm.assemble().flatMap(\.bytes), name: "dt_stop")
            _ = try stopper.testRun(arguments: [0, 0, 0, 0, 0, 0])
        } catch {
            setExitFlag(KernelLayout.exitFlagStopped)
        }
    }

    /// Runs BEGIN's clauses (if any), then lets the other probes' clauses run: until then
    /// the exit flag holds them back, so no clause sees state BEGIN has yet to set. An
    /// exit() in BEGIN leaves them stopped.
    /// BEGIN's records are consumed as they come, but a system() command waits, with every
    /// record after it, until the probes run (as in DTrace, what the command does is traced).
    public func begin() {
        holdingForProbes = true
        if let probe = dtraceProbe("BEGIN") { fire(probe) }
        if exitFlag == KernelLayout.exitFlagNotStarted { setExitFlag(0) }
        holdingForProbes = false
        drain()
    }

    /// The globals' exit flag: exitFlagNotStarted until BEGIN has run, exitFlagStopped once
    /// a clause called exit() or the probes were stopped, 0 while they run.
    var exitFlag: UInt8? {
        guard let value = globals.lookup([0, 0, 0, 0]) else { return nil }
        return UInt8(truncatingIfNeeded: RecordReader.integer(value, at: layout.exitFlagOffset, size: 8))
    }

    func setExitFlag(_ flag: UInt8) {
        guard var value = globals.lookup([0, 0, 0, 0]) else { return }
        value[layout.exitFlagOffset] = flag
        try? globals.update([0, 0, 0, 0], value)
    }

    /// Detaches every probe (closing the perf events) and releases the programs.
    public func detach() {
        linkerWatch = nil
        attachments.detachAll()
        continueWatchedProcess?()
        continueWatchedProcess = nil
        programs.removeAll()
        sharedPrograms.removeAll()
        clauseChains.removeAll()
    }

    // MARK: dtrace provider

    /// Runs END's clauses (after the records still waiting for strings are let go, and
    /// the clauses waiting to run again are reported).
    public func end() {
        drain()
        releaseHeldRecords()
        reportPendingReplays()
        if let probe = dtraceProbe("END") { fire(probe) }
    }

    /// dtrace:::`name`, when a clause enables it.
    func dtraceProbe(_ name: String) -> Probe? {
        enablings.first { DTraceProvider.isProbe($0.probe.identity, named: name) }?.probe
    }

    /// Runs the clauses of a dtrace-provider probe (BEGIN, END, ERROR) on this CPU. As in
    /// DTrace (and the user engine), once exit() is asked for (by a clause or the ERROR
    /// probe a fault fired) BEGIN's remaining clauses do not run; END's and ERROR's do.
    public func fire(_ probe: Probe, arguments: [UInt64] = []) {
        let padded = (arguments + Array(repeating: 0, count: 6)).prefix(6).map { $0 }
        // One CPU for every clause: they share its this-> variables.
        let cpu = ProcessIdentity.currentCPU
        for enabling in enablings where enabling.probe.identity.id == probe.identity.id {
            if probe.identity.name != "END" && probe.identity.name != "ERROR" && (exitRequested || exitFlag == KernelLayout.exitFlagStopped) { break }
            guard let loaded = programs[enabling.epid] else { continue }
            do { _ = try loaded.testRun(arguments: padded, cpu: cpu) } catch {
                errors.write("dtrace: failed to run \(probe.identity.fullName): \(error)\n")
            }
            // A fault fires ERROR before the next clause runs (its exit() stops BEGIN's).
            if ring.contains(where: { RecordHeader($0)?.kind == .fault }) { drain() }
        }
        // The firing's records are read when its clauses are done, as DTrace's consumer
        // reads the buffer after (those the ring has no room for are drops).
        drain()
    }

    // MARK: consuming

    public var exitRequested: Bool { consumer.exitStatus != nil }

    /// Waits for records, `other` or a throttled profile clock (restarted at once).
    public func wait(milliseconds: Int32, alsoWakingOn other: Int32 = -1) {
        var timeout = milliseconds
        if let due = attachments.nextClockRestart {
            timeout = min(timeout, Int32(clamping: max(0, due - SystemClock.monotonicNanoseconds() + 999_999) / 1_000_000))
        }
        ring.wait(milliseconds: timeout, alsoWakingOn: (other >= 0 ? [other] : []) + attachments.clockDescriptors)
        attachments.restartThrottledClocks(now: SystemClock.monotonicNanoseconds())
    }

    /// Hands every pending record to the consumer; faults print DTrace's error line and
    /// fire ERROR.
    public func drain() {
        var faults: [(epid: Int, fault: Fault)] = []
        var linkerProcesses: Set<Int32> = []
        var staleDrops: [Int32: Int64] = [:]
        ring.drain(holdingBack: { buffer in
            guard holdingForProbes, let header = RecordHeader(buffer), header.kind == .data, header.epid >= 1, header.epid <= enablings.count else { return false }
            return consumer.program.clauses[enablings[header.epid - 1].clause].record.actions.contains { $0.output.waitsForProbes }
        }) { buffer in
            if let header = RecordHeader(buffer), header.kind == .linkerActivity {
                if let report = ProcessReport(buffer) { linkerProcesses.insert(report.processID) }
                return
            }
            if let header = RecordHeader(buffer), header.kind == .deferredString {
                if let fault = complete(header.speculation, with: buffer) { faults.append(fault) }
                return
            }
            guard let header = RecordHeader(buffer), header.epid >= 1, header.epid <= enablings.count else { return }
            let enabling = enablings[header.epid - 1]
            switch header.kind {
            case .commit, .discard:
                let held = speculationBuffers.removeValue(forKey: header.speculation) ?? []
                speculationRoom.free(header.speculation)
                guard header.kind == .commit else { return }
                for record in held {
                    consumer.consume(clause: record.enabling.clause, probe: record.enabling.probe.identity, cpu: record.cpu, bytes: record.bytes)
                }
            case .process:
                if let report = ProcessReport(buffer) { consumer.userSymbols.remember(report.processID) }
            case .linkerActivity:
                break
            case .deferredData:
                if consumer.exitStatus != nil { return }
                let (reads, ticket) = DeferredStrings.pending(header.speculation)
                // A record still holding this ticket (reused after 2^16 of its CPU's
                // deferrals) lost its string to a full buffer: it is a drop.
                if let stale = heldRecords[ticket] { staleDrops[stale.cpu, default: 0] += 1 } else { heldOrder.append(ticket) }
                heldRecords[ticket] = HeldRecord(enabling: enabling, cpu: header.cpu, bytes: RecordHeader.payload(of: buffer), awaited: reads, fault: nil)
            case .deferredString:
                break
            case .fault:
                guard let report = FaultReport(buffer) else { return }
                let kind = FaultKind(rawValue: Int(report.kind)) ?? .illegalOperation
                faults.append((header.epid, Fault(kind: kind, address: report.address, instruction: Int(report.offset) / 4, action: Int(report.action))))
            case .data:
                if consumer.exitStatus != nil && !(enabling.probe.provider is DTraceProvider) { return }
                if header.speculation != 0 {
                    let size = consumer.program.clauses[enabling.clause].record.speculatedSize
                    guard speculationRoom.admit(size, to: header.speculation, limit: consumer.program.speculationSize) else { return }
                    speculationBuffers[header.speculation, default: []].append((enabling, header.cpu, RecordHeader.payload(of: buffer)))
                    return
                }
                consumer.consume(clause: enabling.clause, probe: enabling.probe.identity, cpu: header.cpu, bytes: RecordHeader.payload(of: buffer))
            }
        }
        consumer.flush()
        for (cpu, count) in staleDrops.sorted(by: { $0.key < $1.key }) { consumer.reportDrops(count, of: .records, cpu: Int(cpu), errors: errors) }
        if !linkerProcesses.isEmpty { linkerActivity?(linkerProcesses) }
        report(faults)
    }

    /// Prints each fault's error line and fires ERROR for it.
    func report(_ faults: [(epid: Int, fault: Fault)]) {
        for (epid, fault) in faults {
            errorCount += 1
            let enabling = enablings[epid - 1]
            consumer.reportFault(clause: enabling.clause, probe: enabling.probe.identity, fault: fault, errors: errors)
            if DTraceProvider.isProbe(enabling.probe.identity, named: "ERROR") { continue }
            if let errorProbe = enablings.first(where: { DTraceProvider.isProbe($0.probe.identity, named: "ERROR") })?.probe {
                fire(errorProbe, arguments: enabling.errorProbeArguments(fault).map { UInt64(bitPattern: $0) })
            }
        }
    }

    /// A string read at its call's return, put into the record that waits for it; the
    /// record is consumed once it has all its strings, or its fault returned when one
    /// could not be read.
    func complete(_ ticket: UInt32, with buffer: UnsafeRawBufferPointer) -> (epid: Int, fault: Fault)? {
        guard var held = heldRecords[ticket], buffer.count >= DeferredStrings.completionStringOffset else { return nil }
        let slot = Int(buffer.loadUnaligned(fromByteOffset: DeferredStrings.completionSlotOffset, as: UInt32.self))
        let status = Int(buffer.loadUnaligned(fromByteOffset: DeferredStrings.completionStatusOffset, as: Int32.self))
        let room = min(layout.stringSize + 1, held.bytes.count - slot)
        if status > 0, room > 0, buffer.count >= DeferredStrings.completionStringOffset + min(status, room) {
            let length = min(status, room)
            for index in 0..<length { held.bytes[slot + index] = buffer[DeferredStrings.completionStringOffset + index] }
            held.bytes[slot + length - 1] = 0
            for index in length..<room { held.bytes[slot + index] = 0 }
        } else if held.fault == nil {
            held.fault = Self.deferredFault(in: held.bytes, slot: slot)
        }
        held.awaited -= 1
        guard held.awaited <= 0 else { heldRecords[ticket] = held; return nil }
        heldRecords[ticket] = nil
        heldOrder.removeAll { $0 == ticket }
        if let fault = held.fault { return (held.enabling.epid, fault) }
        consumer.consume(clause: held.enabling.clause, probe: held.enabling.probe.identity, cpu: held.cpu, bytes: held.bytes)
        return nil
    }

    /// The fault a deferred slot stands for: the address and the action and DIF position
    /// the entry's read would have faulted at (DeferredStrings' slot layout).
    static func deferredFault(in bytes: [UInt8], slot: Int) -> Fault {
        func field(_ offset: Int, _ size: Int) -> Int64 {
            guard slot + offset + size <= bytes.count else { return 0 }
            return RecordReader.integer(bytes, at: slot + offset, size: size)
        }
        return Fault(kind: .badAddress, address: field(DeferredStrings.slotAddressOffset, 8),
                     instruction: Int(field(DeferredStrings.slotPositionOffset, 4)) / 4, action: Int(field(DeferredStrings.slotActionOffset, 4)))
    }

    /// Records still waiting for strings when tracing ends: one whose call has not
    /// returned (its read still pending in the map) is its entry's fault; one whose
    /// string was sent but found the buffer full is a drop, as the record itself would be.
    public func releaseHeldRecords() {
        guard !heldOrder.isEmpty else { return }
        var stillPending: Set<UInt32> = []
        if let pendingStrings {
            for key in pendingStrings.keys(limit: DeferredStrings.threads) {
                guard let value = pendingStrings.lookup(key), value.count >= DeferredStrings.valueSize else { continue }
                let count = min(Int(RecordReader.integer(value, at: 0, size: 8)), DeferredStrings.entriesPerThread)
                for entry in 0..<max(0, count) {
                    stillPending.insert(UInt32(truncatingIfNeeded: RecordReader.integer(value, at: 8 + entry * DeferredStrings.entrySize + 8, size: 4)))
                }
            }
        }
        var faults: [(epid: Int, fault: Fault)] = []
        var drops: [Int32: Int64] = [:]
        for ticket in heldOrder {
            guard let held = heldRecords[ticket] else { continue }
            guard stillPending.contains(ticket) || held.fault != nil else {
                drops[held.cpu, default: 0] += 1
                continue
            }
            let slot = deferredSlots[held.enabling.clause]?.first { offset in
                offset + DeferredStrings.minimumSlot <= held.bytes.count && held.bytes[offset] == 0
                    && RecordReader.integer(held.bytes, at: offset + DeferredStrings.slotAddressOffset, size: 8) != 0
            }
            faults.append((held.enabling.epid, held.fault ?? Self.deferredFault(in: held.bytes, slot: slot ?? 0)))
        }
        heldRecords.removeAll()
        heldOrder.removeAll()
        for (cpu, count) in drops.sorted(by: { $0.key < $1.key }) { consumer.reportDrops(count, of: .records, cpu: Int(cpu), errors: errors) }
        report(faults)
    }

    /// Entry clauses still waiting to run again when tracing ends (their calls have not
    /// returned): each is its entry's fault, as the read would have been there.
    public func reportPendingReplays() {
        guard let replayedThreads else { return }
        let byBit = Dictionary(uniqueKeysWithValues: replaySites.map { ($0.value.bit, $0.key) })
        var faults: [(epid: Int, fault: Fault)] = []
        for key in replayedThreads.keys(limit: ReplayedClauses.threads) {
            guard let value = replayedThreads.lookup(key), value.count >= ReplayedClauses.valueSize else { continue }
            let bits = UInt64(bitPattern: RecordReader.integer(value, at: 0, size: 8))
            guard bits != 0 else { continue }
            let fault = Fault(kind: .badAddress, address: RecordReader.integer(value, at: ReplayedClauses.addressOffset, size: 8),
                              instruction: Int(RecordReader.integer(value, at: ReplayedClauses.positionOffset, size: 4)) / 4,
                              action: Int(RecordReader.integer(value, at: ReplayedClauses.actionOffset, size: 4)))
            for bit in 0..<64 where bits & (1 << UInt64(bit)) != 0 {
                if let epid = byBit[bit] { faults.append((epid, fault)) }
            }
        }
        report(faults.sorted { $0.epid < $1.epid })
    }

    /// Prints DTrace's drop messages for drops counted since the last report: of records
    /// and dynamic variables (`records`), of aggregation entries (`aggregations`); dtrace
    /// reads them at statusrate and aggrate.
    public func reportDrops(records: Bool = true, aggregations: Bool = true) {
        guard let values = scratch.lookup([0, 0, 0, 0]) else { return }
        let stride = (layout.scratchSize + 7) & ~7
        var dynamic: Int64 = 0, failedSpeculations: Int64 = 0, speculativeDrops = speculationRoom.drops
        for cpu in 0..<SystemCPUs.possible where (cpu + 1) * stride <= values.count {
            func counter(_ offset: Int) -> Int64 { RecordReader.integer(values, at: cpu * stride + offset, size: 8) }
            let drops = counter(layout.recordDropsOffset)
            if records, drops > reportedDrops[cpu, default: 0] {
                let fresh = drops - reportedDrops[cpu, default: 0]
                consumer.reportDrops(fresh, of: .records, cpu: cpu, errors: errors)
                reportedDrops[cpu] = drops
            }
            dynamic += counter(layout.dynamicDropsOffset)
            // Aggregation drops are the CPU's, as DTrace reports them.
            let aggregation = counter(layout.aggregationDropsOffset)
            if aggregations, aggregation > reportedAggregationDrops[cpu, default: 0] {
                consumer.reportDrops(aggregation - reportedAggregationDrops[cpu, default: 0], of: .aggregations, cpu: cpu, errors: errors)
                reportedAggregationDrops[cpu] = aggregation
            }
            failedSpeculations += counter(layout.failedSpeculationsOffset)
            speculativeDrops += counter(layout.speculativeDropsOffset)
        }
        if records, dynamic > reportedDynamicDrops {
            let fresh = dynamic - reportedDynamicDrops
            consumer.reportDrops(fresh, of: .dynamicVariables, errors: errors)
            reportedDynamicDrops = dynamic
        }
        if records, failedSpeculations > reportedFailedSpeculations {
            let fresh = failedSpeculations - reportedFailedSpeculations
            consumer.reportDrops(fresh, of: .failedSpeculations, errors: errors)
            reportedFailedSpeculations = failedSpeculations
        }
        if records, speculativeDrops > reportedSpeculativeDrops {
            consumer.reportDrops(speculativeDrops - reportedSpeculativeDrops, of: .speculativeDrops, errors: errors)
            reportedSpeculativeDrops = speculativeDrops
        }
        errors.flush()
    }

    // MARK: AggregationBackend

    public func refresh() {
        for (id, descriptor) in program.aggregations.enumerated() {
            let map = aggregationMaps[id]
            // Kernel keys naming the same symbol add up under one key.
            var normalized: [[UInt8]: AggregationValue] = [:]
            var normalizedOrder: [[UInt8]] = []
            // With aggpercpu: each stored key's parts, those of kernel keys merged into it added up.
            var partsOfKey: [[UInt8]: [Int: AggregationValue]] = [:]
            defer {
                for key in normalizedOrder { consumer.aggregations.replace(id, key: key, with: normalized[key]!) }
                for (key, parts) in partsOfKey { consumer.aggregations.replaceParts(id, key: key, with: parts) }
            }
            // Each CPU's partial value is its own entry, keyed by the D key and the CPU.
            let keySize = KernelLayout.aggregationKeySize(descriptor)
            var partials: [[UInt8]: [(cpu: Int, value: [UInt8])]] = [:]
            var keyOrder: [[UInt8]] = []
            for (mapKey, value) in map.entries() where mapKey.count == keySize + 8 {
                let key = Array(mapKey.prefix(keySize))
                let cpu = Int(RecordReader.integer(mapKey, at: keySize, size: 8))
                if partials[key] == nil { keyOrder.append(key) }
                partials[key, default: []].append((cpu, value))
            }
            for key in keyOrder {
                // Each CPU's partial value, merged as the function merges its words.
                let function = descriptor.function, words = function.wordCount
                var merged = AggregationValue(function)
                var parts: [Int: AggregationValue] = [:]
                for (cpu, value) in partials[key]! where value.count >= 8 * words {
                    let partial = AggregationValue(words: (0..<words).map { RecordReader.integer(value, at: 8 * $0, size: 8) })
                    merged.absorb(partial, function)
                    // A CPU's entry zeroed by clear() (or just made) is all zeroes.
                    if consumer.aggregations.keepsPerCPU && partial.words.contains(where: { $0 != 0 }) { parts[cpu] = partial }
                }
                let stored = Array(key.prefix(descriptor.keySize))
                if consumer.aggregations.keepsPerCPU {
                    let storedKey = consumer.aggregations.storedKey(id, stored)
                    if let earlier = partsOfKey[storedKey] {
                        partsOfKey[storedKey] = earlier.merging(parts) { a, b in var sum = a; sum.absorb(b, function); return sum }
                    } else {
                        partsOfKey[storedKey] = parts
                    }
                }
                if consumer.aggregations.normalizesKeys[id] {
                    let normal = consumer.aggregations.storedKey(id, stored)
                    if normalized[normal] == nil { normalizedOrder.append(normal); normalized[normal] = merged } else { normalized[normal]!.absorb(merged, descriptor.function) }
                } else {
                    consumer.aggregations.replace(id, key: stored, with: merged)
                }
            }
        }
    }

    /// The program counters of a recorded stack (StackSource). The id's low 31 bits are
    /// the stack map's; bits 31-62, when not 0, key the caller a pid entry probe read from
    /// the top of the stack (`nameEntryCaller`), which goes second unless the kernel's
    /// walk put it there already.
    public func frames(ofStack id: Int64) -> [UInt64] {
        guard let map = stackMap, id >= 0 else { return [] }
        let key = withUnsafeBytes(of: UInt32(truncatingIfNeeded: id & 0x7fff_ffff).littleEndian) { Array($0) }
        guard let value = map.lookup(key) else { return [] }
        var frames: [UInt64] = []
        for index in 0..<(value.count / 8) {
            let frame = UInt64(bitPattern: RecordReader.integer(value, at: index * 8, size: 8))
            if frame == 0 { break }
            frames.append(frame)
        }
        let callerKey = UInt32(truncatingIfNeeded: id >> 31)
        if callerKey != 0, !frames.isEmpty, let caller = entryCaller(callerKey), frames.count < 2 || frames[1] != caller {
            frames.insert(caller, at: 1)
        }
        return frames
    }

    /// The entry caller under `key` in the entry-callers map (kept once read: an address,
    /// once under its key, stays).
    func entryCaller(_ key: UInt32) -> UInt64? {
        if let known = entryCallers[key] { return known }
        guard let map = entryCallerMap, let value = map.lookup(withUnsafeBytes(of: key.littleEndian) { Array($0) }), value.count == 8 else { return nil }
        let caller = UInt64(bitPattern: RecordReader.integer(value, at: 0, size: 8))
        entryCallers[key] = caller
        return caller
    }

    public func cleared(_ aggregation: Int) {
        let map = aggregationMaps[aggregation]
        let zero = [UInt8](repeating: 0, count: map.lookupSize)
        for key in map.keys() { try? map.update(key, zero) }
    }

    public func truncated(_ aggregation: Int, keeping keys: [[UInt8]]) {
        let map = aggregationMaps[aggregation]
        let kept = Set(keys)
        let keySize = consumer.aggregations.descriptors[aggregation].keySize
        // Every CPU's entry of a key not kept, each taken from its CPU's count.
        let cpuOffset = KernelLayout.aggregationKeySize(consumer.aggregations.descriptors[aggregation])
        for key in map.keys() where key.count == cpuOffset + 8 && !kept.contains(consumer.aggregations.storedKey(aggregation, Array(key.prefix(keySize)))) {
            guard map.deleteIfPresent(key) else { continue }
            let cpu = Int(RecordReader.integer(key, at: cpuOffset, size: 8))
            if cpu >= 0, cpu < SystemCPUs.possible { aggregationEntries?.subtract(1, at: aggregation * SystemCPUs.possible + cpu) }
        }
    }
}
