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

    /// print()'s walk as Oracle's DTrace's: 44 spaces in, one more a level; zero members
    /// and elements left out below the top level; characters up to a NUL.
    @Test func printWalks() {
        let pad = { (depth: Int) in String(repeating: " ", count: 44 + depth) }
        let integer = PrintType.integer(name: "int", size: 4, bits: 32, signed: true, isCharacter: false)
        #expect(PrintWalk.render(address: 0x1000, type: integer, bytes: [0xfb, 0xff, 0xff, 0xff], printSize: nil)
                == "0x1000 = *\n" + pad(0) + "(int)-5,\n")
        // The top level is shown even when it is zero.
        #expect(PrintWalk.render(address: 0x1000, type: integer, bytes: [0, 0, 0, 0], printSize: nil) == "0x1000 = *\n" + pad(0) + "(int)0,\n")
        let character = PrintType.integer(name: "char", size: 1, bits: 8, signed: true, isCharacter: true)
        let name = PrintType.array(name: "char [4]", element: character, count: 4, elementSize: 1, elements: .characters)
        let number = PrintType.integer(name: "unsigned long", size: 8, bits: 64, signed: false, isCharacter: false)
        let inner = PrintType.composite(name: "union ", size: 8, members: [PrintMember(name: "n", type: number, bitOffset: 0)])
        let pair = PrintType.composite(name: "struct pair", size: 16, members: [
            PrintMember(name: "a", type: integer, bitOffset: 0),
            PrintMember(name: "name", type: name, bitOffset: 32),
            PrintMember(name: "u", type: inner, bitOffset: 64),
        ])
        let bytes: [UInt8] = [0, 0, 0, 0, 0x6f, 0, 0x6b, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        #expect(PrintWalk.render(address: 0xfeed, type: pair, bytes: bytes, printSize: nil) == "0xfeed = *\n"
                + pad(0) + "(struct pair) {\n"
                + pad(1) + ".name = (char [4]) [\n" + pad(2) + "(char)'o',\n" + pad(1) + "],\n"
                + pad(1) + ".u = (union) {\n" + pad(2) + ".n = (unsigned long)18446744073709551615,\n" + pad(1) + "},\n"
                + pad(0) + "}\n")
        // Past printsize bytes: "..." where the next value would be, and the braces closed.
        #expect(PrintWalk.render(address: 0xfeed, type: pair, bytes: bytes, printSize: 8) == "0xfeed = *\n"
                + pad(0) + "(struct pair) {\n"
                + pad(1) + ".name = (char [4]) [\n" + pad(2) + "(char)'o',\n" + pad(1) + "],\n"
                + pad(1) + "...\n" + pad(0) + "}\n")
        // A struct all zero (a short record reads as zero) still has its braces.
        #expect(PrintWalk.render(address: 1, type: pair, bytes: [], printSize: nil) == "0x1 = *\n" + pad(0) + "(struct pair) {\n" + pad(0) + "}\n")
        // Elements CTF has no encoding for (a typedef's) end the walk after the array's line.
        let raw = PrintType.array(name: "uint8_t [2]", element: .integer(name: "uint8_t", size: 1, bits: 8, signed: false, isCharacter: false),
                                  count: 2, elementSize: 1, elements: .none)
        let packet = PrintType.composite(name: "struct packet", size: 6, members: [
            PrintMember(name: "raw", type: raw, bitOffset: 0), PrintMember(name: "len", type: integer, bitOffset: 16),
        ])
        #expect(PrintWalk.render(address: 2, type: packet, bytes: [1, 0, 9, 0, 0, 0], printSize: nil) == "0x2 = *\n"
                + pad(0) + "(struct packet) {\n" + pad(1) + ".raw = (uint8_t [2]) [\n" + pad(0) + "}\n")
    }

    @Test func stackTextDropsMachineryAndLimits() {
        let text = StackText.render([0x10, 0x20], limit: 1, processID: 0, user: UserSymbols())
        #expect(text == "\n" + String(repeating: " ", count: 14) + "0x10\n")
    }
}
