// DTraceProviders/USDTProvider: statically defined user probes — the `.note.stapsdt`
// notes that sys/sdt.h (and `dtrace -h`'s header) put in programs and libraries: Python,
// PostgreSQL, libstdc++, QEMU... A description `provider<PID>:module:function:name` names
// them in the process's objects (`provider*` in every process running now that has the
// provider): the provider as the note gives it with the pid appended,
// the object's basename, the function containing the probe site, and the note's name with
// `__` turned into `-`, as DTrace does. One probe may have several sites (a macro expanded
// in several places of one function). Semaphores are raised by the kernel while a probe is
// enabled (the uprobe's reference counter). Arguments come from each note's argument
// specifications (registers, memory, RIP-relative symbols, constants), read by the
// program's prologue; probes with the same specifications share a program.

import DTraceCodegen
import DTraceELF
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem

/// A USDT probe: its sites and how its arguments are read.
public struct StaticUserProbe: Sendable, Equatable {
    public var sites: [UprobeSite]
    /// Each site's address as linked (the load bias of RIP-relative arguments is found
    /// from it).
    public var linkAddresses: [UInt64]
    public var arguments: [USDTArgumentRead]
    /// The specifications as written, for -lv and the sharing key.
    public var specification: String
}

public struct USDTProvider: Provider {
    public init() {}
    public var name: String { "usdt" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .uprobes], how: UserCodeAttachment.description + "; semaphores raised by the kernel", ptraceEngine: "breakpoints and semaphores in the -c/-p process")
    }
    public var enumeratesKernel: Bool { false }
    public func probes(in environment: ProbeEnvironment) -> [Probe] { [] }

    /// A provider description's provider name and process: python1234 -> ("python", 1234).
    static func split(_ provider: String) -> (name: String, pid: Int32)? {
        let digits = provider.reversed().prefix { $0.isNumber }.count
        guard digits > 0, digits < provider.count, let pid = Int32(provider.suffix(digits)), pid > 0 else { return nil }
        let name = String(provider.dropLast(digits))
        guard name != "pid", !Glob.hasMeta(name) else { return nil }
        return (name, pid)
    }

    /// DTrace's probe name for a note's: `function__entry` is `function-entry`.
    static func probeName(_ noteName: String) -> String {
        var result = ""
        var pendingUnderscore = false
        for character in noteName {
            if character == "_" {
                if pendingUnderscore { result.append("-"); pendingUnderscore = false } else { pendingUnderscore = true }
                continue
            }
            if pendingUnderscore { result.append("_"); pendingUnderscore = false }
            result.append(character)
        }
        if pendingUnderscore { result.append("_") }
        return result
    }

    public func processNamed(byProvider provider: String) -> Int32? { Self.split(provider)?.pid }

    public func probes(describedBy description: ProbeDescription, in environment: ProbeEnvironment) -> [Probe] {
        if let (providerName, pid) = Self.split(description.provider) {
            return probes(describedBy: description, pid: pid, in: environment) { $0 == providerName }
        }
        // provider*: the processes running now whose objects have such a provider (a
        // pattern that begins with a name, so that `*` alone does not read every process).
        guard Glob.hasMeta(description.provider), let first = description.provider.first, first.isLetter || first == "_" else { return [] }
        let pattern = description.provider
        let processes = (Array(environment.startingProcesses.keys) + Tracefs.listDirectory("/proc").compactMap { Int32($0) })
            .filter { $0 != ProcessIdentity.processID }
        var probes: [Probe] = []
        for pid in Set(processes).sorted() {
            probes += self.probes(describedBy: description, pid: pid, in: environment) { Glob.matches(pattern, "\($0)\(pid)") }
        }
        return probes
    }

    /// The probes of process `pid` a description names, of the providers `accepts` takes.
    func probes(describedBy description: ProbeDescription, pid: Int32, in environment: ProbeEnvironment, accepts: (String) -> Bool) -> [Probe] {
        var probes: [Probe] = []
        for object in UserObjects.of(pid, in: environment) where object.matches(description.module) {
            let notes = object.file.usdtProbes.filter { accepts($0.provider) }
            guard !notes.isEmpty else { continue }
            let functions = object.file.functions.filter { $0.size > 0 }
            // Sites grouped into probes by (provider, function, name), in the order of the notes.
            var order: [String] = []
            var grouped: [String: (function: String, name: String, notes: [USDTProbe])] = [:]
            for note in notes {
                let function = Self.containingFunction(note.address, in: functions) ?? ""
                let name = Self.probeName(note.name)
                guard Glob.matches(description.function, function), Glob.matches(description.name, name) else { continue }
                let key = note.provider + ":" + function + ":" + name
                if grouped[key] == nil { order.append(key); grouped[key] = (function, name, []) }
                grouped[key]!.notes.append(note)
            }
            for key in order {
                let group = grouped[key]!
                guard let probe = makeProbe(group.notes, function: group.function, name: group.name, provider: "\(group.notes[0].provider)\(pid)",
                                            object: object, pid: pid) else { continue }
                probes.append(probe)
            }
        }
        return probes
    }

    /// The probe for the notes of one (function, name); nil when no note can be probed
    /// (a semaphore outside the file's segments, arguments that cannot be read).
    func makeProbe(_ notes: [USDTProbe], function: String, name: String, provider: String, object: UserObject, pid: Int32) -> Probe? {
        var sites: [UprobeSite] = []
        var linkAddresses: [UInt64] = []
        var reads: [USDTArgumentRead]?
        var specification = ""
        for note in notes {
            if note.semaphoreAddress.map({ $0 != 0 }) == true && note.semaphoreFileOffset == nil { continue }
            guard let noteReads = USDTArgumentRead.reads(of: note) else { continue }
            // Sites whose arguments lie elsewhere would need another program: the first
            // specification decides, as one probe has one argument list.
            if let reads, reads != noteReads { continue }
            reads = noteReads
            specification = note.argumentText
            let offset = Self.siteOffset(note, in: object.file)
            sites.append(UprobeSite(path: object.path, fileOffset: offset, returns: false, processID: pid, semaphoreOffset: note.semaphoreFileOffset ?? 0))
            linkAddresses.append(note.address + (offset - note.fileOffset))
        }
        guard let reads, !sites.isEmpty else { return nil }
        return Probe(identity: ProbeIdentity(id: 0, provider: provider, module: object.moduleName, function: function, name: name),
                     provider: self, detail: StaticUserProbe(sites: sites, linkAddresses: linkAddresses, arguments: reads, specification: specification))
    }

    /// Where a note's probe goes: its `nop`, or the 5-byte nop after it when the site is
    /// `nop; nop5` (which newer kernels turn into a call instead of a breakpoint).
    static func siteOffset(_ note: USDTProbe, in file: ELFObject) -> UInt64 {
        let nopThenNop5: [UInt8] = [0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00]
        if file.bytes(atFileOffset: note.fileOffset, count: 6) == nopThenNop5 { return note.fileOffset + 1 }
        return note.fileOffset
    }

    /// The function whose code holds `address` (functions sorted by address).
    static func containingFunction(_ address: UInt64, in functions: [FunctionSymbol]) -> String? {
        var low = 0, high = functions.count
        while low < high {
            let middle = (low + high) / 2
            if functions[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        // Functions may nest (aliases, local parts): look back a little for one holding it.
        for index in stride(from: low - 1, through: max(0, low - 16), by: -1) where address < functions[index].address + functions[index].size {
            return functions[index].name
        }
        return nil
    }

    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] {
        probe.detail(as: StaticUserProbe.self)?.arguments.map(\.typeName) ?? []
    }

    public func tracedProbe(for probe: Probe) -> TracedProbe? {
        guard let userProbe = probe.detail(as: StaticUserProbe.self) else { return nil }
        let sites = userProbe.sites.map { TracedProbe.Site.instruction(path: $0.path, fileOffset: $0.fileOffset) }
        let linkAddresses = userProbe.linkAddresses, reads = userProbe.arguments
        var traced = TracedProbe(sites: sites, processID: userProbe.sites.first?.processID) { thread, site in
            // The load bias: where the site is now against where it was linked.
            let bias = thread.register(atSavedOffset: SavedRegisters.rip) &- (site < linkAddresses.count ? linkAddresses[site] : 0)
            return reads.map { $0.value(in: thread, bias: bias) }
        }
        traced.semaphores = userProbe.sites.filter { $0.semaphoreOffset != 0 }.map { ($0.path, $0.semaphoreOffset) }
        return traced
    }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let userProbe = probe.detail(as: StaticUserProbe.self) else { throw KernelSetupError("\(probe.identity.fullName) has no USDT site") }
        let throughMultiLinks = setup.uprobesThroughMultiLinks
        return KernelProbe(programType: .kprobe, attachType: throughMultiLinks ? .uprobeMulti : .unspecified,
                           prologue: USDTArgumentsPrologue(arguments: userProbe.arguments, siteAddressFromHelper: throughMultiLinks),
                           sharing: SharedAttachment(key: "usdt " + userProbe.specification, runsNewestFirst: true, siteData: { probe in
            probe.detail(as: StaticUserProbe.self)?.linkAddresses ?? [0]
        }) { program, members, attachments in
            let sites = members.flatMap { member in
                zip(member.probe.detail(as: StaticUserProbe.self)?.sites ?? [], member.cookies).map { ($0, $1) }
            }
            try attachments.attachUprobes(sites, program: program, throughMultiLinks: throughMultiLinks)
        })
    }
}

