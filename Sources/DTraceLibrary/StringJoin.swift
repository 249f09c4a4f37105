// DTraceLibrary/StringJoin: strjoin(a, b) — the two strings joined, cut at strsize.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct StringJoin: LibrarySubroutine {
    var names: [String] { ["strjoin"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(2...2)
        let a = try call.string(0), b = try call.string(1)
        return call.stringSubroutine(SubroutineCall(call.name), [a, b])
    }
}

extension StringJoin: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        try context.result(try context.string(1) + context.string(2))
    }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.stringJoin(arguments: arguments, result: result)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    mutating func stringJoin(arguments a: [Register], result: Register?) throws(CodegenError) {
        try materializeLength(a[1], into: layout.stringTemporaryA)
        asm.store(.r0, to: .r7, offset: routineSlot(0), size: .double)
        try materializeLength(a[2], into: layout.stringTemporaryB)
        asm.load(.r5, from: .r7, offset: routineSlot(0), size: .double)
        clampToStringSize(.r5)
        // A[la + j] = B[j] until B's NUL or strsize.
        asm.load(.r3, constant: 0)
        let loop = asm.newLabel(), done = asm.newLabel()
        asm.bind(loop)
        asm.jump(.jge, .r3, immediate: stringLimit, done)
        asm.move(.r4, .r5)
        asm.alu64(.add, .r4, .r3)
        asm.jump(.jge, .r4, immediate: stringLimit, done)
        byteAddress(.r3)
        asm.load(.r1, from: .r2, offset: temporaryB, size: .byte)
        asm.jump(.jeq, .r1, immediate: 0, done)
        byteAddress(.r4)
        asm.store(.r1, to: .r2, offset: temporaryA, size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
        asm.jump(loop)
        asm.bind(done)
        forgetExactValue(.r3)
        asm.move(.r4, .r5)
        asm.alu64(.add, .r4, .r3)
        clampToStringSize(.r4)
        terminateA(at: .r4)
        try emitTemporaryA(to: a[0], result: result)
    }
}
