// DTraceCodegen/ProbeContext: the one standard probe context every clause reads, and the
// contract between the code generator and a provider's kernel-side prologue.
//
// A provider describes its probe's program by a `ProbePrologue`: code that runs first
// (a filter that leaves early for firings that are not this probe's), then code that
// fills the context slots the clause reads — arg0..arg9 (and args[i]), errno, the
// address of the probe's argument record, and the current task when the clause runs as
// a thread other than the running one. Clause code reads only these slots; it never
// knows which provider filled them. Slots are filled on demand (`ContextDemand`, found
// by a scan of the clause), so a clause that reads no argument pays for none.
//
// The context lives in per-CPU scratch (`KernelLayout.probeContextOffset`): u64 slots
// for arg0..arg9, then errno, the argument record's address, the task pointer and (in
// programs that serve many probes) the firing's EPID.

import DTraceBPF
import DTraceIR

/// What a clause reads of its probe's context.
public struct ContextDemand: Sendable, Equatable {
    /// Arguments read by number (arg0..arg9, args[N] with a constant N).
    public var arguments: Set<Int> = []
    /// args[i] with a computed index: every argument the probe has.
    public var everyArgument = false
    public var errno = false
    public var argumentRecord = false
    /// Built-ins that describe a thread (pid, tid, execname...): a prologue whose
    /// clauses run as another task stores that task's pointer.
    public var task = false
    /// The user stack (ustack(), ucaller, ustackdepth): a prologue at a function's first
    /// instruction stores its caller's return address (`ProbePrologue.providesEntryCaller`).
    public var userStack = false

    public init() {}

    /// Whether argument `index` must be in the context.
    public func needsArgument(_ index: Int) -> Bool { everyArgument || arguments.contains(index) }

    /// The demand of one clause: every built-in and argument its IR reads.
    public static func of(_ function: IRFunction) -> ContextDemand {
        var demand = ContextDemand()
        for instruction in function.instructions {
            guard case .call(let helper, _, _) = instruction else { continue }
            switch helper {
            case .readArgument: demand.everyArgument = true
            case .stackID(user: true): demand.userStack = true
            case .readBuiltin(let variable):
                switch variable {
                case .arg0, .arg1, .arg2, .arg3, .arg4, .arg5, .arg6, .arg7, .arg8, .arg9:
                    demand.arguments.insert(Int(variable.rawValue.dropFirst(3))!)
                case .errno: demand.errno = true
                case .argumentRecord: demand.argumentRecord = true
                case .pid, .tid, .ppid, .uid, .gid, .vtimestamp, .execname, .curthread: demand.task = true
                case .ucaller, .ustackdepth: demand.userStack = true
                default: break
                }
            default: break
            }
        }
        return demand
    }
}

/// Where the fields of a task_struct lie (from the kernel's BTF), for a probe whose
/// current thread is not the running one (sched:::on-cpu fires before the switch).
public struct TaskFieldOffsets: Sendable, Equatable {
    public var threadID: Int, processID: Int, commandName: Int, realParent: Int
    public var executionTime: Int?, credentials: Int?, userID: Int?, groupID: Int?
    public init(threadID: Int, processID: Int, commandName: Int, realParent: Int,
                executionTime: Int? = nil, credentials: Int? = nil, userID: Int? = nil, groupID: Int? = nil) {
        self.threadID = threadID; self.processID = processID; self.commandName = commandName; self.realParent = realParent
        self.executionTime = executionTime; self.credentials = credentials; self.userID = userID; self.groupID = groupID
    }
}

/// A field of the running task that uregs[] reads past the saved registers.
public struct ThreadRegisterField: Sendable, Equatable {
    public var offset: Int, size: Int
    public init(offset: Int, size: Int) { self.offset = offset; self.size = size }
}

/// A provider's code at the start of a probe's program.
public protocol ProbePrologue: Sendable {
    /// How many arguments the probe has: args[i] and argN beyond read 0.
    var argumentCount: Int { get }
    /// When the clause runs as a thread other than the running one: where that task's
    /// fields lie. The prologue then stores the task's pointer in the context.
    var currentTask: TaskFieldOffsets? { get }
    /// Whether the clause returns at once once tracing has stopped (exit() or the end);
    /// false for END and ERROR, which run after it.
    var stopsAfterExit: Bool { get }
    /// Code run first, before the clause's state is looked up: r6 holds the program's
    /// context; it may leave through `code.exit` and use the frame temporary (or `filterKey`).
    func emitFilter(_ code: inout PrologueCode)
    /// Fills the context slots `demand` names (r6 = context, r7 = scratch). The
    /// generator has zeroed every slot the clause reads beforehand.
    func emitContext(_ code: inout PrologueCode, demand: ContextDemand)
    /// In a program serving many probes: whether the prologue finds the firing's site
    /// itself (`emitSiteKey`) rather than by the attachment's cookie.
    var computesSiteKey: Bool { get }
    /// r0 = the firing's site key relative to its group's first key (r6 = context, r7 =
    /// scratch); it may leave through `code.exit` for a firing of no site.
    func emitSiteKey(_ code: inout PrologueCode)
    /// Whether the probe fires at a function's first instruction in user code, before the
    /// function has pushed its frame (a pid entry probe): the kernel's frame-pointer walk
    /// then starts at the caller's frame and misses the caller itself (unless the kernel
    /// notices, as Linux 6.12 does when the instruction is push %rbp or endbr64). Such a
    /// prologue stores the return address on top of the stack in the `entryCaller` slot
    /// when `demand.userStack`; ustack(), ucaller and ustackdepth put it second.
    var providesEntryCaller: Bool { get }
    /// Whether the probe fires in the kernel: false for the dtrace provider's probes, which
    /// dtrace runs itself (test runs from its bpf() calls), so their stack() is empty.
    var hasKernelStack: Bool { get }
    /// Whether argN is the context's u64 word N, as is (a raw tracepoint's arguments):
    /// in a typed program a clause then reads it from the context, where the verifier
    /// knows a pointer's kernel type.
    var argumentsAreContextWords: Bool { get }
}