/// How one USDT argument is read when its probe fires.
public struct USDTArgumentRead: Sendable, Equatable, Hashable {
    public enum Source: Sendable, Equatable, Hashable {
        /// A register (its pt_regs offset), shifted right by `bitOffset` (%ah...).
        case register(offset: Int, bitOffset: Int)
        /// Memory at base + index * scale + displacement (registers by pt_regs offset).
        case memory(base: Int?, index: Int?, scale: Int, displacement: Int64)
        /// Memory at an address as linked (a RIP-relative symbol): in the process it is
        /// moved by the object's load bias, found from the firing site's own address.
        case linked(address: UInt64)
        case constant(Int64)
    }
    public var source: Source
    /// Bytes (1, 2, 4, 8) and signedness: the value is truncated and extended to them.
    public var size: Int
    public var isSigned: Bool

    /// The D type -lv shows: int32_t, uint64_t...
    public var typeName: String { "\(isSigned ? "" : "u")int\(size * 8)_t" }

    /// The argument's value in a stopped thread (the ptrace engine); `bias` moves linked
    /// addresses to the process's.
    func value(in thread: any StoppedThread, bias: UInt64) -> Int64 {
        let raw: UInt64
        switch source {
        case .constant(let value): return value
        case .register(let offset, let bitOffset): raw = thread.register(atSavedOffset: offset) >> UInt64(bitOffset)
        case .memory(let base, let index, let scale, let displacement):
            var address = UInt64(bitPattern: displacement)
            if let base { address &+= thread.register(atSavedOffset: base) }
            if let index { address &+= thread.register(atSavedOffset: index) &* UInt64(scale) }
            raw = thread.word(at: address, size: size)
        case .linked(let address): raw = thread.word(at: address &+ bias, size: size)
        }
        guard size < 8 else { return Int64(bitPattern: raw) }
        let shift = UInt64(64 - 8 * size)
        return isSigned ? Int64(bitPattern: raw << shift) >> Int64(shift) : Int64(bitPattern: (raw << shift) >> shift)
    }

