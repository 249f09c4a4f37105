// DTraceLibrary/StringTokenize: strtok(s, delimiters) — the next token of s (or, with
// NULL, of the string the last call began), kept per CPU across firings as DTrace does.
// As in DTrace, a token ends at a delimiter that stays in the string: the next call, with
// its own delimiters, skips it or begins its token with it.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct StringTokenize: LibrarySubroutine {
    var names: [String] { ["strtok"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(2...2)
        // NULL written in the program continues the last string; a string that is NULL
        // when the clause runs (strstr() finding nothing) is an invalid address.
        let first: Register
        if call.isNull(0) {
            first = call.constant(0)
        } else {
            first = try call.string(0)
            call.emit(.checkNonZero(first, .badAddress))
        }
        let delimiters = try call.string(1)
        return call.stringSubroutine(SubroutineCall(call.name), [first, delimiters])
    }
}

extension StringTokenize: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let machine = context.machine
        if context.arguments[1] != 0 { machine.tokenizerState = try context.string(1); machine.tokenizerPosition = 0 }
        let delimiters = Set(try context.string(2))
        let bytes = machine.tokenizerState
        var position = machine.tokenizerPosition
        while position < bytes.count, delimiters.contains(bytes[position]) { position += 1 }
        if position >= bytes.count { machine.tokenizerPosition = position; return 0 }
        var end = position
        while end < bytes.count, !delimiters.contains(bytes[end]) { end += 1 }
        machine.tokenizerPosition = end
        return try context.result(Array(bytes[position..<end]))
    }

    /// Kept per CPU across firings: the string being split, the position in it, and the
    /// 256-bit set of the current delimiters.
    func scratchAreas(stringSize: Int) -> [ScratchArea] {
        [ScratchArea(name: Self.string, size: stringSize + 1), ScratchArea(name: Self.position, size: 8), ScratchArea(name: Self.delimiters, size: 32)]
    }
    static let string = "strtok.string", position = "strtok.position", delimiters = "strtok.delimiters"

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.stringTokenize(arguments: arguments, result: result)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    var tokenizer: Int16 { Int16(layout.offset(of: StringTokenize.string)) }
    var tokenizerPositionOffset: Int { layout.offset(of: StringTokenize.position) }
    var delimiterSetOffset: Int { layout.offset(of: StringTokenize.delimiters) }

    /// r1 = 1 when byte r1 is in the delimiter set, else 0 (uses r2).
    mutating func isDelimiter() {
        asm.move(.r2, .r1)
        asm.alu64(.rsh, .r2, immediate: 3)
        asm.alu64(.and, .r2, immediate: 31)
        asm.alu64(.add, .r2, .r7)
        asm.load(.r2, from: .r2, offset: Int16(delimiterSetOffset), size: .byte)
        asm.alu64(.and, .r1, immediate: 7)
        asm.alu64(.rsh, .r2, .r1)
        asm.alu64(.and, .r2, immediate: 1)
        asm.move(.r1, .r2)
    }

    /// r1 = the tokenizer's byte at r-position (0 past strsize).
    mutating func tokenizerByte(at position: BPFRegister) {
        let inside = asm.newLabel(), done = asm.newLabel()
        asm.jump(.jle, position, immediate: stringLimit, inside)
        asm.load(.r1, constant: 0)
        asm.jump(done)
        asm.bind(inside)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, position)
        asm.load(.r1, from: .r2, offset: tokenizer, size: .byte)
        asm.bind(done)
    }

    /// strtok(s, delimiters) as Interpreter does: s (when not NULL) becomes the string
    /// tokenized on this CPU; the next token after the position, or 0 when none is left.
    mutating func stringTokenize(arguments a: [Register], result: Register?) throws(CodegenError) {
        let keep = asm.newLabel()
        load(.r1, a[1])
        asm.jump(.jeq, .r1, immediate: 0, keep)
        try materialize(a[1], into: layout.offset(of: StringTokenize.string))
        asm.store(immediate: 0, to: .r7, offset: Int16(tokenizerPositionOffset), size: .double)
        asm.bind(keep)
        // The delimiter set: one bit per byte value of the delimiters string.
        try materializeLength(a[2], into: layout.stringTemporaryB)
        asm.move(.r5, .r0)
        for word in 0..<4 { asm.store(immediate: 0, to: .r7, offset: Int16(delimiterSetOffset + 8 * word), size: .double) }
        asm.load(.r3, constant: 0)
        let setLoop = asm.newLabel(), setDone = asm.newLabel()
        asm.bind(setLoop)
        asm.jump(.jge, .r3, .r5, setDone)
        asm.jump(.jge, .r3, immediate: stringLimit, setDone)
        byteAddress(.r3)
        asm.load(.r1, from: .r2, offset: temporaryB, size: .byte)
        asm.move(.r4, .r1)
        asm.alu64(.rsh, .r4, immediate: 3)
        asm.alu64(.and, .r4, immediate: 31)
        asm.alu64(.add, .r4, .r7)
        asm.load(.r0, from: .r4, offset: Int16(delimiterSetOffset), size: .byte)
        asm.alu64(.and, .r1, immediate: 7)
        asm.load(.r2, constant: 1)
        asm.alu64(.lsh, .r2, .r1)
        asm.alu64(.or, .r0, .r2)
        asm.store(.r0, to: .r4, offset: Int16(delimiterSetOffset), size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
        asm.jump(setLoop)
        asm.bind(setDone)
        // Skip delimiters from the position.
        asm.load(.r3, from: .r7, offset: Int16(tokenizerPositionOffset), size: .double)
        clampToStringSize(.r3)
        let skipLoop = asm.newLabel(), skipped = asm.newLabel()
        asm.bind(skipLoop)
        asm.jump(.jge, .r3, immediate: stringLimit, skipped)
        tokenizerByte(at: .r3)
        asm.jump(.jeq, .r1, immediate: 0, skipped)
        isDelimiter()
        asm.jump(.jeq, .r1, immediate: 0, skipped)
        asm.alu64(.add, .r3, immediate: 1)
        asm.jump(skipLoop)
        asm.bind(skipped)
        forgetExactValue(.r3, slot: 4)
        clampToStringSize(.r3)
        // Nothing left: remember the position, return 0.
        let token = asm.newLabel(), end = asm.newLabel()
        tokenizerByte(at: .r3)
        asm.jump(.jne, .r1, immediate: 0, token)
        asm.store(.r3, to: .r7, offset: Int16(tokenizerPositionOffset), size: .double)
        asm.load(.r0, constant: 0)
        if let result { store(result, .r0) }
        asm.jump(end)
        asm.bind(token)
        // Copy the token into A up to the next delimiter or the end.
        asm.load(.r4, constant: 0)                // r4 = token length
        let copyLoop = asm.newLabel(), copied = asm.newLabel()
        asm.bind(copyLoop)
        asm.jump(.jge, .r3, immediate: stringLimit, copied)
        asm.jump(.jge, .r4, immediate: stringLimit, copied)
        tokenizerByte(at: .r3)
        asm.jump(.jeq, .r1, immediate: 0, copied)
        asm.move(.r5, .r1)
        isDelimiter()
        asm.jump(.jne, .r1, immediate: 0, copied)
        byteAddress(.r4)
        asm.store(.r5, to: .r2, offset: temporaryA, size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
        asm.alu64(.add, .r4, immediate: 1)
        asm.jump(copyLoop)
        asm.bind(copied)
        forgetExactValue(.r4, slot: 5)
        forgetExactValue(.r3, slot: 4)
        clampToStringSize(.r4)
        clampToStringSize(.r3)
        terminateA(at: .r4)
        // The next call starts at the delimiter that ended this token, as in DTrace: the
        // next delimiters decide whether it is skipped.
        asm.store(.r3, to: .r7, offset: Int16(tokenizerPositionOffset), size: .double)
        try emitTemporaryA(to: a[0], result: result)
        asm.bind(end)
    }
}
