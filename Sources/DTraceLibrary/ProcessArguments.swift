// DTraceLibrary/ProcessArguments: __psargs(address, length) — a process's argument area
// (its NUL-separated argv, from mm->arg_start to mm->arg_end) as one string, the
// arguments separated by spaces and cut to strsize: what psinfo_t's pr_psargs holds. The
// D library's translator calls it for the running process (the area is user memory, read
// with the user-memory probe read); an unreadable area is the empty string.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct ProcessArguments: LibrarySubroutine {
    var names: [String] { ["__psargs"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(2...2)
        return call.stringSubroutine(SubroutineCall(call.name), [try call.integer(0, prototype: "uintptr_t"), try call.integer(1, prototype: "size_t")])
    }

    /// The area's bytes with every NUL but the last made a space.
    static func joined(_ bytes: [UInt8]) -> [UInt8] {
        var text = bytes
        while text.last == 0 { text.removeLast() }
        return text.map { $0 == 0 ? 0x20 : $0 }
    }
}

extension ProcessArguments: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let length = max(0, min(Int(context.arguments[2]), context.stringSize))
        let bytes = length == 0 ? [] : context.environment.readTracee(address: context.arguments[1], size: length) ?? []
        return try context.result(Self.joined(bytes))
    }

    func emit(_ call: SubroutineCall, arguments a: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.processArguments(arguments: a, result: result)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    mutating func processArguments(arguments a: [Register], result: Register?) throws(CodegenError) {
        let empty = asm.newLabel(), join = asm.newLabel(), done = asm.newLabel()
        // r2 = min(length, strsize); nothing to read: the empty string.
        load(.r2, a[2])
        asm.jump(.jsle, .r2, immediate: 0, empty)
        clampToStringSize(.r2)
        asm.store(.r2, to: .r7, offset: routineSlot(0), size: .double)
        asm.move(.r1, .r7)
        asm.alu64(.add, .r1, immediate: Int32(temporaryA))
        load(.r3, a[1])
        asm.call(.probeReadUser)
        asm.jump(.jeq, .r0, immediate: 0, join)
        asm.bind(empty)
        asm.store(immediate: 0, to: .r7, offset: routineSlot(0), size: .double)
        asm.bind(join)
        // NULs before the last byte read become spaces; trailing ones end the string.
        asm.load(.r0, from: .r7, offset: routineSlot(0), size: .double)
        clampToStringSize(.r0)
        terminateA(at: .r0)
        asm.load(.r3, constant: 0)
        asm.alu64(.sub, .r0, immediate: 1)
        let loop = asm.newLabel(), next = asm.newLabel()
        asm.bind(loop)
        asm.jump(.jsge, .r3, .r0, done)
        asm.jump(.jge, .r3, immediate: stringLimit, done)
        byteAddress(.r3)
        asm.load(.r1, from: .r2, offset: temporaryA, size: .byte)
        asm.jump(.jne, .r1, immediate: 0, next)
        asm.store(immediate: 0x20, to: .r2, offset: temporaryA, size: .byte)
        asm.bind(next)
        asm.alu64(.add, .r3, immediate: 1)
        asm.jump(loop)
        asm.bind(done)
        try emitTemporaryA(to: a[0], result: result)
    }
}
