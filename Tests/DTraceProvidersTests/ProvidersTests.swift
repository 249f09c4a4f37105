// DTraceProvidersTests/ProvidersTests: the registry (every provider named once, with its
// requirement and attributes), the catalogue (IDs, on-demand profile probes, which
// descriptions need the kernel enumerated), and providers' prologues checked without a
// kernel (raw_syscalls programs leave first for other calls and 32-bit callers); fbt's
// probes from a function list made for the test, and its prologues.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTraceLibrary
import DTracePlatform
@testable import DTraceProviders
import Foundation
import Testing

@Suite struct ProvidersTests {
    @Test func registryNamesEachProviderOnceWithItsRequirement() {
        let names = Providers.all.map(\.name)
        #expect(names == ["dtrace", "profile", "syscall", "sdt", "proc", "sched", "io", "lockstat", "pid", "usdt", "fbt", "tcp", "udp", "ip"])
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
        #expect(text[1].hasSuffix("r0 = *(u64 *)(r6 +8)"))
        #expect(text[2].contains("if r0 != 0x27 goto"))
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

/// fbt on a tracefs made for the test: its available_filter_functions, read only when a
/// description can name fbt.
@Suite struct FBTProviderTests {
    /// A tracefs root holding `functions` as available_filter_functions.
    static func tracefs(_ functions: String) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fbt-tracefs-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try functions.write(to: root.appendingPathComponent("available_filter_functions"), atomically: true, encoding: .utf8)
        return root.path
    }

    static let listing = "vfs_read\nksys_read\ncopy_page_range.isra.0\nschedule.cold\n__ftrace_invalid_address___812\ncleanup\ncleanup\next4_file_read_iter [ext4]\ncleanup [xfs]\n"

    @Test func probesForEachFunctionWithModulesAndIDs() throws {
        let root = try Self.tracefs(Self.listing)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let catalog = ProbeCatalog(tracefsRoot: root, providers: [DTraceProvider(), FBTProvider()])
        let all = catalog.match(ProbeDescription(provider: "fbt", module: "", function: "", name: ""))
        #expect(all.map { "\($0.identity.id) \($0.identity.fullName)" } == [
            "1000000 fbt:vmlinux:vfs_read:entry", "1000001 fbt:vmlinux:vfs_read:return",
            "1000002 fbt:vmlinux:ksys_read:entry", "1000003 fbt:vmlinux:ksys_read:return",
            "1000004 fbt:vmlinux:cleanup:entry", "1000005 fbt:vmlinux:cleanup:return",
            "1000006 fbt:ext4:ext4_file_read_iter:entry", "1000007 fbt:ext4:ext4_file_read_iter:return",
            "1000008 fbt:xfs:cleanup:entry", "1000009 fbt:xfs:cleanup:return",
        ])
        let read = catalog.match(ProbeDescription(provider: "fbt", module: "", function: "vfs_read", name: "entry"))
        #expect(read.count == 1)
        #expect(read.first?.detail(as: KernelFunctionProbe.self) == KernelFunctionProbe(module: "vmlinux", function: "vfs_read", returns: false))
        #expect(read.first?.detail(as: KernelFunctionProbe.self)?.kprobeTarget == "vfs_read")
        let inModule = catalog.match(ProbeDescription(provider: "fbt", module: "ext4", function: "", name: "return"))
        #expect(inModule.first?.detail(as: KernelFunctionProbe.self)?.kprobeTarget == "ext4:ext4_file_read_iter")
        #expect(inModule.first?.detail(as: KernelFunctionProbe.self)?.returns == true)
        #expect(catalog.match(ProbeDescription(provider: "", module: "", function: "cleanup", name: "")).count == 4)
        #expect(catalog.match(ProbeDescription(provider: "fbt", module: "", function: "copy_page_range*", name: "")).isEmpty)
        #expect(catalog.unlistedReasons() == [])
    }

    @Test func listedOnlyWhenADescriptionCanNameIt() throws {
        let root = try Self.tracefs(Self.listing)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let catalog = ProbeCatalog(tracefsRoot: root, providers: [DTraceProvider(), SyscallProvider(), FBTProvider()])
        _ = catalog.match(ProbeDescription(provider: "syscall", module: "", function: "read", name: "entry"))
        _ = catalog.match(ProbeDescription(provider: "", module: "", function: "", name: "BEGIN"))
        #expect(!catalog.probes.contains { $0.identity.provider == "fbt" })
        #expect(ProbeCatalog.needsKernelProviders(ProbeDescription(provider: "fbt", module: "", function: "vfs_read", name: "entry")))
        #expect(ProbeCatalog.needsKernelProviders(ProbeDescription(provider: "f*", module: "", function: "", name: "")))
    }

    @Test func unreadableListIsExplained() throws {
        let root = try Self.tracefs("")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.removeItem(atPath: root + "/available_filter_functions")
        let catalog = ProbeCatalog(tracefsRoot: root, providers: [FBTProvider()])
        let description = ProbeDescription(provider: "fbt", module: "", function: "vfs_read", name: "entry")
        #expect(catalog.match(description).isEmpty)
        #expect(catalog.unlistedReasons() == ["the fbt provider is not listed: \(root)/available_filter_functions cannot be read: No such file or directory"])
        #expect(FBTProvider().matchFailure(for: description, in: catalog.environment)?.message
                == "probe description fbt::vfs_read:entry does not match any probes: \(root)/available_filter_functions cannot be read: No such file or directory")
        #expect(FBTProvider().matchFailure(for: ProbeDescription(provider: "syscall", module: "", function: "", name: ""), in: catalog.environment) == nil)
    }

    @Test func otherNamesOfAFunctionFromTheKernelSymbols() {
        // Linux 6.1: the system call stubs are aliases of __do_sys_*, which tracefs lists.
        let symbols = """
        ffffffff9e8be340 t __do_sys_getppid
        ffffffff9e8be350 t __do_sys_getpid
        ffffffff9e8be350 T __ia32_sys_getpid
        ffffffff9e8be350 T __x64_sys_getpid
        ffffffff9e8be350 d __x64_sys_getpid_data
        ffffffffc0a01000 t ext4_read\t[ext4]
        ffffffffc0a01000 t ext4_read_alias\t[ext4]

        """
        #expect(FBTProvider.otherNames(of: "__x64_sys_getpid", inKernelSymbols: symbols) == ["__do_sys_getpid", "__ia32_sys_getpid"])
        #expect(FBTProvider.otherNames(of: "__do_sys_getppid", inKernelSymbols: symbols) == [])
        #expect(FBTProvider.otherNames(of: "ext4_read", inKernelSymbols: symbols) == ["ext4_read_alias"])
        #expect(FBTProvider.otherNames(of: "nosuch", inKernelSymbols: symbols) == nil)
    }

    /// Tens of thousands of functions (a distribution kernel with its modules) are listed
    /// and matched quickly.
    @Test func manyFunctionsListQuickly() throws {
        let count = 80_000
        var text = ""
        for index in 0..<count { text += index % 10 == 9 ? "module_function_\(index) [mod\(index / 10 % 50)]\n" : "kernel_function_number_\(index)\n" }
        let root = try Self.tracefs(text)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let clock = ContinuousClock()
        let start = clock.now
        let catalog = ProbeCatalog(tracefsRoot: root, providers: [DTraceProvider(), FBTProvider()])
        let matched = catalog.match(ProbeDescription(provider: "fbt", module: "", function: "kernel_function_number_1234", name: "entry"))
        let all = catalog.match(ProbeDescription(provider: "fbt", module: "mod7", function: "", name: ""))
        let elapsed = clock.now - start
        #expect(matched.count == 1)
        #expect(all.count == 2 * count / 10 / 50)
        #expect(catalog.probes.count == 3 + 2 * count)
        #expect(elapsed < .seconds(5), "listing \(count) functions took \(elapsed)")
    }

    @Test func entryAndReturnPrologues() throws {
        let entry = try ProvidersTests().generate("fbt::vfs_read:entry { trace(arg0); trace(arg5); trace(arg6); }", prologue: FunctionEntryPrologue(stack: .kernel))
        #expect(entry.contains { $0.hasSuffix("r0 = *(u64 *)(r6 +112)") })   // rdi
        #expect(entry.contains { $0.hasSuffix("r0 = *(u64 *)(r6 +64)") })    // r9
        #expect(entry.contains { $0.hasSuffix("r3 = *(u64 *)(r6 +152)") })   // rsp, for the stack argument
        #expect(entry.contains { $0.hasSuffix("call probe_read_kernel") })
        #expect(!entry.contains { $0.hasSuffix("call probe_read_user") })
        let exit = try ProvidersTests().generate("fbt::vfs_read:return { trace(arg0); trace(arg1); }", prologue: FunctionReturnPrologue(returnOffset: -1))
        #expect(exit.contains { $0.contains("*(u64 *)(r7 +") && $0.hasSuffix(" = -0x1") })   // arg0: the returning instruction is unknown
        #expect(exit.contains { $0.hasSuffix("r0 = *(u64 *)(r6 +80)") })     // rax
        let user = try ProvidersTests().generate("pid1:a.out:f:entry { trace(arg6); }", prologue: FunctionEntryPrologue(stack: .user))
        #expect(user.contains { $0.hasSuffix("call probe_read_user") })
    }
}
