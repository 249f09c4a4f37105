// DTraceProviders/LockstatProvider: DTrace's lockstat probes (IDs 200 +) that the
// kernel's lock contention tracepoints can express. Linux 5.19+ has two:
// lock:contention_begin(void *lock, unsigned int flags) when a thread starts waiting for a
// lock it could not take at once, and lock:contention_end(void *lock, int ret) when it
// stops (ret non-zero: it gave up, a signal or a timeout). The flags (LCB_F_SPIN 1,
// LCB_F_READ 2, LCB_F_WRITE 4, LCB_F_RT 8, LCB_F_PERCPU 16, LCB_F_MUTEX 32: as this
// kernel's tracefs format prints them) say which kind of lock:
//
// - adaptive-spin: a mutex spun on (MUTEX|SPIN: optimistic spinning) and then acquired,
//   args[1] the time spinning — until it was acquired, or until the thread went to sleep
//   on it (contention_begin again with MUTEX alone);
// - adaptive-block: a mutex slept on and acquired, args[1] the time asleep;
// - adaptive-acquire-error: a contended mutex_lock_interruptible/killable that failed,
//   args[1] the error (contention_end's ret);
// - spin-spin: a spinlock spun on (SPIN alone: queued_spin_lock_slowpath), args[1] the
//   time spinning;
// - rw-spin: a reader-writer spinlock (rwlock_t: SPIN with READ or WRITE), args[1] the
//   time, args[2] RW_READER or RW_WRITER;
// - rw-block: a reader-writer semaphore slept on (struct rw_semaphore: READ or WRITE
//   alone), args[1] the time, args[2] RW_READER or RW_WRITER.
//
// The times are measured per thread and lock: a program on contention_begin (loaded once
// per session, attached before any clause) records the start in an LRU hash keyed by
// (current task, lock address) — so a contention in an interrupt nested in another is
// told apart — and one on contention_end turns it into the time spun and the time
// blocked; the probes fire at contention_end, reading that entry. All fire only for
// contended acquisitions: the *-acquire and *-release probes (and rw-upgrade,
// rw-downgrade, thread-spin) need every lock and unlock, which only kprobes on the lock
// functions give (none here): descriptions naming them are refused in one line. rt_mutex
// (RT) and per-CPU semaphores (PERCPU) have no DTrace probe and are left out.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem

