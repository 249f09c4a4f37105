// DTraceLibrary/ChangeCase: toupper(s) and tolower(s) — ASCII letters changed, every
// other byte kept.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct ChangeCase: LibrarySubroutine {
    var names: [String] { ["toupper", "tolower"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...1)
        return call.stringSubroutine(SubroutineCall(call.name), [try call.string(0)])
    }
}

extension ChangeCase: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let upper = call.name == "toupper"
        return try context.result(try context.string(1).map { c in
            if upper, c >= 0x61, c <= 0x7a { return c - 32 }
            if !upper, c >= 0x41, c <= 0x5a { return c + 32 }
            return c
        })
    }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.changeCase(upper: call.name == "toupper", arguments: arguments, result: result)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    mutating func changeCase(upper: Bool, arguments a: [Register], result: Register?) throws(CodegenError) {
        _ = try materializeLength(a[1], into: layout.stringTemporaryA)
        asm.load(.r3, constant: 0)
        let loop = asm.newLabel(), next = asm.newLabel(), done = asm.newLabel()
        asm.bind(loop)
        asm.jump(.jge, .r3, immediate: stringLimit, done)
        byteAddress(.r3)
        asm.load(.r1, from: .r2, offset: temporaryA, size: .byte)
        asm.jump(.jeq, .r1, immediate: 0, done)
        asm.jump(.jlt, .r1, immediate: upper ? 0x61 : 0x41, next)
        asm.jump(.jgt, .r1, immediate: upper ? 0x7a : 0x5a, next)
        asm.alu64(upper ? .sub : .add, .r1, immediate: 32)
        asm.store(.r1, to: .r2, offset: temporaryA, size: .byte)
        asm.bind(next)
        asm.alu64(.add, .r3, immediate: 1)
        asm.jump(loop)
        asm.bind(done)
        try emitTemporaryA(to: a[0], result: result)
    }
}
