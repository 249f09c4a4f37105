// DTraceProviders/PidProvider: pid<PID>:module:function:name — probes on the functions of
// a process's executable and libraries, made on demand from a description: `entry` (after
// an endbr64, which the kernel would otherwise step out of line), `return`, and an
// instruction offset in hex. Module names are the objects' basenames (`a.out` also names
// the executable; full paths are accepted). In the kernel engine every probe of a clause
// shares one program, attached through one uprobe_multi link per object and per kind
// (one perf event per probe on kernels without them), limited to the process; arguments
// come from the registers and the stack. For the ptrace engine it names the same sites.

import DTraceCodegen
import DTraceELF
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem
import DTraceX86

/// A probe on user code: where it lies and what it is in its function.
public struct UserCodeProbe: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case entry, `return`, offset(UInt64) }
    public var site: UprobeSite
    public var kind: Kind
    /// How the kernel runs the probed instruction (nil: not decoded).
    public var handling: UprobeHandling?
}

public struct PidProvider: Provider {
    public init() {}
    public var name: String { "pid" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Private", "Unknown") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .uprobes], how: UserCodeAttachment.description, ptraceEngine: "breakpoints in the -c/-p process")
    }
    public var enumeratesKernel: Bool { false }
    public func probes(in environment: ProbeEnvironment) -> [Probe] { [] }

    /// How this kernel's uprobes treat each instruction.
    static let uprobeRules = SystemName.current().flatMap { UprobeRules(kernelRelease: $0.release) } ?? .newest

    /// The process a provider name such as pid1234 names.
    static func processID(in provider: String) -> Int32? {
        guard provider.hasPrefix("pid"), provider.count > 3, provider.dropFirst(3).allSatisfy(\.isNumber) else { return nil }
        return Int32(provider.dropFirst(3))
    }

    public func processNamed(byProvider provider: String) -> Int32? { Self.processID(in: provider) }

    public func probes(describedBy description: ProbeDescription, in environment: ProbeEnvironment) -> [Probe] {
        guard let pid = Self.processID(in: description.provider), pid > 0 else { return [] }
        var probes: [Probe] = []
        for object in UserObjects.of(pid, in: environment) where object.matches(description.module) {
            let glob = Glob.hasMeta(description.function) || description.function.isEmpty
            let matching = object.file.functions.filter { function in
                function.size > 0 && !function.name.contains("@") && !function.name.contains(".") && Glob.matches(description.function, function.name)
            }
            // Aliases at one address are one function when a glob names them: the
            // global, plainest name (malloc rather than __libc_malloc).
            let chosen = glob ? Dictionary(grouping: matching, by: \.address).values.compactMap { $0.min(by: Self.preferredName) }
                .sorted { $0.address < $1.address } : matching
            for function in chosen {
                probes += functionProbes(function, of: object.file, object: object, pid: pid, name: description.name)
            }
        }
        return probes
    }

    /// Among aliases, the name DTrace users expect: global before local, fewer leading
    /// underscores, shorter, then alphabetical.
    static func preferredName(_ a: FunctionSymbol, _ b: FunctionSymbol) -> Bool {
        func rank(_ symbol: FunctionSymbol) -> (Int, Int, Int, String) {
            (symbol.isLocal ? 1 : 0, symbol.name.prefix { $0 == "_" }.count, symbol.name.count, symbol.name)
        }
        return rank(a) < rank(b)
    }

    /// The probes of one function a probe name (or glob) asks for.
    func functionProbes(_ function: FunctionSymbol, of file: ELFObject, object: UserObject, pid: Int32, name: String) -> [Probe] {
        var probes: [Probe] = []
        let code = file.bytes(ofFunction: function) ?? []
        func probe(_ probeName: String, _ kind: UserCodeProbe.Kind, at offset: UInt64, handling: UprobeHandling?) -> Probe {
            let site = UprobeSite(path: object.path, fileOffset: function.fileOffset + offset, returns: kind == .return, processID: pid)
            return Probe(identity: ProbeIdentity(id: 0, provider: "\(self.name)\(pid)", module: object.moduleName, function: function.name, name: probeName),
                         provider: self, detail: UserCodeProbe(site: site, kind: kind, handling: handling))
        }
        // An entry probe goes after endbr64: the kernel emulates what follows (push,
        // mov...) far more often than it can endbr64, and no register has changed.
        let first = try? X86Decoder.decode(code, at: 0).get()
        let entryOffset: UInt64 = first?.isEndbr64 == true ? 4 : 0
        let entry = try? X86Decoder.decode(code, at: Int(entryOffset)).get()
        // A site the kernel would refuse, or emulate as the wrong instruction, is no probe.
        if let entry, entry.uprobeHandling(under: Self.uprobeRules) != .refused, !entry.uprobeEmulationIsWrong(under: Self.uprobeRules) {
            let handling = entry.uprobeHandling(under: Self.uprobeRules)
            if Glob.matches(name, "entry") { probes.append(probe("entry", .entry, at: entryOffset, handling: handling)) }
            if Glob.matches(name, "return") { probes.append(probe("return", .return, at: entryOffset, handling: handling)) }
        }
        // Offset probes: every instruction boundary whose hex name the pattern matches.
        let exact = UInt64(name, radix: 16)
        if exact != nil || name.isEmpty || Glob.hasMeta(name) {
            for boundary in X86Decoder.instructionBoundaries(of: code, maxCount: code.count) {
                let label = String(boundary, radix: 16)
                guard exact.map({ $0 == UInt64(boundary) }) ?? Glob.matches(name, label) else { continue }
                guard let instruction = try? X86Decoder.decode(code, at: boundary).get(),
                      instruction.uprobeHandling(under: Self.uprobeRules) != .refused, !instruction.uprobeEmulationIsWrong(under: Self.uprobeRules) else { continue }
                let handling = instruction.uprobeHandling(under: Self.uprobeRules)
                probes.append(probe(label, .offset(UInt64(boundary)), at: UInt64(boundary), handling: handling))
            }
        }
        return probes
    }

