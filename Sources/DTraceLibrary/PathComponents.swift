// DTraceLibrary/PathComponents: basename(s) and dirname(s), as DTrace computes them
// (trailing slashes ignored; "." for a path without a slash; "/" for the root).

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct PathComponents: LibrarySubroutine {
    var names: [String] { ["basename", "dirname"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...1)
        return call.stringSubroutine(SubroutineCall(call.name), [try call.string(0)])
    }
}

extension PathComponents: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let path = try context.string(1)
        return try context.result(call.name == "dirname" ? PathText.dirname(path) : PathText.basename(path))
    }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.pathComponent(dirname: call.name == "dirname", arguments: arguments, result: result)
    }
}

enum PathText {
    static func basename(_ path: [UInt8]) -> [UInt8] {
        var end = path.count
        while end > 0, path[end - 1] == 0x2f { end -= 1 }
        if end == 0 { return path.isEmpty ? Array(".".utf8) : Array("/".utf8) }
        var start = end
        while start > 0, path[start - 1] != 0x2f { start -= 1 }
        return Array(path[start..<end])
    }

    static func dirname(_ path: [UInt8]) -> [UInt8] {
        var end = path.count
        while end > 0, path[end - 1] == 0x2f { end -= 1 }
        if end == 0 { return path.isEmpty ? Array(".".utf8) : Array("/".utf8) }
        while end > 0, path[end - 1] != 0x2f { end -= 1 }
        if end == 0 { return Array(".".utf8) }
        while end > 1, path[end - 1] == 0x2f { end -= 1 }
        return Array(path[0..<end])
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// r1 = A[index - 1] for 1 <= index <= strsize (index in `index`).
    mutating func loadByteBefore(_ index: BPFRegister) {
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, index)
        asm.load(.r1, from: .r2, offset: temporaryA - 1, size: .byte)
    }

    /// while position > lowest && A[position - 1] (compared by `test`) character: position -= 1.
    mutating func scanBackward(_ position: BPFRegister, above lowest: Int32, whileByte test: BPFJumpOperation, _ character: Int32) {
        let done = asm.newLabel(), loop = asm.newLabel()
        asm.bind(loop)
        asm.jump(.jle, position, immediate: lowest, done)
        asm.jump(.jgt, position, immediate: stringLimit, done)
        loadByteBefore(position)
        asm.jump(test.negated, .r1, immediate: character, done)
        asm.alu64(.sub, position, immediate: 1)
        asm.jump(loop)
        asm.bind(done)
    }

    /// basename(s) and dirname(s), as PathText does.
    mutating func pathComponent(dirname: Bool, arguments a: [Register], result: Register?) throws(CodegenError) {
        try materializeLength(a[1], into: layout.stringTemporaryA)
        asm.move(.r5, .r0)                           // r5 = count
        asm.move(.r4, .r0)                           // r4 = end
        let slash: Int32 = 0x2f
        // while end > 0 && s[end - 1] == '/': end -= 1
        scanBackward(.r4, above: 0, whileByte: .jeq, slash)
        forgetExactValue(.r4, slot: 2)
        let nonEmpty = asm.newLabel(), finish = asm.newLabel()
        asm.jump(.jne, .r4, immediate: 0, nonEmpty)
        // Only slashes, or nothing: "/" or ".".
        writeSingleCharacterResult(whenZero: .r5, zero: 0x2e, otherwise: slash)
        asm.jump(finish)
        asm.bind(nonEmpty)
        // r3 = start of the last component: while start > 0 && s[start - 1] != '/'.
        asm.move(.r3, .r4)
        scanBackward(.r3, above: 0, whileByte: .jne, slash)
        forgetExactValue(.r3)
        if !dirname {
            asm.move(.r0, .r3)
            asm.move(.r1, .r4)
            asm.alu64(.sub, .r1, .r3)
            clampToStringSize(.r0)
            clampToStringSize(.r1)
            shiftA(from: .r0, count: .r1)
        } else {
            let notDot = asm.newLabel()
            asm.jump(.jne, .r3, immediate: 0, notDot)
            writeSingleCharacterResult(whenZero: nil, zero: 0x2e, otherwise: 0x2e)
            asm.jump(finish)
            asm.bind(notDot)
            // while end > 1 && s[end - 1] == '/': end -= 1 (end starts at the component start)
            scanBackward(.r3, above: 1, whileByte: .jeq, slash)
            forgetExactValue(.r3)
            clampToStringSize(.r3)
            terminateA(at: .r3)
        }
        asm.bind(finish)
        try emitTemporaryA(to: a[0], result: result)
    }

    /// A = one character: `zero` when `whenZero` is 0 (or always, with no register), else `otherwise`.
    mutating func writeSingleCharacterResult(whenZero register: BPFRegister?, zero: Int32, otherwise: Int32) {
        asm.load(.r1, constant: Int64(otherwise))
        if let register { asm.skip(1, if: .jne, register, immediate: 0) }
        asm.load(.r1, constant: Int64(zero))
        asm.store(.r1, to: .r7, offset: temporaryA, size: .byte)
        asm.store(immediate: 0, to: .r7, offset: temporaryA + 1, size: .byte)
    }
}
