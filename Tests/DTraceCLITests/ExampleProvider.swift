// DTraceCLITests/ExampleProvider: the worked example of docs/ARCHITECTURE.md ("How to add
// a provider") — a whole provider in one file. example:::getpid fires on every getpid()
// (the syscalls:sys_enter_getpid tracepoint) with arg0 = 42 and arg1 = the call's number
// as the tracepoint records it. Registering it is one line in Providers.all; the test
// hands it to a session beside the registry instead.

import DTraceBPF
import DTraceCodegen
import DTracePlatform
import DTraceProviders

struct ExampleProvider: Provider {
    var name: String { "example" }
    var probeAttributes: ProbeAttributes { ProbeAttributes("Private", "Unknown") }
    var argumentAttributes: ProbeAttributes { ProbeAttributes("Private", "Unknown") }
    var requirement: ProviderRequirement { ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints], how: "a syscalls tracepoint") }

    func probes(in environment: ProbeEnvironment) -> [Probe] {
        guard environment.tracefsRoot != nil else { return [] }
        return [Probe(identity: .init(id: 90_000, provider: name, module: "", function: "", name: "getpid"), provider: self)]
    }

    func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { ["int", "long"] }

    func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        let fields = try setup.format(group: "syscalls", event: "sys_enter_getpid")
        guard let number = fields.first(where: { $0.name == "__syscall_nr" }) else { throw KernelSetupError("sys_enter_getpid has no __syscall_nr") }
        return KernelProbe(programType: .tracepoint, prologue: Prologue(numberOffset: Int16(number.offset))) { program, attachments in
            try attachments.attachTracepoint(group: "syscalls", event: "sys_enter_getpid", program: program)
        }
    }

    /// Fills arg0 and arg1 when the clause reads them.
    struct Prologue: ProbePrologue {
        let numberOffset: Int16
        var argumentCount: Int { 2 }
        func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
            if demand.needsArgument(0) {
                code.asm.load(.r0, constant: 42)
                code.storeArgument(0, from: .r0)
            }
            if demand.needsArgument(1) {
                code.asm.load(.r0, from: .r6, offset: numberOffset, size: .word)
                code.storeArgument(1, from: .r0)
            }
        }
    }
}
