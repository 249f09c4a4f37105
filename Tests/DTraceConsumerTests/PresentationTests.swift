// DTraceConsumerTests/PresentationTests: how the consumer presents what engines record —
// kernel symbols from kallsyms text (module names, the nearest symbol below an address,
// the tracing machinery's frames dropped from stacks), print() layouts by type, and the
// log-linear bucket bounds shared by every engine.

@testable import DTraceConsumer
import DTraceIR
import Testing

@Suite struct PresentationTests {
    static let kallsyms = """
    ffffffff81000000 T _stext
    ffffffff81001000 T do_syscall_64
    ffffffff81001400 t helper_local
    ffffffff81002000 D some_data
    ffffffffc0000000 t bpf_prog_1234_dt_1\t[bpf]
    ffffffffc0100000 T ext4_read\t[ext4]
    0000000000000000 T hidden_without_privileges
    ffffffff81003000 T bpf_trace_run2
    """

    @Test func symbolsFromKallsyms() {
        let symbols = KernelSymbols(text: Self.kallsyms)
        #expect(symbols.symbols.count == 6)   // text symbols with an address; data left out
        #expect(symbols.name(of: 0xffffffff81001000) == "vmlinux`do_syscall_64")
        #expect(symbols.name(of: 0xffffffff8100105a) == "vmlinux`do_syscall_64+0x5a")
        #expect(symbols.name(of: 0xffffffff81001404) == "vmlinux`helper_local+0x4")
        #expect(symbols.name(of: 0xffffffffc0100010) == "ext4`ext4_read+0x10")
        #expect(symbols.name(of: 0x1000) == nil)
        #expect(symbols.isMachinery(0xffffffffc0000010))
        #expect(symbols.isMachinery(0xffffffff81003008))
        #expect(!symbols.isMachinery(0xffffffff81001008))
    }

    @Test func printLayouts() {
        let integer = PrintType.integer(name: "int", size: 4, signed: true, isCharacter: false)
        #expect(PrintLayout.render(integer, [5, 0, 0, 0]) == "int 0x5\n")
        #expect(PrintLayout.render(integer, [0, 0, 0, 0]) == "int 0\n")
        #expect(PrintLayout.render(integer, [0xff, 0xff, 0xff, 0xff]) == "int 0xffffffff\n")
        let character = PrintType.integer(name: "char", size: 1, signed: true, isCharacter: true)
        #expect(PrintLayout.render(character, [65]) == "char 'A'\n")
        #expect(PrintLayout.render(character, [0]) == "char '\\0'\n")
        #expect(PrintLayout.render(character, [0xff]) == "char '\\37777777777'\n")
        #expect(PrintLayout.render(.string, Array("hi".utf8)) == "string \"hi\"\n")
        let pair = PrintType.composite(name: "struct pair", members: [
            PrintMember(name: "a", type: integer, offset: 0),
            PrintMember(name: "name", type: .array(name: "char [4]", element: character, count: 4, elementSize: 1), offset: 4),
        ])
        #expect(PrintLayout.render(pair, [1, 0, 0, 0, 0x6f, 0x6b, 0, 0]) == "struct pair {\n    int a = 0x1\n    char [4] name = [ \"ok\" ]\n}")
        // Short records read missing bytes as zero rather than trapping.
        #expect(PrintLayout.render(pair, [7]) == "struct pair {\n    int a = 0x7\n    char [4] name = [ \"\" ]\n}")
    }

    @Test func stackTextDropsMachineryAndLimits() {
        let text = StackText.render([0x10, 0x20], limit: 1, processID: 0, user: UserSymbols())
        #expect(text == "\n" + String(repeating: " ", count: 14) + "0x10\n")
    }
}