    public func matchFailure(for description: ProbeDescription, in environment: ProbeEnvironment) -> (tag: String, message: String)? {
        guard description.provider.hasPrefix("pid"), !Glob.hasMeta(description.provider) else { return nil }
        guard let pid = Self.processID(in: description.provider), pid > 0 else {
            return ("D_PROC_BADPID", "\(description.provider) does not contain a valid pid")
        }
        if environment.startingProcesses[pid] == nil && !UserObjects.processExists(pid) {
            return ("D_PROC_GRAB", "failed to grab process \(pid)")
        }
        if let refusal = UserObjects.refusal(pid, in: environment) { return ("D_PROC_GRAB", refusal) }
        // An exact function in an exact module: say which lookup failed.
        if !description.module.isEmpty, !Glob.hasMeta(description.module), !description.function.isEmpty, !Glob.hasMeta(description.function),
           UserObjects.of(pid, in: environment).contains(where: { $0.matches(description.module) }) {
            return ("D_PROC_FUNC", "failed to lookup '\(description.function)' in module '\(description.module)'")
        }
        return nil
    }

    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { [] }

    public func tracedProbe(for probe: Probe) -> TracedProbe? {
        guard let userProbe = probe.detail(as: UserCodeProbe.self) else { return nil }
        let (path, offset) = (userProbe.site.path, userProbe.site.fileOffset)
        if userProbe.kind == .return {
            return TracedProbe(sites: [.functionReturn(path: path, fileOffset: offset)], processID: userProbe.site.processID) { thread, _ in
                FunctionArguments.atReturn(thread)
            }
        }
        var traced = TracedProbe(sites: [.instruction(path: path, fileOffset: offset)], processID: userProbe.site.processID) { thread, _ in
            FunctionArguments.atEntry(thread)
        }
        traced.laterArgument = { thread, index in FunctionArguments.onStack(thread, index: index) }
        traced.firesAtFunctionEntry = userProbe.kind == .entry
        return traced
    }

    public func siteNotes(of probe: Probe) -> [String] {
        guard let userProbe = probe.detail(as: UserCodeProbe.self) else { return [] }
        var notes = ["\(userProbe.site.path) at file offset 0x\(String(userProbe.site.fileOffset, radix: 16))"]
        switch userProbe.handling {
        case .emulated?: notes.append("instruction emulated by the kernel's uprobes (cheap)")
        case .steppedOutOfLine?: notes.append("instruction single-stepped out of line by the kernel (costly: several microseconds a hit)")
        case .refused?, nil: break
        }
        return notes
    }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let userProbe = probe.detail(as: UserCodeProbe.self) else { throw KernelSetupError("\(probe.identity.fullName) has no place in user code") }
        let returns = userProbe.kind == .return
        // Entry probes share their own program: its prologue knows the caller's return
        // address is on top of the stack (user stacks name it second).
        let entry = userProbe.kind == .entry
        let prologue: any ProbePrologue = returns ? FunctionReturnPrologue(returnOffset: 0) : FunctionEntryPrologue(stack: .user, callerOnStack: entry)
        let throughMultiLinks = setup.uprobesThroughMultiLinks
        return KernelProbe(programType: .kprobe, attachType: throughMultiLinks ? .uprobeMulti : .unspecified, prologue: prologue,
                           sharing: SharedAttachment(key: returns ? "uretprobe" : entry ? "uprobe entry" : "uprobe", runsNewestFirst: true) { program, members, attachments in
            try attachments.attachUprobes(members.compactMap { member in
                guard let site = member.probe.detail(as: UserCodeProbe.self)?.site, let cookie = member.cookies.first else { return nil }
                return (site, cookie)
            }, program: program, throughMultiLinks: throughMultiLinks)
        })
    }
}
