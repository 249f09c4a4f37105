// DTraceProviders/FBTProvider: fbt:MODULE:FUNCTION:entry and :return for every kernel
// function tracefs lists in available_filter_functions — MODULE is "vmlinux" for the core
// kernel (as Oracle's DTrace names it) or the loadable module's name; names the compiler
// made (foo.isra.0, foo.cold: a '.') and ftrace's placeholders for functions it lost are
// left out. IDs are 1000000 + 2 × the function's place in that list (+ 1 for return):
// stable for a given kernel and set of modules, above every other provider's. In the
// kernel engine each probe is a kprobe (a kretprobe for return) of its own perf event,
// and every probe of a clause shares one program that tells them apart by the cookie of
// its attachment. Entry: arg0..arg5 from the argument registers, arg6.. from the kernel
// stack. Return: arg0 is -1 (a kretprobe fires after the function has returned, so the
// returning instruction is unknown; Oracle's DTrace says the same), arg1 the return value.

import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem

/// A probe on a kernel function's boundary.
public struct KernelFunctionProbe: Sendable, Equatable {
    public var module: String
    public var function: String
    public var returns: Bool

    /// What the kprobe is placed on: the function's name, or MODULE:FUNCTION for a
    /// module's (the kernel looks such names up in that module alone).
    public var kprobeTarget: String { module == FBTProvider.coreKernelModule ? function : "\(module):\(function)" }
}

public struct FBTProvider: Provider {
    public init() {}
    public var name: String { "fbt" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Private", "Unknown") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Private", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .kprobes], how: "kprobes, one perf event per probe",
                            alternative: "kernel tracepoints are available as sdt:GROUP::EVENT")
    }

    /// The module name of the core kernel's functions.
    public static let coreKernelModule = "vmlinux"
    /// The ID of the first function's entry probe.
    static let firstID = 1_000_000

    public func probes(in environment: ProbeEnvironment) -> [Probe] {
        guard let root = environment.tracefsRoot, let functions = try? Tracefs.kernelFunctions(root: root) else { return [] }
        var probes: [Probe] = []
        probes.reserveCapacity(2 * functions.count)
        for (index, function) in Self.probedFunctions(functions).enumerated() {
            let module = function.module ?? Self.coreKernelModule
            for (offset, returns) in [(0, false), (1, true)] {
                probes.append(makeProbe(id: Self.firstID + 2 * index + offset, module: module, function: function.name, name: returns ? "return" : "entry",
                                        detail: KernelFunctionProbe(module: module, function: function.name, returns: returns)))
            }
        }
        return probes
    }

    /// The functions that get probes, in tracefs's order: each module's function once
    /// (a name several static functions share is listed once per function), without the
    /// compiler's clones and parts (a '.' in the name) or ftrace's placeholders for
    /// functions whose address it could not place (__ftrace_invalid_address___N).
    static func probedFunctions(_ functions: [Tracefs.KernelFunction]) -> [Tracefs.KernelFunction] {
        var seen = Set<Tracefs.KernelFunction>(minimumCapacity: functions.count)
        return functions.filter { function in
            !function.name.utf8.contains(0x2e) && !(function.name.utf8.first == 0x5f && function.name.hasPrefix("__ftrace_invalid_address__")) && seen.insert(function).inserted
        }
    }

    /// Why the kernel's function list cannot be read ("PATH cannot be read: REASON"),
    /// or nil when it can.
    func functionListProblem(in environment: ProbeEnvironment) -> String? {
        guard let root = environment.tracefsRoot else { return nil }
        let path = root + "/available_filter_functions"
        do throws(SystemError) {
            _ = try SystemFiles.readTextFile(path, limit: 1)
            return nil
        } catch {
            return "\(path) cannot be read: \(error.reason)"
        }
    }

    public func unlistedReason(in environment: ProbeEnvironment) -> String? {
        functionListProblem(in: environment).map { "the fbt provider is not listed: " + $0 }
    }

    /// Why a description naming fbt matched nothing, when more can be said: the function
    /// list cannot be read; or the function is one the kernel has under another name
    /// that tracefs lists (__x64_sys_getpid is __do_sys_getpid's alias on Linux 6.1), or
    /// one tracefs does not list at all.
    public func matchFailure(for description: ProbeDescription, in environment: ProbeEnvironment) -> (tag: String, message: String)? {
        guard description.provider == name else { return nil }
        let noMatch = "probe description \(description) does not match any probes"
        if let problem = functionListProblem(in: environment) { return (DiagnosticTag.probeDescriptionNoMatch.rawValue, "\(noMatch): \(problem)") }
        let function = description.function
        guard !function.isEmpty, !Glob.hasMeta(function), let root = environment.tracefsRoot,
              let listed = try? Tracefs.kernelFunctions(root: root), !listed.contains(where: { $0.name == function }),
              let symbols = SystemFiles.readSmallTextFile("/proc/kallsyms", limit: 64 << 20),
              let aliases = Self.otherNames(of: function, inKernelSymbols: symbols) else { return nil }
        let listedNames = Set(Self.probedFunctions(listed).map(\.name))
        guard let probed = aliases.first(where: listedNames.contains) else {
            return (DiagnosticTag.probeDescriptionNoMatch.rawValue, "\(noMatch): the kernel has \(function), but tracefs does not list it among the functions it can probe")
        }
        let suggestion = ProbeDescription(provider: name, module: description.module, function: probed, name: description.name)
        return (DiagnosticTag.probeDescriptionNoMatch.rawValue, "\(noMatch): \(function) is another name of \(probed), the name tracefs lists (\(suggestion))")
    }

    /// The other names /proc/kallsyms gives the code at `function`'s address (text
    /// symbols only), or nil when it has no such function.
    static func otherNames(of function: String, inKernelSymbols text: String) -> [String]? {
        var addresses = Set<Substring>()
        var entries: [(address: Substring, name: Substring)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, fields[1].count == 1, "tTwW".contains(fields[1]) else { continue }
            let symbol = fields[2].split(separator: "\t").first ?? fields[2]
            if symbol == function { addresses.insert(fields[0]) }
            entries.append((fields[0], symbol))
        }
        guard !addresses.isEmpty else { return nil }
        return entries.filter { addresses.contains($0.address) && $0.name != function }.map { String($0.name) }
    }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let function = probe.detail(as: KernelFunctionProbe.self) else { throw KernelSetupError("\(probe.identity.fullName) has no kernel function") }
        let returns = function.returns
        let prologue: any ProbePrologue = returns ? FunctionReturnPrologue(returnOffset: -1) : FunctionEntryPrologue(stack: .kernel)
        return KernelProbe(programType: .kprobe, attachType: .unspecified, prologue: prologue,
                           sharing: SharedAttachment(key: returns ? "kretprobe" : "kprobe") { program, members, attachments in
            let targets = members.compactMap { member -> (String, UInt64)? in
                guard let function = member.probe.detail(as: KernelFunctionProbe.self), let cookie = member.cookies.first else { return nil }
                return (function.kprobeTarget, cookie)
            }
            try attachments.attachKprobes(functions: targets.map(\.0), cookies: targets.map(\.1), returns: returns, program: program)
        })
    }
}