public struct LockstatProvider: Provider {
    public init() {}
    public var name: String { "lockstat" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes(names: "Private", data: "Private", dependency: "Unknown") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints], how: "raw lock contention tracepoints")
    }

    /// The contention flags (include/trace/events/lock.h).
    enum Flag {
        static let spin: UInt32 = 1, read: UInt32 = 2, write: UInt32 = 4, rt: UInt32 = 8, perCPU: UInt32 = 16, mutex: UInt32 = 32
        static let all: UInt32 = 0x3f
    }

    /// What a probe is of the contentions that end: the flags it began with, whether the
    /// lock was taken, and what args[1] is.
    struct Contention: Sendable, Equatable {
        enum Outcome: Sendable, Equatable { case acquired, failed }
        enum Measure: Sendable, Equatable { case spinTime, blockTime, error }
        var flags: [UInt32]
        var outcome: Outcome
        var measure: Measure
        /// args[2]: RW_READER (the READ flag) or RW_WRITER.
        var readerWriter = false
        var arguments: [ProbeArgument]
    }

    static let time = ProbeArgument.plain("uint64_t", argument: 1)
    static let readerWriter = ProbeArgument.plain("int", argument: 2)

    static let table: [(name: String, contention: Contention)] = [
        ("adaptive-block", Contention(flags: [Flag.mutex], outcome: .acquired, measure: .blockTime,
                                      arguments: [.plain("struct mutex *", argument: 0), time])),
        ("adaptive-spin", Contention(flags: [Flag.mutex | Flag.spin, Flag.mutex], outcome: .acquired, measure: .spinTime,
                                     arguments: [.plain("struct mutex *", argument: 0), time])),
        ("adaptive-acquire-error", Contention(flags: [Flag.mutex | Flag.spin, Flag.mutex], outcome: .failed, measure: .error,
                                              arguments: [.plain("struct mutex *", argument: 0), .plain("int", argument: 1)])),
        ("rw-block", Contention(flags: [Flag.read, Flag.write], outcome: .acquired, measure: .blockTime, readerWriter: true,
                                arguments: [.plain("struct rw_semaphore *", argument: 0), time, readerWriter])),
        ("rw-spin", Contention(flags: [Flag.spin | Flag.read, Flag.spin | Flag.write], outcome: .acquired, measure: .spinTime, readerWriter: true,
                               arguments: [.plain("rwlock_t *", argument: 0), time, readerWriter])),
        ("spin-spin", Contention(flags: [Flag.spin], outcome: .acquired, measure: .spinTime,
                                 arguments: [.plain("spinlock_t *", argument: 0), time])),
    ]

    /// DTrace's lockstat probes with nothing to stand on here, and why.
    static let missing: [String: String] = Dictionary(uniqueKeysWithValues: [
        "adaptive-acquire", "adaptive-release", "rw-acquire", "rw-release", "rw-upgrade", "rw-downgrade",
        "spin-acquire", "spin-release", "thread-spin",
    ].map { name in
        (name, "the kernel's lock tracepoints (lock:contention_begin, lock:contention_end) see only contended locks, and every \(name.hasSuffix("release") ? "release" : "acquisition") is seen only by kprobes on the lock functions; lockstat:::adaptive-spin, adaptive-block, adaptive-acquire-error, spin-spin, rw-spin and rw-block are here")
    })

    public func probes(in environment: ProbeEnvironment) -> [Probe] {
        guard let root = environment.tracefsRoot,
              Tracefs.eventID(root: root, group: "lock", event: "contention_begin") != nil,
              Tracefs.eventID(root: root, group: "lock", event: "contention_end") != nil else { return [] }
        return Self.table.enumerated().map { index, entry in makeProbe(id: 200 + index, module: "vmlinux", name: entry.name, detail: entry.contention) }
    }

    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] {
        probe.detail(as: Contention.self)?.arguments.map(\.type) ?? []
    }
    public var translatesArguments: Bool { true }
    public func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]? { probe.detail(as: Contention.self)?.arguments.map(\.expression) }

    public func matchFailure(for description: ProbeDescription, in environment: ProbeEnvironment) -> (tag: String, message: String)? {
        guard Glob.matches(description.provider, name), !description.name.isEmpty, !Glob.hasMeta(description.name) else { return nil }
        let reason: String
        if let known = Self.missing[description.name] {
            reason = known
        } else if Self.table.contains(where: { $0.name == description.name }), let root = environment.tracefsRoot,
                  let absent = ["contention_begin", "contention_end"].first(where: { Tracefs.eventID(root: root, group: "lock", event: $0) == nil }) {
            reason = "this kernel has no lock:\(absent) tracepoint, which it stands on (Linux 5.19 and later have it)"
        } else {
            return nil
        }
        return (DiagnosticTag.probeDescriptionNoMatch.rawValue, "probe description \(description) does not match any probes: \(name):::\(description.name) cannot work here: \(reason)")
    }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let contention = probe.detail(as: Contention.self) else { throw KernelSetupError("\(probe.identity.fullName) is not a lockstat probe") }
        let state: ContentionRecord
        if let existing = setup.providerState[name] as? ContentionRecord {
            state = existing
        } else {
            do { state = try ContentionRecord() } catch { throw KernelSetupError("lockstat: \(error)") }
            setup.providerState[name] = state
        }
        let prologue = ContentionEndPrologue(argumentCount: contention.arguments.count, record: state.map.descriptor, contention: contention)
        return KernelProbe(programType: .rawTracepoint, prologue: prologue) { program, attachments in
            try state.attachRecorders(attachments)
            try attachments.attachRawTracepoint("contention_end", program: program)
        }
    }
}

/// The contentions under way and just ended, per (task, lock): an LRU hash of
/// { start, flags (| ended), spin time, block time, ret }, kept by two programs on the
/// lock tracepoints that run before any clause's.
final class ContentionRecord {
    let map: BPFMap
    var recorders: [BPFProgram] = []

    /// The entry's layout.
    static let start: Int16 = 0, flags: Int16 = 8, spin: Int16 = 16, block: Int16 = 24, ret: Int16 = 32
    static let valueSize = 40
    /// In `flags`: the contention has ended (contention_end has been seen for it).
    static let ended: Int64 = 1 << 32
    /// The key (task, lock) on the recorders' stack, and the value they build.
    static let keyOffset: Int16 = -16, valueOffset: Int16 = -56

    init() throws(SystemError) {
        map = try BPFMap(type: .lruHash, keySize: 16, valueSize: Self.valueSize, capacity: 16384, name: "dt_lockstat")
    }

    /// Loads and attaches the recorders, once per session.
    func attachRecorders(_ attachments: KernelAttachments) throws {
        guard recorders.isEmpty else { return }
        for (event, code) in [("contention_begin", beginRecorder()), ("contention_end", endRecorder())] {
            let program: BPFProgram
            do {
                program = try BPFProgram(type: .rawTracepoint, instructions: try code.assemble().flatMap(\.bytes), name: "dt_lockstat_\(event.dropFirst(11))")
            } catch let error as BPFProgram.LoadError {
                throw KernelSetupError("lockstat: the kernel refused the \(event) recorder: \(error.error) \(error.log.split(separator: "\n").last ?? "")")
            }
            try attachments.attachRawTracepoint(event, program: program)
            recorders.append(program)
        }
    }

