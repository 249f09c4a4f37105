// DTraceProviders/DTraceProvider: dtrace:::BEGIN, END and ERROR. The user engine fires
// them in dtrace; beside kernel probes they are raw-tracepoint programs dtrace test-runs,
// so they share every map with the other clauses. Their arguments are the test run's
// (ERROR: arg1 = the faulting EPID, arg2 its action, arg3 the DIF offset, arg4 the
// fault, arg5 the address). They still run after exit().

import DTraceCodegen
import DTraceIR
import DTracePlatform

public struct DTraceProvider: Provider {
    public init() {}
    public var name: String { "dtrace" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Stable", "Common") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Stable", "Common") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf], how: "BPF test runs, beside kernel probes",
                            userEngine: "user engine (BEGIN, END, ERROR in dtrace); ")
    }
    public var enumeratesKernel: Bool { false }
    public static let probeNames = ["BEGIN", "END", "ERROR"]

    public func probes(in environment: ProbeEnvironment) -> [Probe] { Self.probeNames.map { makeProbe(name: $0) } }
    public func ownsName(_ name: String) -> Bool { Self.probeNames.contains(name) }
    public func runsInUserEngine(_ probe: Probe) -> Bool { true }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        KernelProbe(programType: .rawTracepoint, prologue: TestRunPrologue(), attach: nil)
    }

    /// Whether a probe is dtrace:::`name`.
    public static func isProbe(_ probe: ProbeIdentity, named name: String) -> Bool { probe.provider == "dtrace" && probe.name == name }
}

/// Arguments are the six u64 values a test run passes as the raw tracepoint's context.
struct TestRunPrologue: ProbePrologue {
    var argumentCount: Int { 6 }
    var stopsAfterExit: Bool { false }
    var hasKernelStack: Bool { false }

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        for index in 0..<argumentCount where demand.needsArgument(index) {
            code.asm.load(.r0, from: .r6, offset: Int16(8 * index), size: .double)
            code.storeArgument(index, from: .r0)
        }
    }
}
