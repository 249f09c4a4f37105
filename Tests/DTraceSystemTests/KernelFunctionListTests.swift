// DTraceSystemTests/KernelFunctionListTests: tracefs's available_filter_functions as the
// kernel writes it (core functions bare, a module's with "[module]") parsed into
// functions; blank and garbled lines left out, compiler-made names kept for the provider
// to judge.

import DTraceSystem
import Testing

@Suite struct KernelFunctionListTests {
    static let listing = """
    __traceiter_initcall_level
    vfs_read
    ksys_read
    __x64_sys_getpid
    copy_page_range.isra.0
    __ftrace_invalid_address___812
    cleanup
    cleanup

    ext4_file_read_iter [ext4]
    xfs_file_read_iter\t[xfs]
    nf_conntrack_in [nf_conntrack]
    garbled line with words
    half [open
    empty []

    """

    @Test func parsesCoreAndModuleFunctions() {
        let functions = Tracefs.parseKernelFunctions(Self.listing)
        #expect(functions.map(\.name) == ["__traceiter_initcall_level", "vfs_read", "ksys_read", "__x64_sys_getpid", "copy_page_range.isra.0",
                                         "__ftrace_invalid_address___812", "cleanup", "cleanup", "ext4_file_read_iter", "xfs_file_read_iter", "nf_conntrack_in"])
        #expect(functions.prefix(8).allSatisfy { $0.module == nil })
        #expect(functions.suffix(3).map(\.module) == ["ext4", "xfs", "nf_conntrack"])
        #expect(Tracefs.parseKernelFunctions("") == [])
        #expect(Tracefs.parseKernelFunctions("vfs_write") == [Tracefs.KernelFunction(name: "vfs_write")])
    }

    @Test func unreadableListSaysWhy() {
        #expect(throws: SystemError.self) { try Tracefs.kernelFunctions(root: "/nonexistent-tracefs") }
        do { _ = try Tracefs.kernelFunctions(root: "/nonexistent-tracefs") } catch {
            #expect(error.description == "open /nonexistent-tracefs/available_filter_functions: No such file or directory")
        }
    }
}