    /// r6 = context; the key (current task, lock) on the stack; r9 = now.
    private func emitKey(_ asm: inout BPFAssembler) {
        asm.move(.r6, .r1)
        asm.call(.getCurrentTask)
        asm.store(.r0, to: .frame, offset: Self.keyOffset, size: .double)
        asm.load(.r1, from: .r6, offset: 0, size: .double)
        asm.store(.r1, to: .frame, offset: Self.keyOffset + 8, size: .double)
        asm.call(.ktimeGetNanoseconds)
        asm.move(.r9, .r0)
        asm.load(.r1, mapDescriptor: map.descriptor)
        asm.move(.r2, .frame)
        asm.alu64(.add, .r2, immediate: Int32(Self.keyOffset))
        asm.call(.mapLookupElement)
    }

    /// contention_begin(lock, flags): a new entry started now; a mutex that spun and now
    /// sleeps (MUTEX|SPIN, then MUTEX alone) keeps the time it spun.
    func beginRecorder() -> BPFAssembler {
        var asm = BPFAssembler()
        let write = asm.newLabel()
        emitKey(&asm)
        asm.load(.r8, from: .r6, offset: 8, size: .double)
        asm.alu64(.lsh, .r8, immediate: 32)
        asm.alu64(.rsh, .r8, immediate: 32)
        asm.load(.r7, constant: 0)
        asm.jump(.jeq, .r0, immediate: 0, write)
        asm.load(.r1, from: .r0, offset: Self.flags, size: .double)
        asm.load(.r2, constant: Self.ended | Int64(LockstatProvider.Flag.mutex | LockstatProvider.Flag.spin))
        asm.alu64(.and, .r1, .r2)
        asm.jump(.jne, .r1, immediate: Int32(LockstatProvider.Flag.mutex | LockstatProvider.Flag.spin), write)
        asm.move(.r1, .r8)
        asm.alu64(.and, .r1, immediate: Int32(LockstatProvider.Flag.mutex | LockstatProvider.Flag.spin))
        asm.jump(.jne, .r1, immediate: Int32(LockstatProvider.Flag.mutex), write)
        asm.load(.r1, from: .r0, offset: Self.start, size: .double)
        asm.move(.r7, .r9)
        asm.alu64(.sub, .r7, .r1)
        asm.bind(write)
        let value = Self.valueOffset
        asm.store(.r9, to: .frame, offset: value + Self.start, size: .double)
        asm.store(.r8, to: .frame, offset: value + Self.flags, size: .double)
        asm.store(.r7, to: .frame, offset: value + Self.spin, size: .double)
        asm.store(immediate: 0, to: .frame, offset: value + Self.block, size: .double)
        asm.store(immediate: 0, to: .frame, offset: value + Self.ret, size: .double)
        asm.load(.r1, mapDescriptor: map.descriptor)
        asm.move(.r2, .frame)
        asm.alu64(.add, .r2, immediate: Int32(Self.keyOffset))
        asm.move(.r3, .frame)
        asm.alu64(.add, .r3, immediate: Int32(value))
        asm.load(.r4, constant: 0)
        asm.call(.mapUpdateElement)
        asm.load(.r0, constant: 0)
        asm.exit()
        return asm
    }

    /// contention_end(lock, ret): the entry's time spun (it began with SPIN) or blocked,
    /// its ret, and `ended`. An entry already ended is another contention's, whose begin
    /// came before tracing did: it is deleted, so no probe reads it for this one.
    func endRecorder() -> BPFAssembler {
        var asm = BPFAssembler()
        let out = asm.newLabel(), stale = asm.newLabel(), blocked = asm.newLabel(), mark = asm.newLabel()
        emitKey(&asm)
        asm.jump(.jeq, .r0, immediate: 0, out)
        asm.move(.r8, .r0)
        asm.load(.r1, from: .r8, offset: Self.flags, size: .double)
        asm.load(.r2, constant: Self.ended)
        asm.move(.r3, .r1)
        asm.alu64(.and, .r3, .r2)
        asm.jump(.jne, .r3, immediate: 0, stale)
        asm.load(.r3, from: .r8, offset: Self.start, size: .double)
        asm.alu64(.sub, .r9, .r3)
        asm.move(.r3, .r1)
        asm.alu64(.and, .r3, immediate: Int32(LockstatProvider.Flag.spin))
        asm.jump(.jeq, .r3, immediate: 0, blocked)
        asm.store(.r9, to: .r8, offset: Self.spin, size: .double)
        asm.store(immediate: 0, to: .r8, offset: Self.block, size: .double)
        asm.jump(mark)
        asm.bind(blocked)
        asm.store(.r9, to: .r8, offset: Self.block, size: .double)
        asm.bind(mark)
        asm.alu64(.or, .r1, .r2)
        asm.store(.r1, to: .r8, offset: Self.flags, size: .double)
        asm.load(.r1, from: .r6, offset: 8, size: .double)
        asm.store(.r1, to: .r8, offset: Self.ret, size: .double)
        asm.jump(out)
        asm.bind(stale)
        asm.load(.r1, mapDescriptor: map.descriptor)
        asm.move(.r2, .frame)
        asm.alu64(.add, .r2, immediate: Int32(Self.keyOffset))
        asm.call(.mapDeleteElement)
        asm.bind(out)
        asm.load(.r0, constant: 0)
        asm.exit()
        return asm
    }
}