extension ProbePrologue {
    public var currentTask: TaskFieldOffsets? { nil }
    public var stopsAfterExit: Bool { true }
    public func emitFilter(_ code: inout PrologueCode) {}
    public var computesSiteKey: Bool { false }
    public func emitSiteKey(_ code: inout PrologueCode) {}
    public var providesEntryCaller: Bool { false }
    public var hasKernelStack: Bool { true }
    public var argumentsAreContextWords: Bool { false }
}

/// What a prologue emits with: the assembler, the exit, and the context's slots.
public struct PrologueCode {
    public var asm: BPFAssembler
    /// Leaves the program (returns 0) without running the clause.
    public let exit: BPFLabel
    let contextOffset: Int
    /// The frame slot the prologue may use as a temporary.
    public static let frameTemporary: Int16 = BPFCodeGenerator.temporary
    /// 16 bytes of the frame a filter may use for a map key (fp-16..fp-1, the temporary
    /// and the slot below it): the clause's own frame slots are set after the filter.
    public static let filterKey: Int16 = BPFCodeGenerator.temporary - 8
    /// The program is typed (`ProbeSite.readsKernelDirectly`): a member of a structure an
    /// argument points to may be read with a plain load.
    public internal(set) var readsKernelDirectly = false

    init(asm: BPFAssembler, exit: BPFLabel, contextOffset: Int) {
        self.asm = asm; self.exit = exit; self.contextOffset = contextOffset
    }

    /// The scratch offset (from r7) of argument `index`'s slot.
    public func argumentSlot(_ index: Int) -> Int16 { Int16(contextOffset + 8 * index) }
    public var errnoSlot: Int16 { Int16(contextOffset + 8 * ProbeContextSlots.errno) }
    public var argumentRecordSlot: Int16 { Int16(contextOffset + 8 * ProbeContextSlots.argumentRecord) }
    public var taskSlot: Int16 { Int16(contextOffset + 8 * ProbeContextSlots.task) }
    public var entryCallerSlot: Int16 { Int16(contextOffset + 8 * ProbeContextSlots.entryCaller) }
    /// The firing's timestamp (0: read at its first use); a prologue may give it.
    public var timestampSlot: Int16 { Int16(contextOffset + 8 * ProbeContextSlots.timestamp) }
    /// The slot holding the firing site's key in the shared probe table.
    public var siteSlot: Int16 { Int16(contextOffset + 8 * ProbeContextSlots.site) }
    /// The shared probe table, in programs that serve many probes.
    public internal(set) var sharedProbes: SharedProbeTable?

    /// r0 = the firing site's entry in the shared probe table (never null: the program
    /// left before the prologue when it had none). Clobbers r1-r5.
    public mutating func lookupSite() {
        guard let table = sharedProbes else { asm.load(.r0, constant: 0); return }
        asm.load(.r1, mapDescriptor: table.descriptor)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(siteSlot))
        asm.call(.mapLookupElement)
        asm.jump(.jeq, .r0, immediate: 0, exit)
    }

    /// Stores `register` as argument `index`.
    public mutating func storeArgument(_ index: Int, from register: BPFRegister) {
        asm.store(register, to: .r7, offset: argumentSlot(index), size: .double)
    }

    /// Reads `size` bytes at kernel address (`register` + `offset`) into `slot` of
    /// `base` with probe_read_kernel (zero when the read fails). Clobbers r1-r3 and r0.
    public mutating func probeReadKernel(from register: BPFRegister, offset: Int32, size: Int64, into slot: Int16, of base: BPFRegister) {
        if register != .r3 { asm.move(.r3, register) }
        if offset != 0 { asm.alu64(.add, .r3, immediate: offset) }
        asm.move(.r1, base)
        asm.alu64(.add, .r1, immediate: Int32(slot))
        asm.load(.r2, constant: size)
        asm.store(immediate: 0, to: base, offset: slot, size: .double)
        asm.call(.probeReadKernel)
    }
}

/// The slots of the standard probe context after arg0..arg9.
public enum ProbeContextSlots {
    public static let arguments = 10
    public static let errno = 10
    public static let argumentRecord = 11
    public static let task = 12
    /// The EPID of this firing, in programs that serve many enablings (from the shared
    /// probe table), and the site that fired (the attach cookie: the table's key).
    public static let enabling = 13
    public static let site = 14
    /// This firing's timestamp, read at its first use (0 until then): every read of
    /// timestamp in a clause sees one time, as in DTrace.
    public static let timestamp = 15
    /// At a function's entry in user code: the caller's return address, read from the top
    /// of the stack (0: not read, or unreadable).
    public static let entryCaller = 16
    public static let count = 17
}
