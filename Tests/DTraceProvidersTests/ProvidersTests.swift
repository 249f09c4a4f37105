// DTraceProvidersTests/ProvidersTests: the registry (every provider named once, with its
// requirement and attributes), the catalogue (IDs, on-demand profile probes, which
// descriptions need the kernel enumerated), and providers' prologues checked without a
// kernel (raw_syscalls programs leave first for other calls and 32-bit callers).

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTraceLibrary
import DTracePlatform
@testable import DTraceProviders
import Testing

@Suite struct ProvidersTests {
    @Test func registryNamesEachProviderOnceWithItsRequirement() {
        let names = Providers.all.map(\.name)
        #expect(names == ["dtrace", "profile", "syscall", "sdt", "proc", "sched", "pid", "usdt"])
        for provider in Providers.all {
            #expect(provider.requirement.provider == provider.name)
            #expect(provider.requirement.needs.first == .bpf)
            #expect(!provider.requirement.how.isEmpty)
            #expect(Providers.named(provider.name)?.name == provider.name)
        }
        #expect(EnginePlan.needs(of: [SyscallProvider().requirement]) == [.bpf, .tracefs, .tracepoints])
        #expect(EnginePlan.needs(of: [ProfileProvider().requirement, DTraceProvider().requirement]) == [.bpf, .perfCPUClock])
        #expect(SyscallProvider().argumentAttributes == ProbeAttributes(names: "Private", data: "Private", dependency: "ISA"))
    }

    @Test func catalogueNumbersProbesAndMakesProfileProbesOnDemand() {
        let catalog = ProbeCatalog(tracefsRoot: nil)
        let probes = catalog.allProbes()
        #expect(probes.prefix(3).map(\.identity.name) == ["BEGIN", "END", "ERROR"])
        #expect(probes.map(\.identity.id) == Array(1...16))
        let made = catalog.match(ProbeDescription(provider: "profile", module: "", function: "", name: "tick-250ms"))
        #expect(made.count == 1)
        #expect(made.first?.identity.id == 17)
        #expect(made.first.flatMap(ProfileProvider.period(of:)) == 250_000_000)
        #expect(made.first.map { $0.provider.runsInUserEngine($0) } == true)
        let everyCPU = catalog.match(ProbeDescription(provider: "", module: "", function: "", name: "profile-123"))
        #expect(everyCPU.first.map { $0.provider.runsInUserEngine($0) } == false)
        #expect(catalog.match(ProbeDescription(provider: "profile", module: "", function: "", name: "tick-250ms")).count == 1)
        #expect(ProfileProvider.period("tick-1s") == 1_000_000_000)
        #expect(ProfileProvider.period("tick-0") == nil)
        #expect(ProfileProvider.period("profile-97hz") == Int64(10_309_278))
    }

    @Test func onlyKernelProviderNamesNeedTheKernel() {
        func needs(_ provider: String, _ name: String) -> Bool {
            ProbeCatalog.needsKernelProviders(ProbeDescription(provider: provider, module: "", function: "", name: name))
        }
        #expect(!needs("", "BEGIN"))
        #expect(!needs("", "tick-1s"))
        #expect(!needs("dtrace", "END"))
        #expect(needs("", "entry"))
        #expect(needs("sys*", "entry"))
        #expect(needs("sched", "on-cpu"))
    }

    func generate(_ source: String, prologue: any ProbePrologue) throws -> [String] {
        let compiled = try Compiler.compile(source: source, options: .standard)
        let layout = KernelLayout(program: compiled.program)
        let maps = KernelMaps(scratch: 3, globals: 4, constants: 5, records: 6, associativeArrays: [], aggregations: compiled.program.aggregations.map { _ in 8 })
        let site = ProbeSite(identity: ProbeIdentity(id: 1, provider: "syscall", module: "", function: "getpid", name: "entry"), epid: 1, prologue: prologue)
        return BPFDisassembler.text(try BPFCodeGenerator.generate(clause: compiled.program.clauses[0], program: compiled.program, layout: layout, maps: maps, site: site))
    }

    @Test func rawSyscallProgramsFilterFirst() throws {
        let text = try generate("syscall::getpid:entry { @ = count(); }", prologue: RawSyscallPrologue(number: 39, isReturn: false, compatStatusOffset: 16))
        #expect(text[1].hasSuffix("r1 = *(u64 *)(r6 +8)"))
        #expect(text[2].contains("if r1 != 0x27 goto"))
        #expect(text[3].hasSuffix("call get_current_task_btf"))
        let fallback = try generate("syscall::getpid:entry { @ = count(); }", prologue: RawSyscallPrologue(number: 39, isReturn: false, compatStatusOffset: nil))
        #expect(fallback.contains { $0.hasSuffix("call probe_read_kernel") })
        // The return probe compares the saved orig_ax before anything else.
        let exit = try generate("syscall::getpid:return { @ = count(); }", prologue: RawSyscallPrologue(number: 39, isReturn: true, compatStatusOffset: 16))
        #expect(exit.firstIndex { $0.contains("if r0 != 0x27 goto") }! < exit.firstIndex { $0.hasSuffix("call map_lookup_elem") }!)
    }

    @Test func syscallReturnFillsErrnoOnlyWhenRead() throws {
        let withErrno = try generate("syscall::close:return { trace(errno); }", prologue: SyscallReturnPrologue(returnValueOffset: 16))
        #expect(withErrno.contains { $0.hasSuffix("r0 = *(u64 *)(r6 +16)") })
        let without = try generate("syscall::close:return { trace(1); }", prologue: SyscallReturnPrologue(returnValueOffset: 16))
        #expect(!without.contains { $0.contains("(r6 +16)") })
    }
}