    /// The reads of a note's arguments; nil when one cannot be read (the probe is left out).
    static func reads(of note: USDTProbe) -> [USDTArgumentRead]? {
        var reads: [USDTArgumentRead] = []
        for argument in note.arguments.prefix(ProbeContextSlots.arguments) {
            guard case .success(let argument) = argument, [1, 2, 4, 8].contains(argument.size) else { return nil }
            let source: Source
            switch argument.operand {
            case .constant(let value): source = .constant(value)
            case .register(let register):
                guard register.register != .rip else { return nil }
                source = .register(offset: register.register.ptRegsOffset, bitOffset: register.bitOffset)
            case .memory(let memory):
                if memory.isRIPRelative || (memory.base == nil && memory.index == nil && memory.symbol != nil) {
                    guard let address = memory.staticAddress(probeAddress: note.address) else { return nil }
                    source = .linked(address: address)
                } else {
                    if memory.base?.register == .rip || memory.index?.register == .rip { return nil }
                    source = .memory(base: memory.base.map { $0.register.ptRegsOffset }, index: memory.index.map { $0.register.ptRegsOffset },
                                     scale: memory.scale, displacement: memory.displacement)
                }
            }
            reads.append(USDTArgumentRead(source: source, size: argument.size, isSigned: argument.isSigned))
        }
        return reads
    }
}

