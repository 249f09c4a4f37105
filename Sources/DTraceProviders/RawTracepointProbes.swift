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
    /// argN is one of `values`.
    case argumentIn(Int, values: [Int64])
    /// Two 32-bit members of the struct argN points to (in `structure`) are equal, or
    /// differ when `equal` is false: a task's pid and tgid (a thread or a process).
    case membersEqual(Int, structure: String, first: String, second: String, equal: Bool)
    /// A member (a dotted path: `__sk_common.skc_state`) of the struct argN points to is
    /// one of `values` (read at its BTF size, zero-extended).
    case memberIn(Int, structure: String, member: String, values: [Int64])
    /// A code-pointer member of the struct argN points to is the address of one of the
    /// kernel functions `functions` (from kallsyms): a timer's handler.
    case memberIsFunction(Int, structure: String, member: String, functions: [String])
    /// The thread the probe fires in is its process's main thread (pid == tgid), or is
    /// not when `leader` is false.
    case currentThreadIsLeader(Bool)
    /// The `size` bytes at a place the kernel's structures lead to, masked with `mask`
    /// (as a little-endian word), are one of `values`: a packet's TCP flags.
    case bytesIn(KernelAddress, size: Int, mask: UInt64, values: [UInt64])
    /// The IP header at a place carries `protocol` (IPv4's protocol byte, IPv6's next
    /// header, after up to 4 extension headers): TCP 6, UDP 17. Other IP versions never
    /// match. With `locatedBy` (a member of the address's structure: a received packet's
    /// transport_header), a packet with extension headers matches only when that member
    /// is set (not 0xffff): the probe's arguments find the protocol's header through it.
    case ipProtocol(KernelAddress, protocol: UInt8, locatedBy: String? = nil)
}

/// An address the kernel's structures lead to from argN (a pointer to `structure`): the
/// sum of its members `members` — a pointer and offsets from it (`skb->head +
/// skb->network_header`), or a pointer alone (`skb->data`) — plus `offset`.
public struct KernelAddress: Sendable, Equatable {
    public var argument: Int
    public var structure: String
    public var members: [String]
    public var offset: Int
    public init(argument: Int, structure: String, members: [String], offset: Int = 0) {
        self.argument = argument; self.structure = structure; self.members = members; self.offset = offset
    }
    /// The same address `bytes` further on.
    public func advanced(by bytes: Int) -> KernelAddress {
        KernelAddress(argument: argument, structure: structure, members: members, offset: offset + bytes)
    }
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
            case .argumentIn(let index, let values): resolved.append(.argumentIn(index, values: values))
            case .membersEqual(let index, let structure, let first, let second, let equal):
                guard let a = setup.types.offset(of: first, in: structure), let b = setup.types.offset(of: second, in: structure) else {
                    throw KernelSetupError("the kernel's BTF has no \(structure).\(first) and \(structure).\(second) (the probe needs them)")
                }
                resolved.append(.membersEqual(index, first: a, second: b, equal: equal))
            case .memberIn(let index, let structure, let member, let values):
                let place = try Self.member(member, of: structure, in: setup)
                resolved.append(.memberIn(index, offset: place.offset, size: place.size, values: values))
            case .memberIsFunction(let index, let structure, let member, let functions):
                let place = try Self.member(member, of: structure, in: setup)
                let addresses = KernelFunctionAddresses.addresses(of: Set(functions)).values.joined().map { Int64(bitPattern: $0) }
                guard !addresses.isEmpty else {
                    throw KernelSetupError("/proc/kallsyms names none of \(functions.joined(separator: ", ")) (the probe fires on their \(structure).\(member))")
                }
                resolved.append(.memberIn(index, offset: place.offset, size: place.size, values: addresses))
            case .bytesIn(let address, let size, let mask, let values):
                resolved.append(.bytesIn(try Self.resolve(address, in: setup), size: size, mask: mask, values: values))
            case .currentThreadIsLeader(let leader):
                resolved.append(.currentThreadIsLeader(leader))
            case .ipProtocol(let address, let proto, let locatedBy):
                let located = try locatedBy.map { (name: String) throws(KernelSetupError) in try Self.member(name, of: address.structure, in: setup).offset }
                resolved.append(.ipProtocol(try Self.resolve(address, in: setup), protocol: proto, locatedAt: located))
            }
        }
        let events = [event] + alsoOn.filter { Tracefs.eventID(root: setup.tracefsRoot, group: group, event: $0) != nil }
        var probe = KernelProbe(programType: .rawTracepoint, prologue: RawArgumentsPrologue(argumentCount: argumentCount, filters: resolved)) { program, attachments in
            for event in events { try attachments.attachRawTracepoint(event, program: program) }
        }
        // A typed program is loaded for one tracepoint: on one only.
        if events.count == 1, let id = try? setup.types.btf?.typeID(named: "btf_trace_" + event, kind: .typedef) {
            let event = event
            probe.typed = KernelProbe.TypedProgram(attachBTFID: id) { program, attachments in
                try attachments.attachTypedRawTracepoint(event, program: program)
            }
        }
        return probe
    }
}

