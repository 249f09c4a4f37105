// DTraceLibraryTests/ExampleSubroutine: the worked example of docs/ARCHITECTURE.md ("How
// to add a subroutine") — a whole subroutine in one file: clamp(x, low, high), its
// prototype, the IR call it emits, its semantics in the interpreter and its BPF body.
// Registering it is one line in Library.standard; the tests add it to a copy instead.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTraceLibrary

struct Clamp: LibrarySubroutine {
    var names: [String] { ["clamp"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(3...3)
        let values = [try call.integer(0, prototype: "int64_t"), try call.integer(1, prototype: "int64_t"), try call.integer(2, prototype: "int64_t")]
        return call.callSubroutine(SubroutineCall("clamp"), values, type: .int64)
    }
}

extension Clamp: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let a = context.arguments
        return min(max(a[0], a[1]), a[2])
    }

    func emit(_ call: SubroutineCall, arguments a: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        generator.load(.r0, a[0])
        generator.load(.r1, a[1])
        generator.asm.skip(1, if: .jsge, .r0, .r1)
        generator.asm.move(.r0, .r1)
        generator.load(.r1, a[2])
        generator.asm.skip(1, if: .jsle, .r0, .r1)
        generator.asm.move(.r0, .r1)
        if let result { generator.store(result, .r0) }
    }
}