/// A USDT probe's arguments, read from the registers and memory its note names; the
/// site's address as linked (in the shared probe table) gives the load bias that moves
/// RIP-relative symbols.
public struct USDTArgumentsPrologue: ProbePrologue {
    public let arguments: [USDTArgumentRead]
    /// bpf_get_func_ip gives the site's address (uprobe_multi); else the saved rip,
    /// which the kernel has set back to the breakpoint's address before the handlers run.
    public let siteAddressFromHelper: Bool
    public var argumentCount: Int { arguments.count }

    public func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        for (index, argument) in arguments.enumerated() where demand.needsArgument(index) {
            switch argument.source {
            case .constant(let value):
                code.asm.load(.r0, constant: value)
                code.storeArgument(index, from: .r0)
                continue
            case .register(let offset, let bitOffset):
                code.asm.load(.r0, from: .r6, offset: Int16(offset), size: .double)
                if bitOffset != 0 { code.asm.alu64(.rsh, .r0, immediate: Int32(bitOffset)) }
                code.storeArgument(index, from: .r0)
            case .memory(let base, let indexRegister, let scale, let displacement):
                code.asm.load(.r3, constant: displacement)
                if let base {
                    code.asm.load(.r0, from: .r6, offset: Int16(base), size: .double)
                    code.asm.alu64(.add, .r3, .r0)
                }
                if let indexRegister {
                    code.asm.load(.r0, from: .r6, offset: Int16(indexRegister), size: .double)
                    if scale > 1 { code.asm.alu64(.mul, .r0, immediate: Int32(scale)) }
                    code.asm.alu64(.add, .r3, .r0)
                }
                readUser(&code, index: index, size: argument.size)
            case .linked(let address):
                // bias = the site's address in the process - its address as linked.
                code.lookupSite()
                code.asm.load(.r0, from: .r0, offset: Int16(SharedProbeTable.siteDataOffset), size: .double)
                code.asm.store(.r0, to: .frame, offset: PrologueCode.frameTemporary, size: .double)
                if siteAddressFromHelper {
                    code.asm.move(.r1, .r6)
                    code.asm.call(.getFunctionIP)
                    code.asm.move(.r3, .r0)
                } else {
                    code.asm.load(.r3, from: .r6, offset: Int16(SavedRegisters.rip), size: .double)
                }
                code.asm.load(.r0, from: .frame, offset: PrologueCode.frameTemporary, size: .double)
                code.asm.alu64(.sub, .r3, .r0)
                code.asm.load(.r0, constant: Int64(bitPattern: address))
                code.asm.alu64(.add, .r3, .r0)
                readUser(&code, index: index, size: argument.size)
            }
            extend(&code, index: index, argument)
        }
    }

    /// Reads `size` bytes of user memory at r3 into argument `index`'s slot (zero when
    /// the read fails).
    func readUser(_ code: inout PrologueCode, index: Int, size: Int) {
        code.asm.store(immediate: 0, to: .r7, offset: code.argumentSlot(index), size: .double)
        code.asm.move(.r1, .r7)
        code.asm.alu64(.add, .r1, immediate: Int32(code.argumentSlot(index)))
        code.asm.load(.r2, constant: Int64(size))
        code.asm.call(.probeReadUser)
    }

    /// Truncates the argument's slot to its size, extending its sign when signed.
    func extend(_ code: inout PrologueCode, index: Int, _ argument: USDTArgumentRead) {
        guard argument.size < 8 else { return }
        code.asm.load(.r0, from: .r7, offset: code.argumentSlot(index), size: .double)
        let shift = Int32(64 - 8 * argument.size)
        code.asm.alu64(.lsh, .r0, immediate: shift)
        code.asm.alu64(argument.isSigned ? .arsh : .rsh, .r0, immediate: shift)
        code.storeArgument(index, from: .r0)
    }
}
