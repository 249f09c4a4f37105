// DTraceProviders/RawTracepointProbes: what the stable providers built on raw kernel
// tracepoints share (proc, sched, io, tcp, udp, ip, lockstat): a probe is a tracepoint's
// own arguments — the kernel's pointers (struct task_struct *, struct request *,
// struct sock *) and numbers — as arg0..argN, DTrace's typed args[] as D expressions
// over them (translators to psinfo_t, bufinfo_t, tcpinfo_t...), and filters for probes
// that are one case of a tracepoint (a new thread rather than a new process, a signal
// discarded). Arguments reach the clause as the kernel passed them; translators read
// only the members a clause uses.

import DTraceBPF
import DTraceIR
import DTraceCodegen
import DTraceLanguage
import DTraceSystem

/// One of DTrace's typed arguments: its type as `-lv` shows it, and what it is in D.
public struct ProbeArgument: Sendable, Equatable {
    public var type: String
    public var expression: String
    public init(_ type: String, _ expression: String) { self.type = type; self.expression = expression }

    /// args[N] as a kernel struct pointer translated to DTrace's type:
    /// `ProbeArgument.translated("psinfo_t *", from: "struct task_struct *", argument: 1)`.
    public static func translated(_ type: String, from kernelType: String, argument: Int) -> ProbeArgument {
        ProbeArgument(type, "xlate<\(type)>((\(kernelType))arg\(argument))")
    }

    /// args[N] as one of the raw arguments, cast to its type.
    public static func plain(_ type: String, argument: Int) -> ProbeArgument {
        ProbeArgument(type, "(\(type))arg\(argument)")
    }
}

/// A condition on a firing (all of a probe's must hold): the part of a tracepoint that is
/// this probe.
public enum RawTracepointFilter: Sendable, Equatable {
    /// (argN & mask) != 0, or == 0 when `set` is false.
    case argumentBits(Int, mask: UInt64, set: Bool)
    /// argN == value, or != when `equal` is false (compared as 64-bit words).
    case argumentEquals(Int, value: Int64, equal: Bool)
    /// Two 32-bit members of the struct argN points to (in `structure`) are equal, or
    /// differ when `equal` is false: a task's pid and tgid (a thread or a process).
    case membersEqual(Int, structure: String, first: String, second: String, equal: Bool)
}

/// A probe on a raw tracepoint (attached by name: it need not be listed in tracefs's
/// events, but `group` says where to look for it there).
public struct RawTracepointProbe: Sendable, Equatable {
    public var group: String
    public var event: String
    /// How many raw arguments the tracepoint passes (arg0..argN-1).
    public var argumentCount: Int
    public var arguments: [ProbeArgument]
    public var filters: [RawTracepointFilter]
    /// More tracepoints of the same group with the same arguments the probe also fires on
    /// (sched_wakeup_new beside sched_wakeup).
    public var alsoOn: [String]
    public init(group: String, event: String, argumentCount: Int, arguments: [ProbeArgument] = [], filters: [RawTracepointFilter] = [], alsoOn: [String] = []) {
        self.group = group; self.event = event; self.argumentCount = argumentCount; self.arguments = arguments; self.filters = filters
        self.alsoOn = alsoOn
    }

    func kernelProbe(in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        var resolved: [RawArgumentsPrologue.Filter] = []
        for filter in filters {
            switch filter {
            case .argumentBits(let index, let mask, let set): resolved.append(.bits(index, mask: mask, set: set))
            case .argumentEquals(let index, let value, let equal): resolved.append(.equals(index, value: value, equal: equal))
            case .membersEqual(let index, let structure, let first, let second, let equal):
                guard let a = setup.types.offset(of: first, in: structure), let b = setup.types.offset(of: second, in: structure) else {
                    throw KernelSetupError("the kernel's BTF has no \(structure).\(first) and \(structure).\(second) (the probe needs them)")
                }
                resolved.append(.membersEqual(index, first: a, second: b, equal: equal))
            }
        }
        let events = [event] + alsoOn.filter { Tracefs.eventID(root: setup.tracefsRoot, group: group, event: $0) != nil }
        return KernelProbe(programType: .rawTracepoint, prologue: RawArgumentsPrologue(argumentCount: argumentCount, filters: resolved)) { program, attachments in
            for event in events { try attachments.attachRawTracepoint(event, program: program) }
        }
    }
}