/// A lockstat probe's program on contention_end: it runs when the entry the recorder just
/// completed is of the probe's kind, with arg0 the lock, arg1 the time (or error), arg2
/// RW_READER or RW_WRITER.
struct ContentionEndPrologue: ProbePrologue {
    let argumentCount: Int
    let record: Int32
    let contention: LockstatProvider.Contention

    /// r0 = the entry of (current task, lock) whose key is at `base` + `offset`, or leave.
    private func lookup(_ code: inout PrologueCode, base: BPFRegister, offset: Int16) {
        code.asm.call(.getCurrentTask)
        code.asm.store(.r0, to: base, offset: offset, size: .double)
        code.asm.load(.r1, from: .r6, offset: 0, size: .double)
        code.asm.store(.r1, to: base, offset: offset + 8, size: .double)
        code.asm.load(.r1, mapDescriptor: record)
        code.asm.move(.r2, base)
        code.asm.alu64(.add, .r2, immediate: Int32(offset))
        code.asm.call(.mapLookupElement)
        code.asm.jump(.jeq, .r0, immediate: 0, code.exit)
    }

    func emitFilter(_ code: inout PrologueCode) {
        lookup(&code, base: .frame, offset: PrologueCode.filterKey)
        let kind = code.asm.newLabel()
        code.asm.load(.r1, from: .r0, offset: ContentionRecord.flags, size: .double)
        code.asm.load(.r2, constant: ContentionRecord.ended)
        code.asm.move(.r3, .r1)
        code.asm.alu64(.and, .r3, .r2)
        code.asm.jump(.jeq, .r3, immediate: 0, code.exit)
        code.asm.alu64(.and, .r1, immediate: Int32(LockstatProvider.Flag.all))
        for flags in contention.flags { code.asm.jump(.jeq, .r1, immediate: Int32(flags), kind) }
        code.asm.jump(code.exit)
        code.asm.bind(kind)
        code.asm.load(.r1, from: .r0, offset: ContentionRecord.ret, size: .double)
        code.asm.jump(contention.outcome == .acquired ? .jne : .jeq, .r1, immediate: 0, code.exit)
        if contention.measure == .spinTime {
            code.asm.load(.r1, from: .r0, offset: ContentionRecord.spin, size: .double)
            code.asm.jump(.jeq, .r1, immediate: 0, code.exit)
        }
    }

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        if demand.needsArgument(0) {
            code.asm.load(.r1, from: .r6, offset: 0, size: .double)
            code.storeArgument(0, from: .r1)
        }
        guard demand.needsArgument(1) || (contention.readerWriter && demand.needsArgument(2)) else { return }
        // The entry again, its key in the slots of arg1 and arg2 (filled from it next).
        lookup(&code, base: .r7, offset: code.argumentSlot(1))
        let field: Int16
        switch contention.measure {
        case .spinTime: field = ContentionRecord.spin
        case .blockTime: field = ContentionRecord.block
        case .error: field = ContentionRecord.ret
        }
        code.asm.load(.r1, from: .r0, offset: field, size: .double)
        if contention.measure == .error {
            // ret is an int: args[1] and arg1 as the kernel's sign-extended word.
            code.asm.alu64(.lsh, .r1, immediate: 32)
            code.asm.alu64(.arsh, .r1, immediate: 32)
        }
        code.storeArgument(1, from: .r1)
        code.asm.store(immediate: 0, to: .r7, offset: code.argumentSlot(2), size: .double)
        if contention.readerWriter {
            // RW_READER is 1, RW_WRITER 0: the READ flag's bit (2) moved to bit 0.
            code.asm.load(.r1, from: .r0, offset: ContentionRecord.flags, size: .double)
            code.asm.alu64(.rsh, .r1, immediate: 1)
            code.asm.alu64(.and, .r1, immediate: 1)
            code.storeArgument(2, from: .r1)
        }
    }
}
