// DTraceLibrary/Substring: substr(s, index[, length]) — a negative index counts from the
// end, a negative length leaves that many bytes off the end, as DTrace does.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct Substring: LibrarySubroutine {
    var names: [String] { ["substr"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }
    /// Form 1: with a length.
    static let withLength = 1

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(2...3)
        var values = [try call.string(0), try call.integer(1)]
        if call.count == 3 { values.append(try call.integer(2)) }
        return call.stringSubroutine(SubroutineCall(call.name, form: call.count == 3 ? Self.withLength : 0), values)
    }
}

extension Substring: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let s = try context.string(1)
        let count = Int64(s.count)
        var start = context.arguments[2]
        var length = call.form == Self.withLength ? context.arguments[3] : Int64(context.stringSize)
        // DTrace's rules: a negative index counts from the end; one before the start
        // shortens the length by as much; a negative length leaves bytes off the end.
        if start < 0 {
            start &+= count
            if start < 0 {
                if length <= 0 &- start { return try context.result([]) }
                length &+= start
                start = 0
            }
        }
        if start >= count { return try context.result([]) }
        if length < 0 {
            length &+= count - start
            if length <= 0 { return try context.result([]) }
        }
        let end = length >= count - start ? count : start + length
        return try context.result(Array(s[Int(start)..<Int(end)]))
    }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.substring(hasLength: call.form == Self.withLength, arguments: arguments, result: result)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// substr(s, index[, length]) with DTrace's treatment of negative index and length.
    mutating func substring(hasLength: Bool, arguments a: [Register], result: Register?) throws(CodegenError) {
        try materializeLength(a[1], into: layout.stringTemporaryA)
        asm.move(.r5, .r0)                          // r5 = count
        load(.r0, a[2])                              // r0 = start (signed)
        if hasLength { load(.r1, a[3]) } else { asm.load(.r1, constant: Int64(stringLimit)) }   // r1 = length
        let startKnown = asm.newLabel(), lengthKnown = asm.newLabel(), empty = asm.newLabel(), copy = asm.newLabel()
        asm.jump(.jsge, .r0, immediate: 0, startKnown)
        asm.alu64(.add, .r0, .r5)
        asm.jump(.jsge, .r0, immediate: 0, startKnown)
        // Before the start: the length shrinks by as much (nothing left: empty).
        asm.load(.r2, constant: 0)
        asm.alu64(.sub, .r2, .r0)
        asm.jump(.jsle, .r1, .r2, empty)
        asm.alu64(.add, .r1, .r0)
        asm.load(.r0, constant: 0)
        asm.bind(startKnown)
        asm.jump(.jsge, .r0, .r5, empty)
        asm.jump(.jsge, .r1, immediate: 0, lengthKnown)
        asm.alu64(.add, .r1, .r5)
        asm.alu64(.sub, .r1, .r0)                    // count - start + length
        asm.jump(.jsle, .r1, immediate: 0, empty)
        asm.bind(lengthKnown)
        // end = min(count, start + length); count of bytes = max(0, end - start).
        asm.move(.r4, .r0)
        asm.alu64(.add, .r4, .r1)
        asm.skip(1, if: .jsle, .r4, .r5)
        asm.move(.r4, .r5)
        asm.move(.r1, .r4)
        asm.alu64(.sub, .r1, .r0)
        asm.jump(.jsgt, .r1, immediate: 0, copy)
        asm.bind(empty)
        asm.load(.r0, constant: 0)
        asm.load(.r1, constant: 0)
        asm.bind(copy)
        forgetExactValue(.r0, slot: 2)
        forgetExactValue(.r1)
        clampToStringSize(.r0)
        clampToStringSize(.r1)
        shiftA(from: .r0, count: .r1)
        try emitTemporaryA(to: a[0], result: result)
    }
}