extension Provider {
    /// Probes on raw tracepoints from a table of (name, probe) numbered from `firstID`;
    /// those whose tracepoint this kernel does not list are left out.
    func probes(from table: [(name: String, probe: RawTracepointProbe)], firstID: Int, in environment: ProbeEnvironment) -> [Probe] {
        guard let root = environment.tracefsRoot else { return [] }
        return table.enumerated().compactMap { index, entry in
            Tracefs.eventID(root: root, group: entry.probe.group, event: entry.probe.event) == nil ? nil
                : makeProbe(id: firstID + index, name: entry.name, detail: entry.probe)
        }
    }

    /// Why a description naming one of the provider's probes matched nothing: the probe
    /// has nothing to stand on here (`missing`: name -> reason), or its tracepoint is not
    /// in this kernel.
    func rawTracepointMatchFailure(for description: ProbeDescription, table: [(name: String, probe: RawTracepointProbe)],
                                   missing: [String: String], in environment: ProbeEnvironment) -> (tag: String, message: String)? {
        guard Glob.matches(description.provider, name), !description.name.isEmpty, !Glob.hasMeta(description.name) else { return nil }
        let reason: String
        if let known = missing[description.name] {
            reason = known
        } else if let entry = table.first(where: { $0.name == description.name }), let root = environment.tracefsRoot,
                  Tracefs.eventID(root: root, group: entry.probe.group, event: entry.probe.event) == nil {
            reason = "this kernel has no \(entry.probe.group):\(entry.probe.event) tracepoint, which it stands on"
        } else {
            return nil
        }
        return ("D_PDESC_ZERO", "probe description \(description) does not match any probes: \(name):::\(description.name) cannot work here: \(reason)")
    }

    func rawTracepointArgumentTypes(of probe: Probe) -> [String] {
        probe.detail(as: RawTracepointProbe.self)?.arguments.map(\.type) ?? []
    }

    func rawTracepointArgumentExpressions(of probe: Probe) -> [String]? {
        guard let arguments = probe.detail(as: RawTracepointProbe.self)?.arguments, !arguments.isEmpty else { return nil }
        return arguments.map(\.expression)
    }

    func rawTracepointKernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let rawProbe = probe.detail(as: RawTracepointProbe.self) else { throw KernelSetupError("\(probe.identity.fullName) has no raw tracepoint") }
        return try rawProbe.kernelProbe(in: setup)
    }
}

/// A raw tracepoint's context is its arguments as u64 words: the filters test them, and
/// argN is word N.
struct RawArgumentsPrologue: ProbePrologue {
    enum Filter: Sendable, Equatable {
        case bits(Int, mask: UInt64, set: Bool)
        case equals(Int, value: Int64, equal: Bool)
        case membersEqual(Int, first: Int, second: Int, equal: Bool)
    }
    let argumentCount: Int
    let filters: [Filter]

    func emitFilter(_ code: inout PrologueCode) {
        for filter in filters {
            switch filter {
            case .bits(let index, let mask, let set):
                code.asm.load(.r1, from: .r6, offset: Int16(8 * index), size: .double)
                code.asm.load(.r2, constant: Int64(bitPattern: mask))
                code.asm.alu64(.and, .r1, .r2)
                code.asm.jump(set ? .jeq : .jne, .r1, immediate: 0, code.exit)
            case .equals(let index, let value, let equal):
                code.asm.load(.r1, from: .r6, offset: Int16(8 * index), size: .double)
                code.asm.load(.r2, constant: value)
                code.asm.jump(equal ? .jne : .jeq, .r1, .r2, code.exit)
            case .membersEqual(let index, let first, let second, let equal):
                // Two 4-byte members read through probe reads into the frame temporary.
                for (position, offset) in [first, second].enumerated() {
                    code.asm.store(immediate: 0, to: .frame, offset: PrologueCode.frameTemporary, size: .double)
                    code.asm.move(.r1, .frame)
                    code.asm.alu64(.add, .r1, immediate: Int32(PrologueCode.frameTemporary))
                    code.asm.load(.r2, constant: 4)
                    code.asm.load(.r3, from: .r6, offset: Int16(8 * index), size: .double)
                    code.asm.alu64(.add, .r3, immediate: Int32(offset))
                    code.asm.call(.probeReadKernel)
                    code.asm.load(position == 0 ? .r8 : .r9, from: .frame, offset: PrologueCode.frameTemporary, size: .word)
                }
                code.asm.jump(equal ? .jne : .jeq, .r8, .r9, code.exit)
            }
        }
    }

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        for index in 0..<min(argumentCount, ProbeContextSlots.arguments) where demand.needsArgument(index) {
            code.asm.load(.r0, from: .r6, offset: Int16(8 * index), size: .double)
            code.storeArgument(index, from: .r0)
        }
    }
}
