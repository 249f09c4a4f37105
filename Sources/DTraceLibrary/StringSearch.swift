// DTraceLibrary/StringSearch: index(s, t[, start]) and rindex(s, t[, start]) — the
// position of t in s searching forward (backward) from start, or -1 — and strstr(s, t),
// the rest of s from the first t, or NULL.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct StringSearch: LibrarySubroutine {
    var names: [String] { ["index", "rindex", "strstr"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }
    /// Form 1: index/rindex with a start.
    static let withStart = 1

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        if call.name == "strstr" {
            try call.expect(2...2)
            let s = try call.string(0), t = try call.string(1)
            return call.stringSubroutine(SubroutineCall(call.name), [s, t])
        }
        try call.expect(2...3)
        var values = [try call.string(0), try call.string(1)]
        if call.count == 3 { values.append(try call.integer(2)) }
        return call.callSubroutine(SubroutineCall(call.name, form: call.count == 3 ? Self.withStart : 0), values, type: .int)
    }

    /// The position of `needle` in `haystack`: forward from max(0, start); backward from
    /// min(count - length, start) (a negative start finds nothing backward); or -1.
    static func find(_ needle: [UInt8], in haystack: [UInt8], reverse: Bool, start: Int64?) -> Int64 {
        let count = haystack.count, length = needle.count
        if length > count { return -1 }
        if reverse {
            var position = count - length
            if let start { if start < 0 { return -1 }; position = min(position, Int(clamping: start)) }
            while position >= 0 {
                if Array(haystack[position..<(position + length)]) == needle { return Int64(position) }
                position -= 1
            }
            return -1
        }
        var position = 0
        if let start { position = start < 0 ? 0 : Int(clamping: start) }
        while position + length <= count {
            if Array(haystack[position..<(position + length)]) == needle { return Int64(position) }
            position += 1
        }
        return -1
    }
}