extension RawTracepointProbe {
    /// Where a member (a dotted path) lies in a kernel structure, and its size, from BTF.
    static func member(_ path: String, of structure: String, in setup: KernelSetup) throws(KernelSetupError) -> (offset: Int, size: Int) {
        var type = setup.types.kernelType(named: "struct " + structure)
        var offset = 0, size = 0
        for name in path.split(separator: ".").map(String.init) {
            guard case .composite(let composite)? = type?.resolved, let member = composite.member(name) else {
                throw KernelSetupError("the kernel's BTF has no \(structure).\(path) (the probe needs it)")
            }
            offset += member.offset
            size = member.type.resolved.isPointer ? 8 : member.type.size
            type = member.type
        }
        guard [1, 2, 4, 8].contains(size) else { throw KernelSetupError("\(structure).\(path) is not a scalar member (the probe reads it)") }
        return (offset, size)
    }

    static func resolve(_ address: KernelAddress, in setup: KernelSetup) throws(KernelSetupError) -> RawArgumentsPrologue.Address {
        var members: [(offset: Int, size: Int)] = []
        for name in address.members { members.append(try member(name, of: address.structure, in: setup)) }
        return RawArgumentsPrologue.Address(argument: address.argument, members: members, offset: address.offset)
    }
}

extension Provider {
    /// Probes on raw tracepoints from a table of (name, probe) numbered from `firstID`,
    /// in module vmlinux as DTrace names the kernel's own providers' probes; those whose
    /// tracepoint this kernel does not list are left out.
    func probes(from table: [(name: String, probe: RawTracepointProbe)], firstID: Int, in environment: ProbeEnvironment) -> [Probe] {
        guard let root = environment.tracefsRoot else { return [] }
        return table.enumerated().compactMap { index, entry in
            Tracefs.eventID(root: root, group: entry.probe.group, event: entry.probe.event) == nil ? nil
                : makeProbe(id: firstID + index, module: "vmlinux", name: entry.name, detail: entry.probe)
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
        case memberIn(Int, offset: Int, size: Int, values: [Int64])
        case bytesIn(Address, size: Int, mask: UInt64, values: [UInt64])
        case ipProtocol(Address, protocol: UInt8, locatedAt: Int?)
        case currentThreadIsLeader(Bool)
        case argumentIn(Int, values: [Int64])
    }
    /// argN's members (offset and size) summed, plus `offset`.
    struct Address: Sendable, Equatable {
        var argument: Int
        var members: [(offset: Int, size: Int)]
        var offset: Int
        static func == (a: Address, b: Address) -> Bool {
            a.argument == b.argument && a.offset == b.offset && a.members.map(\.offset) == b.members.map(\.offset) && a.members.map(\.size) == b.members.map(\.size)
        }
    }
    let argumentCount: Int
    let filters: [Filter]
    var argumentsAreContextWords: Bool { true }

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
            case .argumentIn(let index, let values):
                code.asm.load(.r0, from: .r6, offset: Int16(8 * index), size: .double)
                Self.requireOneOf(values.map { UInt64(bitPattern: $0) }, &code)
            case .currentThreadIsLeader(let leader):
                code.asm.call(.getCurrentPIDTGID)
                code.asm.move(.r1, .r0)
                code.asm.alu64(.rsh, .r1, immediate: 32)
                code.asm.alu32(.mov, .r0, .r0)
                code.asm.jump(leader ? .jne : .jeq, .r0, .r1, code.exit)
            case .memberIn(let index, let offset, let size, let values):
                code.asm.load(.r9, from: .r6, offset: Int16(8 * index), size: .double)
                Self.readMember(size, at: .r9, offset: offset, &code)
                Self.requireOneOf(values.map { UInt64(bitPattern: $0) }, &code)
            case .bytesIn(let address, let size, let mask, let values):
                Self.computeAddress(address, &code)
                Self.read(size, at: .r8, offset: address.offset, &code)
                if mask != UInt64.max >> (64 - 8 * size) {
                    code.asm.load(.r1, constant: Int64(bitPattern: mask))
                    code.asm.alu64(.and, .r0, .r1)
                }
                Self.requireOneOf(values, &code)
            case .ipProtocol(let address, let proto, let locatedAt):
                // The header's first 16 bytes in one read (into the filter's 16 bytes of
                // frame); the version nibble says where the protocol lies: byte 9 of
                // IPv4's header, byte 6 (next header) of IPv6's.
                Self.computeAddress(address, &code)
                let header = PrologueCode.filterKey
                code.asm.store(immediate: 0, to: .frame, offset: header, size: .double)
                code.asm.store(immediate: 0, to: .frame, offset: header + 8, size: .double)
                code.asm.move(.r1, .frame)
                code.asm.alu64(.add, .r1, immediate: Int32(header))
                code.asm.load(.r2, constant: 16)
                code.asm.move(.r3, .r8)
                if address.offset != 0 { code.asm.alu64(.add, .r3, immediate: Int32(address.offset)) }
                code.asm.call(.probeReadKernel)
                code.asm.load(.r0, from: .frame, offset: header, size: .byte)
                code.asm.alu64(.rsh, .r0, immediate: 4)
                let version6 = code.asm.newLabel(), check = code.asm.newLabel()
                code.asm.jump(.jne, .r0, immediate: 4, version6)
                code.asm.load(.r0, from: .frame, offset: header + 9, size: .byte)
                code.asm.jump(check)
                code.asm.bind(version6)
                code.asm.jump(.jne, .r0, immediate: 6, code.exit)
                code.asm.load(.r0, from: .frame, offset: header + 6, size: .byte)
                let walked = code.asm.newLabel()
                Self.skipIPv6Extensions(to: proto, at: address.offset, found: walked, &code)
                code.asm.bind(walked)
                if let locatedAt {
                    // Extension headers skipped (r9 past the fixed header): the member that
                    // locates the protocol's header must be set.
                    code.asm.jump(.jeq, .r9, immediate: 40, check)
                    code.asm.jump(.jne, .r0, immediate: Int32(proto), check)
                    code.asm.load(.r9, from: .r6, offset: Int16(8 * address.argument), size: .double)
                    Self.readMember(2, at: .r9, offset: locatedAt, &code)
                    code.asm.jump(.jeq, .r0, immediate: 0xffff, code.exit)
                    code.asm.load(.r0, constant: Int64(proto))
                }
                code.asm.bind(check)
                code.asm.jump(.jne, .r0, immediate: Int32(proto), code.exit)
            }
        }
    }

    /// IPv6 extension headers between the fixed header and the protocol's (hop-by-hop,
    /// routing, fragment, AH, destination options), at most 4, followed from r0 (the fixed
    /// header's next header; the IP header at r8 + `offset`): r0 ends as the header that
    /// follows them. Each is read (8 bytes: its next header and length) into the filter's
    /// frame bytes; its kind waits in the next 8. Packets without them take one compare.
    static func skipIPv6Extensions(to proto: UInt8, at offset: Int, found: BPFLabel, _ code: inout PrologueCode) {
        let bytes = PrologueCode.filterKey, kind = PrologueCode.filterKey + 8
        code.asm.load(.r9, constant: 40)
        for _ in 0..<4 {
            let isExtension = code.asm.newLabel(), fragment = code.asm.newLabel(), authentication = code.asm.newLabel(), advance = code.asm.newLabel()
            code.asm.jump(.jeq, .r0, immediate: Int32(proto), found)
            for extensionKind: Int32 in [0, 43, 60] { code.asm.jump(.jeq, .r0, immediate: extensionKind, isExtension) }
            code.asm.jump(.jeq, .r0, immediate: 44, isExtension)
            code.asm.jump(.jeq, .r0, immediate: 51, isExtension)
            code.asm.jump(found)
            code.asm.bind(isExtension)
            code.asm.store(.r0, to: .frame, offset: kind, size: .double)
            code.asm.store(immediate: 0, to: .frame, offset: bytes, size: .double)
            code.asm.move(.r1, .frame)
            code.asm.alu64(.add, .r1, immediate: Int32(bytes))
            code.asm.load(.r2, constant: 8)
            code.asm.move(.r3, .r8)
            code.asm.alu64(.add, .r3, .r9)
            if offset != 0 { code.asm.alu64(.add, .r3, immediate: Int32(offset)) }
            code.asm.call(.probeReadKernel)
            // Its length: fragment 8 bytes; AH (n + 2) * 4; the others (n + 1) * 8.
            code.asm.load(.r1, from: .frame, offset: bytes + 1, size: .byte)
            code.asm.load(.r0, from: .frame, offset: kind, size: .double)
            code.asm.jump(.jeq, .r0, immediate: 44, fragment)
            code.asm.jump(.jeq, .r0, immediate: 51, authentication)
            code.asm.alu64(.add, .r1, immediate: 1)
            code.asm.alu64(.lsh, .r1, immediate: 3)
            code.asm.jump(advance)
            code.asm.bind(fragment)
            code.asm.load(.r1, constant: 8)
            code.asm.jump(advance)
            code.asm.bind(authentication)
            code.asm.alu64(.add, .r1, immediate: 2)
            code.asm.alu64(.lsh, .r1, immediate: 2)
            code.asm.bind(advance)
            code.asm.alu64(.add, .r9, .r1)
            code.asm.load(.r0, from: .frame, offset: bytes, size: .byte)
        }
    }

    /// r0 = the `size` bytes at `base` + `offset` (kernel memory; zero when unreadable).
    /// Clobbers r1-r5.
    static func read(_ size: Int, at base: BPFRegister, offset: Int, _ code: inout PrologueCode) {
        code.asm.store(immediate: 0, to: .frame, offset: PrologueCode.frameTemporary, size: .double)
        code.asm.move(.r1, .frame)
        code.asm.alu64(.add, .r1, immediate: Int32(PrologueCode.frameTemporary))
        code.asm.load(.r2, constant: Int64(size))
        code.asm.move(.r3, base)
        if offset != 0 { code.asm.alu64(.add, .r3, immediate: Int32(offset)) }
        code.asm.call(.probeReadKernel)
        code.asm.load(.r0, from: .frame, offset: PrologueCode.frameTemporary, size: size == 8 ? .double : size == 4 ? .word : size == 2 ? .half : .byte)
    }

    /// r0 = a member of the structure argN points to (`base`): a plain load in a typed
    /// program (the verifier checks it against BTF), else a probe read.
    static func readMember(_ size: Int, at base: BPFRegister, offset: Int, _ code: inout PrologueCode) {
        guard code.readsKernelDirectly else { return read(size, at: base, offset: offset, &code) }
        code.asm.load(.r0, from: base, offset: Int16(offset), size: size == 8 ? .double : size == 4 ? .word : size == 2 ? .half : .byte)
    }

    /// r8 = the address (without its constant offset): argN's members summed; r9 = argN.
    static func computeAddress(_ address: Address, _ code: inout PrologueCode) {
        code.asm.load(.r9, from: .r6, offset: Int16(8 * address.argument), size: .double)
        code.asm.load(.r8, constant: 0)
        for member in address.members {
            readMember(member.size, at: .r9, offset: member.offset, &code)
            code.asm.alu64(.add, .r8, .r0)
        }
    }

    /// Leaves unless r0 is one of `values`.
    static func requireOneOf(_ values: [UInt64], _ code: inout PrologueCode) {
        if values.count == 1, let value = values.first, value <= UInt64(Int32.max) {
            code.asm.jump(.jne, .r0, immediate: Int32(value), code.exit)
            return
        }
        let matched = code.asm.newLabel()
        for value in values {
            if value <= UInt64(Int32.max) {
                code.asm.jump(.jeq, .r0, immediate: Int32(value), matched)
            } else {
                code.asm.load(.r1, constant: Int64(bitPattern: value))
                code.asm.jump(.jeq, .r0, .r1, matched)
            }
        }
        code.asm.jump(code.exit)
        code.asm.bind(matched)
    }

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        for index in 0..<min(argumentCount, ProbeContextSlots.arguments) where demand.needsArgument(index) {
            code.asm.load(.r0, from: .r6, offset: Int16(8 * index), size: .double)
            code.storeArgument(index, from: .r0)
        }
    }
}
