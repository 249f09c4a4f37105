// DTraceLibrary/CharacterSearch: strchr(s, c) and strrchr(s, c) — the rest of s from the
// first (last) c, or NULL when c is not in s.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct CharacterSearch: LibrarySubroutine {
    var names: [String] { ["strchr", "strrchr"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(2...2)
        let s = try call.string(0), c = try call.integer(1, prototype: "char")
        return call.stringSubroutine(SubroutineCall(call.name), [s, c])
    }
}

extension CharacterSearch: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let s = try context.string(1)
        let c = UInt8(truncatingIfNeeded: context.arguments[2])
        guard let position = call.name == "strrchr" ? s.lastIndex(of: c) : s.firstIndex(of: c) else { return 0 }
        return try context.result(Array(s[position...]))
    }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.stringFindCharacter(reverse: call.name == "strrchr", arguments: arguments, result: result)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// strchr/strrchr: the rest of s from the first (last) c, or 0 when c is not in s.
    mutating func stringFindCharacter(reverse: Bool, arguments a: [Register], result: Register?) throws(CodegenError) {
        try materializeLength(a[1], into: layout.stringTemporaryA)
        asm.move(.r5, .r0)                           // r5 = count
        load(.r4, a[2])
        asm.alu64(.and, .r4, immediate: 0xff)        // r4 = c
        asm.load(.r0, constant: -1)                  // r0 = position found
        asm.load(.r3, constant: 0)
        let loop = asm.newLabel(), next = asm.newLabel(), done = asm.newLabel(), found = asm.newLabel()
        asm.bind(loop)
        asm.jump(.jge, .r3, .r5, done)
        asm.jump(.jge, .r3, immediate: stringLimit, done)
        byteAddress(.r3)
        asm.load(.r1, from: .r2, offset: temporaryA, size: .byte)
        asm.jump(.jne, .r1, .r4, next)
        asm.move(.r0, .r3)
        if !reverse { asm.jump(done) }
        asm.bind(next)
        asm.alu64(.add, .r3, immediate: 1)
        asm.jump(loop)
        asm.bind(done)
        forgetExactValue(.r0)
        asm.jump(.jsge, .r0, immediate: 0, found)
        asm.load(.r0, constant: 0)
        if let result { store(result, .r0) }
        let end = asm.newLabel()
        asm.jump(end)
        asm.bind(found)
        clampToStringSize(.r0)
        asm.move(.r1, .r5)
        asm.alu64(.sub, .r1, .r0)
        clampToStringSize(.r1)
        shiftA(from: .r0, count: .r1)
        try emitTemporaryA(to: a[0], result: result)
        asm.bind(end)
    }
}