extension StringSearch: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        if call.name == "strstr" {
            let s = try context.string(1), t = try context.string(2)
            let position = Self.find(t, in: s, reverse: false, start: nil)
            if position < 0 { return 0 }
            return try context.result(Array(s[Int(position)...]))
        }
        let s = try context.string(0), t = try context.string(1)
        return Self.find(t, in: s, reverse: call.name == "rindex", start: call.form == Self.withStart ? context.arguments[2] : nil)
    }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        if call.name == "strstr" { try generator.stringFindString(arguments: arguments, result: result); return }
        try generator.stringIndex(reverse: call.name == "rindex", hasStart: call.form == Self.withStart, arguments: arguments, result: result)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// Slots of a search: s's length, t's length, the first position tried, the result.
    static let searchHaystackLength = 0, searchNeedleLength = 1, searchFirstPosition = 2, searchResult = 4

    /// r0 = the position of t in s (A and B), or -1, as Interpreter.find does: forward
    /// from max(0, start); backward from min(count - length, start). The positions are
    /// walked by bpf_loop, whose callback (verified once) compares t at one position, so
    /// the verifier never sees the two loops nested.
    mutating func searchTemporaries(reverse: Bool, start: Register?) {
        asm.load(.r0, constant: -1)
        asm.store(.r0, to: .r7, offset: routineSlot(Self.searchResult), size: .double)
        asm.load(.r1, from: .r7, offset: routineSlot(Self.searchHaystackLength), size: .double)
        asm.load(.r2, from: .r7, offset: routineSlot(Self.searchNeedleLength), size: .double)
        let none = asm.newLabel(), done = asm.newLabel()
        asm.jump(.jgt, .r2, .r1, none)
        asm.move(.r5, .r1)
        asm.alu64(.sub, .r5, .r2)                    // r5 = last position a match can start at
        asm.load(.r4, constant: 0)                   // r4 = first position
        if let start {
            load(.r3, start)
            if reverse {
                asm.jump(.jslt, .r3, immediate: 0, none)
                asm.skip(1, if: .jsge, .r3, .r5)
                asm.move(.r5, .r3)
            } else {
                asm.skip(1, if: .jslt, .r3, immediate: 0)
                asm.move(.r4, .r3)
            }
        }
        asm.jump(.jsgt, .r4, .r5, none)
        asm.store(.r4, to: .r7, offset: routineSlot(Self.searchFirstPosition), size: .double)
        asm.move(.r1, .r5)
        asm.alu64(.sub, .r1, .r4)
        asm.alu64(.add, .r1, immediate: 1)           // positions to try
        asm.load(.r2, function: searchCallback(reverse: reverse))
        asm.load(.r3, constant: 0)
        asm.load(.r4, constant: 0)
        asm.call(.loop)
        asm.load(.r0, from: .r7, offset: routineSlot(Self.searchResult), size: .double)
        asm.jump(done)
        asm.bind(none)
        asm.load(.r0, constant: -1)
        asm.bind(done)
    }

    /// The callback for one position (r1 = its index from the first position): does t
    /// (B) occur in s (A) there? Forward searches stop at the first match; backward
    /// ones keep the last. Returns 1 to stop the loop, 0 to go on.
    mutating func searchCallback(reverse: Bool) -> BPFLabel {
        let name = reverse ? "search-backward" : "search-forward"
        if let label = subprograms[name] { return label }
        let label = asm.newLabel()
        subprograms[name] = label
        let scratch = maps.scratch
        subprogramBodies.append((label, { generator in
            let limit = generator.stringLimit
            let a = generator.temporaryA, b = generator.temporaryB
            let stop = generator.asm.newLabel(), mismatch = generator.asm.newLabel(), matched = generator.asm.newLabel(), loop = generator.asm.newLabel()
            generator.asm.move(.r6, .r1)
            generator.asm.store(immediate: 0, to: .frame, offset: -8, size: .double)
            generator.asm.load(.r1, mapDescriptor: scratch)
            generator.asm.move(.r2, .frame)
            generator.asm.alu64(.add, .r2, immediate: -8)
            generator.asm.call(.mapLookupElement)
            generator.asm.jump(.jeq, .r0, immediate: 0, stop)
            generator.asm.move(.r7, .r0)
            generator.asm.load(.r4, from: .r7, offset: generator.routineSlot(Self.searchFirstPosition), size: .double)
            generator.asm.alu64(.add, .r4, .r6)      // r4 = position
            generator.asm.jump(.jgt, .r4, immediate: limit, stop)
            generator.asm.load(.r5, from: .r7, offset: generator.routineSlot(Self.searchNeedleLength), size: .double)
            generator.clampToStringSize(.r5)
            generator.asm.load(.r3, constant: 0)     // r3 = j
            generator.asm.bind(loop)
            generator.asm.jump(.jge, .r3, .r5, matched)
            generator.asm.jump(.jge, .r3, immediate: limit, matched)
            generator.asm.move(.r1, .r4)
            generator.asm.alu64(.add, .r1, .r3)
            generator.asm.jump(.jge, .r1, immediate: limit, mismatch)
            generator.byteAddress(.r1)
            generator.asm.load(.r1, from: .r2, offset: a, size: .byte)
            generator.byteAddress(.r3)
            generator.asm.load(.r0, from: .r2, offset: b, size: .byte)
            generator.asm.jump(.jne, .r1, .r0, mismatch)
            generator.asm.alu64(.add, .r3, immediate: 1)
            generator.asm.jump(loop)
            generator.asm.bind(matched)
            generator.asm.store(.r4, to: .r7, offset: generator.routineSlot(Self.searchResult), size: .double)
            generator.asm.load(.r0, constant: reverse ? 0 : 1)
            generator.asm.exit()
            generator.asm.bind(mismatch)
            generator.asm.load(.r0, constant: 0)
            generator.asm.exit()
            generator.asm.bind(stop)
            generator.asm.load(.r0, constant: 1)
            generator.asm.exit()
        }))
        return label
    }

    /// Copies s into A and t into B, noting their lengths for the search.
    mutating func prepareSearch(haystack: Register, needle: Register) throws(CodegenError) {
        try materializeLength(haystack, into: layout.stringTemporaryA)
        asm.store(.r0, to: .r7, offset: routineSlot(Self.searchHaystackLength), size: .double)
        try materializeLength(needle, into: layout.stringTemporaryB)
        asm.store(.r0, to: .r7, offset: routineSlot(Self.searchNeedleLength), size: .double)
    }

    /// index(s, t[, start]) and rindex(s, t[, start]).
    mutating func stringIndex(reverse: Bool, hasStart: Bool, arguments a: [Register], result: Register?) throws(CodegenError) {
        try prepareSearch(haystack: a[0], needle: a[1])
        searchTemporaries(reverse: reverse, start: hasStart ? a[2] : nil)
        if let result { store(result, .r0) }
    }

    /// strstr(s, t): the rest of s from t's first occurrence, or 0.
    mutating func stringFindString(arguments a: [Register], result: Register?) throws(CodegenError) {
        try prepareSearch(haystack: a[1], needle: a[2])
        searchTemporaries(reverse: false, start: nil)
        let found = asm.newLabel(), end = asm.newLabel()
        asm.jump(.jsge, .r0, immediate: 0, found)
        asm.load(.r0, constant: 0)
        if let result { store(result, .r0) }
        asm.jump(end)
        asm.bind(found)
        forgetExactValue(.r0)
        clampToStringSize(.r0)
        asm.load(.r1, from: .r7, offset: routineSlot(Self.searchHaystackLength), size: .double)
        asm.alu64(.sub, .r1, .r0)
        clampToStringSize(.r1)
        shiftA(from: .r0, count: .r1)
        try emitTemporaryA(to: a[0], result: result)
        asm.bind(end)
    }
}
