// DTraceProvidersTests/KernelTypeImportTests: the kernel's BTF types as D types, on a
// blob built here — a struct with a pointer to itself, an anonymous union whose members
// are named directly, a bitfield, a typedef, a forward declaration resolved to its
// definition, an enum — and on a hostile blob (a typedef that names itself: no trap),
// and this kernel's struct task_struct where it has BTF.

import DTraceBPF
import DTraceLanguage
import DTraceProviders
import DTraceSystem
import Glibc
import Testing

enum TypeBlob {
    static func word(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }
    static func blob(types: [UInt8], strings: String) -> [UInt8] {
        let stringBytes = Array(strings.utf8)
        return [0x9f, 0xeb, 1, 0] + word(24) + word(0) + word(UInt32(types.count)) + word(UInt32(types.count))
            + word(UInt32(stringBytes.count)) + types + stringBytes
    }

    /// 1 int; 2 struct node { struct node *next @0; union { int a; int b; } @64; unsigned flag:3 @96 (bits 100..102);
    /// u32_t count @128 }; 3 ptr -> 6 (forward node); 4 anonymous union { a; b }; 5 typedef u32_t = int;
    /// 6 forward struct node; 7 enum color { RED = 1, BLUE = 5 }.
    static var node: [UInt8] {
        // strings: 0 "", 1 int, 5 node, 10 next, 15 a, 17 b, 19 flag, 24 count, 30 u32_t, 36 color, 42 RED, 46 BLUE
        let strings = "\0int\0node\0next\0a\0b\0flag\0count\0u32_t\0color\0RED\0BLUE\0"
        var types: [UInt8] = []
        types += word(1) + word(1 << 24) + word(4) + word(0x0100_0020)                      // 1 int (signed, 32 bits)
        types += word(5) + word(4 << 24 | 1 << 31 | 4) + word(24)                          // 2 struct node, 4 members, kind_flag
        types += word(10) + word(3) + word(0)                                               //   next @ 0
        types += word(0) + word(4) + word(64)                                               //   (anonymous union) @ 64
        types += word(19) + word(1) + word(3 << 24 | 100)                                   //   flag:3 @ bit 100
        types += word(24) + word(5) + word(128)                                             //   count @ 128
        types += word(0) + word(2 << 24) + word(6)                                          // 3 pointer -> 6
        types += word(0) + word(5 << 24 | 2) + word(4)                                      // 4 union, 2 members
        types += word(15) + word(1) + word(0)                                               //   a
        types += word(17) + word(1) + word(0)                                               //   b
        types += word(30) + word(8 << 24) + word(1)                                         // 5 typedef u32_t -> int
        types += word(5) + word(7 << 24) + word(0)                                          // 6 forward struct node
        types += word(36) + word(6 << 24 | 2) + word(4)                                     // 7 enum color, 2 values
        types += word(42) + word(1) + word(46) + word(5)
        return blob(types: types, strings: strings)
    }
}

@Suite struct KernelTypeImportTests {
    @Test func structsMembersBitfieldsAndTypedefs() throws {
        let types = KernelTypes(load: { try? BTF(TypeBlob.node) })
        let node = try #require(types.kernelType(named: "struct node"))
        guard case .composite(let composite) = node.resolved else { Issue.record("not a struct: \(node)"); return }
        #expect(composite.isKernel && composite.isComplete && composite.size == 24)
        #expect(composite.members.map(\.name) == ["next", "a", "b", "flag", "count"])
        #expect(composite.member("a")?.offset == 8 && composite.member("b")?.offset == 8)
        #expect(composite.member("count")?.offset == 16)
        #expect(composite.member("count")?.type.description == "u32_t")
        let flag = try #require(composite.bitFields["flag"])
        #expect(flag.bitOffset == 100 && flag.bits == 3)
        #expect(composite.member("flag")?.offset == 12)
        // The forward declaration behind `next` is the same struct.
        guard case .composite(let target)? = composite.member("next")?.type.pointee?.resolved else { Issue.record("next"); return }
        #expect(target === composite)
        #expect(types.kernelType(named: "u32_t")?.size == 4)
        guard case .enumeration(let color)? = types.kernelType(named: "enum color")?.resolved else { Issue.record("enum"); return }
        #expect(color.values.map(\.0) == ["RED", "BLUE"] && color.values.map(\.1) == [1, 5])
        #expect(types.kernelType(named: "struct nosuch") == nil)
        #expect(types.kernelType(named: "union node") == nil)
    }

    @Test func aTypedefNamingItselfEnds() {
        // typedef loop -> loop (ID 1 -> 1): imported as void, never a trap or a hang.
        let blob = TypeBlob.blob(types: TypeBlob.word(1) + TypeBlob.word(8 << 24) + TypeBlob.word(1), strings: "\0loop\0")
        let types = KernelTypes(load: { try? BTF(blob) })
        #expect(types.kernelType(named: "loop") != nil)
    }

    @Test func anAnonymousMemberContainingItselfEnds() {
        // struct s { <anonymous member of type struct s>; int x; }: flattening it would never end.
        let blob = TypeBlob.blob(types: TypeBlob.word(1) + TypeBlob.word(4 << 24 | 2) + TypeBlob.word(4)
                                     + TypeBlob.word(0) + TypeBlob.word(1) + TypeBlob.word(0)
                                     + TypeBlob.word(3) + TypeBlob.word(2) + TypeBlob.word(0)
                                     + TypeBlob.word(5) + TypeBlob.word(1 << 24) + TypeBlob.word(4) + TypeBlob.word(0x0100_0020),
                                 strings: "\0s\0x\0int\0")
        let types = KernelTypes(load: { try? BTF(blob) })
        guard case .composite(let composite)? = types.kernelType(named: "struct s")?.resolved else { Issue.record("no struct s"); return }
        #expect(composite.members.map(\.name) == ["x"])
    }

    /// Mutated copies of the blob, from a fixed seed (DTRACE_BTF_FUZZ_SEED picks another)
    /// so that a failure is found again.
    @Test func randomBlobsNeverTrap() {
        let seed = ProcessEnvironment.value("DTRACE_BTF_FUZZ_SEED").flatMap { UInt64($0) } ?? 0xB7F0_5EED
        var generator = SeededRandom(seed: seed)
        let original = TypeBlob.node
        for round in 0..<3000 {
            var bytes = original
            for _ in 0..<(1 + round % 5) { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            let types = KernelTypes(load: { try? BTF(bytes) })
            if case .composite(let composite)? = types.kernelType(named: "struct node")?.resolved { _ = composite.members }
            _ = types.kernelType(named: "u32_t")
        }
    }

    @Test func thisKernelsTaskStruct() throws {
        guard access("/sys/kernel/btf/vmlinux", R_OK) == 0 else { return }
        let types = KernelTypes()
        guard case .composite(let task)? = types.kernelType(named: "struct task_struct")?.resolved else { Issue.record("no task_struct"); return }
        #expect(task.member("pid")?.type.size == 4)
        #expect(task.member("comm")?.type.size == 16)
        #expect(task.member("real_parent")?.type.isPointer == true)
    }
}
