// DTraceCodegen/StringRoutines: D's string subroutines in BPF — strjoin, substr,
// strchr/strrchr, toupper/tolower, basename/dirname, lltostr — each the interpreter's
// semantics (DTraceIR/Execution.swift) byte for byte. Inputs are copied into the two
// per-CPU string temporaries (A, B), the result is built in A with bounded loops (the
// verifier follows every counter, each checked against strsize before it indexes), and
// A is then copied into the destination. Loops call no helper, so they keep their state
// in r0-r5; what must survive a helper call goes to the routine-state slots.

import DTraceBPF
import DTraceIR

extension BPFCodeGenerator {
    var temporaryA: Int16 { Int16(layout.stringTemporaryA) }
    var temporaryB: Int16 { Int16(layout.stringTemporaryB) }
    var stringLimit: Int32 { Int32(layout.stringSize) }

    func routineSlot(_ index: Int) -> Int16 { Int16(layout.routineStateOffset + 8 * index) }

    /// Copies a string into a temporary; r0 = its length (NUL excluded), at most strsize.
    mutating func materializeLength(_ register: Register, into temporary: Int) throws(CodegenError) {
        try materialize(register, into: temporary)
        asm.alu64(.sub, .r0, immediate: 1)
        clampToStringSize(.r0)
    }

    /// Passes a register through a routine slot so the verifier forgets its exact value
    /// and verifies what follows once for every value, not once per loop exit (without
    /// this, a position found at iteration i makes the rest be verified 256 times).
    mutating func forgetExactValue(_ register: BPFRegister, slot: Int = 3) {
        asm.store(register, to: .r7, offset: routineSlot(slot), size: .double)
        asm.load(register, from: .r7, offset: routineSlot(slot), size: .double)
    }

    mutating func clampTo(_ register: BPFRegister, _ limit: Int32) {
        asm.skip(1, if: .jle, register, immediate: limit)
        asm.load(register, constant: Int64(limit))
    }

    /// Keeps a register in 0...strsize as the verifier sees it (unsigned compare).
    mutating func clampToStringSize(_ register: BPFRegister) {
        asm.skip(1, if: .jle, register, immediate: stringLimit)
        asm.load(register, constant: Int64(layout.stringSize))
    }

    /// r2 = r7 + index: the address of byte `index` of a temporary (add its offset).
    mutating func byteAddress(_ index: BPFRegister, into target: BPFRegister = .r2) {
        asm.move(target, .r7)
        asm.alu64(.add, target, index)
    }

    /// A[length] = 0, for a length register already within 0...strsize.
    mutating func terminateA(at length: BPFRegister) {
        byteAddress(length)
        asm.store(immediate: 0, to: .r2, offset: temporaryA, size: .byte)
    }

    /// The destination string = temporary A; the helper's result = the destination.
    mutating func emitTemporaryA(to destination: Register, result: Register?) throws(CodegenError) {
        let span = layout.stringSize + 1
        try withPointer(destination, span: span, write: true, into: .r1) { generator in
            generator.asm.load(.r2, constant: Int64(span))
            generator.asm.move(.r3, .r7)
            generator.asm.alu64(.add, .r3, immediate: Int32(generator.layout.stringTemporaryA))
            generator.asm.call(.probeReadKernelString)
        }
        if let result { load(.r0, destination); store(result, .r0) }
    }

    /// A[0..<r1] = A[r0..<r0 + r1] (r0 + r1 <= strsize, both in range): a shift left.
    mutating func shiftA(from start: BPFRegister = .r0, count: BPFRegister = .r1) {
        // r3 counts up; r4 = start + r3.
        asm.move(.r5, start)
        asm.move(.r0, count)
        asm.load(.r3, constant: 0)
        let loop = asm.newLabel(), done = asm.newLabel()
        asm.bind(loop)
        asm.jump(.jge, .r3, .r0, done)
        asm.jump(.jge, .r3, immediate: stringLimit, done)
        asm.move(.r4, .r5)
        asm.alu64(.add, .r4, .r3)
        asm.jump(.jge, .r4, immediate: stringLimit, done)
        byteAddress(.r4)
        asm.load(.r1, from: .r2, offset: temporaryA, size: .byte)
        byteAddress(.r3)
        asm.store(.r1, to: .r2, offset: temporaryA, size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
        asm.jump(loop)
        asm.bind(done)
        terminateA(at: .r3)
    }

    // MARK: the routines

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

    /// substr(s, index[, length]) with DTrace's treatment of negative index and length.
    mutating func substring(hasLength: Bool, arguments a: [Register], result: Register?) throws(CodegenError) {
        try materializeLength(a[1], into: layout.stringTemporaryA)
        asm.move(.r5, .r0)                          // r5 = count
        load(.r0, a[2])                              // r0 = start (signed)
        let startKnown = asm.newLabel(), empty = asm.newLabel(), copy = asm.newLabel()
        asm.jump(.jsge, .r0, immediate: 0, startKnown)
        asm.alu64(.add, .r0, .r5)
        asm.jump(.jsge, .r0, immediate: 0, startKnown)
        asm.load(.r0, constant: 0)
        asm.bind(startKnown)
        asm.jump(.jsgt, .r0, .r5, empty)
        // r1 = length
        if hasLength {
            load(.r1, a[3])
            let lengthKnown = asm.newLabel()
            asm.jump(.jsge, .r1, immediate: 0, lengthKnown)
            asm.alu64(.add, .r1, .r5)
            asm.alu64(.sub, .r1, .r0)                // count - start + length
            asm.jump(.jsge, .r1, immediate: 0, lengthKnown)
            asm.load(.r1, constant: 0)
            asm.bind(lengthKnown)
        } else {
            asm.move(.r1, .r5)
            asm.alu64(.sub, .r1, .r0)
        }
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

    /// lltostr(value[, base]): decimal with a sign, or the unsigned digits of base 2...75
    /// ("0x" before hexadecimal, "0" before octal); another base faults.
    mutating func integerToString(hasBase: Bool, arguments a: [Register], result: Register?) throws(CodegenError) {
        if layout.stringSize < 67 { throw .unsupported("lltostr() with strsize below 67") }
        load(.r1, a[1])                              // r1 = value
        if hasBase { load(.r5, a[2]) } else { asm.load(.r5, constant: 10) }
        let baseFine = asm.newLabel()
        asm.jump(.jlt, .r5, immediate: 2, baseFine)
        asm.jump(.jgt, .r5, immediate: 75, baseFine)
        let valid = asm.newLabel()
        asm.jump(valid)
        asm.bind(baseFine)
        fault(.illegalOperation)
        asm.bind(valid)
        // r0 = negative (base 10 only); r1 = magnitude.
        asm.load(.r0, constant: 0)
        let unsigned = asm.newLabel()
        asm.jump(.jne, .r5, immediate: 10, unsigned)
        asm.jump(.jsge, .r1, immediate: 0, unsigned)
        asm.load(.r0, constant: 1)
        asm.negate(.r1)
        asm.bind(unsigned)
        // Digits backward into B[66], B[65], ... (64 binary digits at most).
        asm.load(.r3, constant: 66)
        byteAddress(.r3)
        asm.store(immediate: 0, to: .r2, offset: temporaryB, size: .byte)
        let loop = asm.newLabel(), digits = asm.newLabel()
        asm.bind(loop)
        asm.jump(.jeq, .r3, immediate: 0, digits)
        asm.alu64(.sub, .r3, immediate: 1)
        asm.move(.r4, .r1)
        asm.alu64(.mod, .r4, .r5)
        asm.alu64(.add, .r4, immediate: 0x30)
        asm.skip(1, if: .jle, .r4, immediate: 0x39)
        asm.alu64(.add, .r4, immediate: 0x61 - 0x3a)
        byteAddress(.r3)
        asm.store(.r4, to: .r2, offset: temporaryB, size: .byte)
        asm.alu64(.div, .r1, .r5)
        asm.jump(.jne, .r1, immediate: 0, loop)
        asm.bind(digits)
        forgetExactValue(.r3)
        clampTo(.r3, 66)
        // Prefixes: "-" (negative decimal), "0x" (hexadecimal), "0" (octal).
        let prefixed = asm.newLabel(), notHex = asm.newLabel(), notNegative = asm.newLabel()
        asm.jump(.jeq, .r0, immediate: 0, notNegative)
        prefix(0x2d)
        asm.jump(prefixed)
        asm.bind(notNegative)
        asm.jump(.jne, .r5, immediate: 16, notHex)
        prefix(0x78)
        prefix(0x30)
        asm.jump(prefixed)
        asm.bind(notHex)
        asm.jump(.jne, .r5, immediate: 8, prefixed)
        load(.r1, a[1])
        asm.jump(.jeq, .r1, immediate: 0, prefixed)   // zero is "0" in octal too
        prefix(0x30)
        asm.bind(prefixed)
        forgetExactValue(.r3)
        clampTo(.r3, 66)
        // A = B[r3...].
        asm.load(.r4, constant: 0)
        let copy = asm.newLabel(), copied = asm.newLabel()
        asm.bind(copy)
        asm.jump(.jgt, .r3, immediate: 66, copied)
        asm.jump(.jgt, .r4, immediate: 66, copied)
        byteAddress(.r3)
        asm.load(.r1, from: .r2, offset: temporaryB, size: .byte)
        byteAddress(.r4)
        asm.store(.r1, to: .r2, offset: temporaryA, size: .byte)
        asm.jump(.jeq, .r1, immediate: 0, copied)
        asm.alu64(.add, .r3, immediate: 1)
        asm.alu64(.add, .r4, immediate: 1)
        asm.jump(copy)
        asm.bind(copied)
        try emitTemporaryA(to: a[0], result: result)
    }

    /// B[--r3] = character (r3 > 0 holds: at most 64 digits were written below 66).
    mutating func prefix(_ character: Int32) {
        asm.skip(1, if: .jeq, .r3, immediate: 0)
        asm.alu64(.sub, .r3, immediate: 1)
        byteAddress(.r3)
        asm.store(immediate: character, to: .r2, offset: temporaryB, size: .byte)
    }
}

// MARK: searching (index, rindex, strstr)

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

// MARK: inet_ntoa

extension BPFCodeGenerator {
    /// A[r3++] = '0' + r1 (a digit).
    mutating func appendDigit(_ digit: BPFRegister) {
        asm.alu64(.add, digit, immediate: 0x30)
        byteAddress(.r3)
        asm.store(digit, to: .r2, offset: temporaryA, size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
    }

    /// inet_ntoa(&address): the four bytes at the address as "a.b.c.d".
    mutating func internetAddress4(arguments a: [Register], result: Register?) throws(CodegenError) {
        if layout.stringSize < 16 { throw .unsupported("inet_ntoa() with strsize below 16") }
        try withPointer(a[1], span: 4, write: false, into: .r1) { generator in
            generator.asm.load(.r2, from: .r1, offset: 0, size: .word)
            generator.asm.store(.r2, to: .r7, offset: generator.routineSlot(0), size: .double)
        }
        asm.load(.r3, constant: 0)
        appendDottedQuad(from: routineSlot(0))
        terminateA(at: .r3)
        try emitTemporaryA(to: a[0], result: result)
    }

    /// Appends the four bytes of the u64 at r7 + offset as "a.b.c.d" to A at r3 (which
    /// must leave 16 bytes of room); unrolled: at most 15 characters, no loop.
    mutating func appendDottedQuad(from offset: Int16) {
        for octet in 0..<4 {
            asm.load(.r4, from: .r7, offset: offset, size: .double)
            if octet > 0 { asm.alu64(.rsh, .r4, immediate: Int32(8 * octet)) }
            asm.alu64(.and, .r4, immediate: 0xff)
            let belowHundred = asm.newLabel(), belowTen = asm.newLabel(), ones = asm.newLabel()
            asm.jump(.jlt, .r4, immediate: 100, belowHundred)
            asm.move(.r1, .r4)
            asm.alu64(.div, .r1, immediate: 100)
            appendDigit(.r1)
            asm.alu64(.mod, .r4, immediate: 100)
            asm.move(.r1, .r4)
            asm.alu64(.div, .r1, immediate: 10)
            appendDigit(.r1)
            asm.jump(ones)
            asm.bind(belowHundred)
            asm.jump(.jlt, .r4, immediate: 10, belowTen)
            asm.move(.r1, .r4)
            asm.alu64(.div, .r1, immediate: 10)
            appendDigit(.r1)
            asm.bind(belowTen)
            asm.bind(ones)
            asm.move(.r1, .r4)
            asm.alu64(.mod, .r1, immediate: 10)
            appendDigit(.r1)
            if octet < 3 { appendCharacter(0x2e) }
        }
    }

    /// A[r3++] = character.
    mutating func appendCharacter(_ character: Int32) {
        byteAddress(.r3)
        asm.store(immediate: character, to: .r2, offset: temporaryA, size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
    }
}

// MARK: inet_ntop(AF_INET6), inet_ntoa6

extension BPFCodeGenerator {
    /// Routine slots of the IPv6 text: the zero run being tried, the run kept (first
    /// byte, length in bytes), the output position, the last group's byte, the IPv4 tail.
    static let v6Trying = 0, v6First = 1, v6Length = 2, v6Position = 3, v6End = 4, v6Tail = 5

    /// InternetText.ipv6 in BPF: the 16 bytes are copied into B, the zero run found by
    /// 16 unrolled steps, then the groups written left to right (the run as "::"), the
    /// embedded IPv4 form dotted. Every step keeps its values in the routine slots, so
    /// the verifier sees the paths join after each step instead of multiplying.
    mutating func internetAddress6(embeddedIPv4Alone: Bool, address: Register, destination: Register, result: Register?) throws(CodegenError) {
        if layout.stringSize < 46 { throw .unsupported("inet_ntop(AF_INET6, ...) with strsize below 46") }
        try withPointer(address, span: 16, write: false, into: .r1) { generator in
            for half in 0..<2 {
                generator.asm.load(.r2, from: .r1, offset: Int16(8 * half), size: .double)
                generator.asm.store(.r2, to: .r7, offset: generator.temporaryB + Int16(8 * half), size: .double)
            }
        }
        asm.load(.r1, constant: -1)
        asm.store(.r1, to: .r7, offset: routineSlot(Self.v6Trying), size: .double)
        asm.store(.r1, to: .r7, offset: routineSlot(Self.v6First), size: .double)
        asm.store(immediate: 1, to: .r7, offset: routineSlot(Self.v6Length), size: .double)
        asm.store(immediate: 0, to: .r7, offset: routineSlot(Self.v6Position), size: .double)
        asm.store(immediate: 14, to: .r7, offset: routineSlot(Self.v6End), size: .double)
        for index in 0..<16 { zeroRunStep(index) }
        // An embedded IPv4 address: mapped (::ffff:a.b.c.d) or compatible (::a.b.c.d).
        let plain = asm.newLabel(), embedded = asm.newLabel(), compatible = asm.newLabel(), finish = asm.newLabel()
        asm.load(.r1, from: .r7, offset: temporaryB, size: .double)
        asm.jump(.jne, .r1, immediate: 0, plain)
        asm.load(.r2, from: .r7, offset: temporaryB + 8, size: .word)
        asm.load(.r3, from: .r7, offset: temporaryB + 12, size: .word)
        asm.store(.r3, to: .r7, offset: routineSlot(Self.v6Tail), size: .double)
        asm.jump(.jeq, .r2, immediate: 0, compatible)
        asm.load(.r4, constant: 0xffff_0000)
        asm.jump(.jeq, .r2, .r4, embedded)
        asm.jump(plain)
        asm.bind(compatible)
        asm.jump(.jeq, .r3, immediate: 0, plain)
        asm.jump(.jeq, .r3, immediate: 0x0100_0000, plain)
        asm.bind(embedded)
        if embeddedIPv4Alone {
            asm.load(.r3, constant: 0)
            appendDottedQuad(from: routineSlot(Self.v6Tail))
            asm.store(.r3, to: .r7, offset: routineSlot(Self.v6Position), size: .double)
            asm.jump(finish)
        } else {
            asm.store(immediate: 10, to: .r7, offset: routineSlot(Self.v6End), size: .double)
        }
        asm.bind(plain)
        for group in 0..<8 { groupText(group) }
        let noTail = asm.newLabel()
        asm.load(.r1, from: .r7, offset: routineSlot(Self.v6End), size: .double)
        asm.jump(.jne, .r1, immediate: 10, noTail)
        asm.load(.r3, from: .r7, offset: routineSlot(Self.v6Position), size: .double)
        clampTo(.r3, stringLimit - 16)
        appendDottedQuad(from: routineSlot(Self.v6Tail))
        asm.store(.r3, to: .r7, offset: routineSlot(Self.v6Position), size: .double)
        asm.bind(noTail)
        asm.bind(finish)
        asm.load(.r3, from: .r7, offset: routineSlot(Self.v6Position), size: .double)
        clampToStringSize(.r3)
        terminateA(at: .r3)
        try emitTemporaryA(to: destination, result: result)
    }

    /// One byte of InternetText.zeroRun.
    mutating func zeroRunStep(_ index: Int) {
        let next = asm.newLabel(), notStart = asm.newLabel()
        let byte = temporaryB + Int16(index)
        asm.load(.r1, from: .r7, offset: byte, size: .byte)
        asm.load(.r2, from: .r7, offset: routineSlot(Self.v6Trying), size: .double)
        if index % 2 == 0 {
            asm.jump(.jne, .r1, immediate: 0, notStart)
            asm.jump(.jne, .r2, immediate: -1, notStart)
            asm.store(immediate: Int32(index), to: .r7, offset: routineSlot(Self.v6Trying), size: .double)
            asm.jump(next)
        }
        asm.bind(notStart)
        asm.jump(.jeq, .r2, immediate: -1, next)
        if index != 15 { asm.jump(.jeq, .r1, immediate: 0, next) }
        asm.load(.r3, from: .r7, offset: routineSlot(Self.v6Length), size: .double)
        asm.load(.r4, constant: Int64(index))
        asm.alu64(.sub, .r4, .r2)
        let longer = asm.newLabel()
        asm.jump(.jsgt, .r4, .r3, longer)
        asm.store(immediate: -1, to: .r7, offset: routineSlot(Self.v6Trying), size: .double)
        asm.jump(next)
        asm.bind(longer)
        asm.store(.r2, to: .r7, offset: routineSlot(Self.v6First), size: .double)
        asm.load(.r4, constant: Int64(index - index % 2))
        asm.alu64(.sub, .r4, .r2)
        if index == 15 {
            asm.skip(1, if: .jne, .r1, immediate: 0)
            asm.alu64(.add, .r4, immediate: 2)
        }
        asm.store(.r4, to: .r7, offset: routineSlot(Self.v6Length), size: .double)
        asm.store(immediate: -1, to: .r7, offset: routineSlot(Self.v6Trying), size: .double)
        asm.bind(next)
    }

    /// Group `group` (bytes 2g, 2g+1) when it is at or before the last group: inside the
    /// kept run only its first group writes "::"; otherwise its hex digits, then ":"
    /// unless it is the eighth group or the run follows it.
    mutating func groupText(_ group: Int) {
        let next = asm.newLabel(), digits = asm.newLabel(), save = asm.newLabel()
        let byte = Int32(2 * group)
        asm.load(.r5, from: .r7, offset: routineSlot(Self.v6End), size: .double)
        asm.jump(.jsgt, .r5, immediate: byte - 1, digits)
        asm.jump(next)
        asm.bind(digits)
        asm.load(.r3, from: .r7, offset: routineSlot(Self.v6Position), size: .double)
        clampTo(.r3, stringLimit - 8)
        asm.load(.r1, from: .r7, offset: routineSlot(Self.v6First), size: .double)
        asm.load(.r2, from: .r7, offset: routineSlot(Self.v6Length), size: .double)
        asm.move(.r4, .r1)
        asm.alu64(.add, .r4, .r2)
        asm.alu64(.sub, .r4, immediate: 2)           // the run's last group's byte
        let hex = asm.newLabel()
        asm.jump(.jslt, .r1, immediate: 0, hex)
        asm.jump(.jsgt, .r4, .r5, hex)
        asm.jump(.jsgt, .r1, immediate: byte, hex)
        asm.jump(.jslt, .r4, immediate: byte, hex)
        asm.jump(.jne, .r1, immediate: byte, save)
        appendCharacter(0x3a)
        appendCharacter(0x3a)
        asm.jump(save)
        asm.bind(hex)
        asm.load(.r4, from: .r7, offset: temporaryB + Int16(byte), size: .byte)
        asm.alu64(.lsh, .r4, immediate: 8)
        asm.load(.r2, from: .r7, offset: temporaryB + Int16(byte + 1), size: .byte)
        asm.alu64(.or, .r4, .r2)
        let entries = (0..<4).map { _ in asm.newLabel() }
        asm.jump(.jge, .r4, immediate: 0x1000, entries[3])
        asm.jump(.jge, .r4, immediate: 0x100, entries[2])
        asm.jump(.jge, .r4, immediate: 0x10, entries[1])
        asm.jump(entries[0])
        for digit in stride(from: 3, through: 0, by: -1) {
            asm.bind(entries[digit])
            asm.move(.r0, .r4)
            if digit > 0 { asm.alu64(.rsh, .r0, immediate: Int32(4 * digit)) }
            asm.alu64(.and, .r0, immediate: 15)
            // '0' + d, plus 39 more from 10 on ('a' - '0' - 10), without a branch.
            asm.move(.r2, .r0)
            asm.alu64(.add, .r2, immediate: 6)
            asm.alu64(.rsh, .r2, immediate: 4)
            asm.alu64(.mul, .r2, immediate: 39)
            asm.alu64(.add, .r0, immediate: 0x30)
            asm.alu64(.add, .r0, .r2)
            byteAddress(.r3)
            asm.store(.r0, to: .r2, offset: temporaryA, size: .byte)
            asm.alu64(.add, .r3, immediate: 1)
        }
        if group < 7 {
            asm.jump(.jeq, .r1, immediate: byte + 2, save)
            appendCharacter(0x3a)
        }
        asm.bind(save)
        asm.store(.r3, to: .r7, offset: routineSlot(Self.v6Position), size: .double)
        asm.bind(next)
    }
}

// MARK: strtok

extension BPFCodeGenerator {
    var tokenizer: Int16 { Int16(layout.tokenizerOffset) }

    /// r1 = 1 when byte r1 is in the delimiter set, else 0 (uses r2).
    mutating func isDelimiter() {
        asm.move(.r2, .r1)
        asm.alu64(.rsh, .r2, immediate: 3)
        asm.alu64(.and, .r2, immediate: 31)
        asm.alu64(.add, .r2, .r7)
        asm.load(.r2, from: .r2, offset: Int16(layout.delimiterSetOffset), size: .byte)
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
        try materialize(a[1], into: layout.tokenizerOffset)
        asm.store(immediate: 0, to: .r7, offset: Int16(layout.tokenizerPositionOffset), size: .double)
        asm.bind(keep)
        // The delimiter set: one bit per byte value of the delimiters string.
        try materializeLength(a[2], into: layout.stringTemporaryB)
        asm.move(.r5, .r0)
        for word in 0..<4 { asm.store(immediate: 0, to: .r7, offset: Int16(layout.delimiterSetOffset + 8 * word), size: .double) }
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
        asm.load(.r0, from: .r4, offset: Int16(layout.delimiterSetOffset), size: .byte)
        asm.alu64(.and, .r1, immediate: 7)
        asm.load(.r2, constant: 1)
        asm.alu64(.lsh, .r2, .r1)
        asm.alu64(.or, .r0, .r2)
        asm.store(.r0, to: .r4, offset: Int16(layout.delimiterSetOffset), size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
        asm.jump(setLoop)
        asm.bind(setDone)
        // Skip delimiters from the position.
        asm.load(.r3, from: .r7, offset: Int16(layout.tokenizerPositionOffset), size: .double)
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
        asm.store(.r3, to: .r7, offset: Int16(layout.tokenizerPositionOffset), size: .double)
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
        // The next call starts after the delimiter that ended this token (if any).
        tokenizerByte(at: .r3)
        asm.skip(1, if: .jeq, .r1, immediate: 0)
        asm.alu64(.add, .r3, immediate: 1)
        asm.store(.r3, to: .r7, offset: Int16(layout.tokenizerPositionOffset), size: .double)
        try emitTemporaryA(to: a[0], result: result)
        asm.bind(end)
    }
}

// MARK: cleanpath

extension BPFCodeGenerator {
    /// Routine slots of cleanpath(): the output length, the state (0 plain, 1 after "/",
    /// 2 after "/.", 3 after "/.."), the depth of the stack of "/" positions.
    static let pathLength = 0, pathState = 1, pathDepth = 2

    /// cleanpath(s) as PathText.cleanpath: the path is copied into B, and bpf_loop calls
    /// one callback per character (NUL included), which keeps its state in the routine
    /// slots and builds the result in A; "/.." backs up to the "/" on top of the stack.
    mutating func cleanPath(arguments a: [Register], result: Register?) throws(CodegenError) {
        try materialize(a[1], into: layout.stringTemporaryB)
        clampTo(.r0, stringLimit + 1)
        for slot in [Self.pathLength, Self.pathState, Self.pathDepth] {
            asm.store(immediate: 0, to: .r7, offset: routineSlot(slot), size: .double)
        }
        asm.move(.r1, .r0)
        asm.load(.r2, function: cleanPathCallback())
        asm.load(.r3, constant: 0)
        asm.load(.r4, constant: 0)
        asm.call(.loop)
        asm.load(.r3, from: .r7, offset: routineSlot(Self.pathLength), size: .double)
        clampToStringSize(.r3)
        terminateA(at: .r3)
        try emitTemporaryA(to: a[0], result: result)
    }

    /// The callback for character r1 of B (see cleanPathStep).
    mutating func cleanPathCallback() -> BPFLabel {
        let name = "cleanpath"
        if let label = subprograms[name] { return label }
        let label = asm.newLabel()
        subprograms[name] = label
        let scratch = maps.scratch
        subprogramBodies.append((label, { generator in generator.cleanPathStep(scratch: scratch) }))
        return label
    }

    /// One character: r3 = the character, r4 = the output length (kept 5 below strsize,
    /// where DTrace stops), r5 = the state. Returns 1 to stop the loop, 0 to go on.
    mutating func cleanPathStep(scratch: Int32) {
        let limit = stringLimit
        let stop = asm.newLabel(), goOn = asm.newLabel(), save = asm.newLabel()
        asm.move(.r6, .r1)
        asm.store(immediate: 0, to: .frame, offset: -8, size: .double)
        asm.load(.r1, mapDescriptor: scratch)
        asm.move(.r2, .frame)
        asm.alu64(.add, .r2, immediate: -8)
        asm.call(.mapLookupElement)
        asm.jump(.jeq, .r0, immediate: 0, stop)
        asm.move(.r7, .r0)
        asm.jump(.jge, .r6, immediate: limit, stop)
        byteAddress(.r6)
        asm.load(.r3, from: .r2, offset: temporaryB, size: .byte)
        asm.load(.r4, from: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.jump(.jge, .r4, immediate: limit - 5, stop)
        asm.load(.r5, from: .r7, offset: routineSlot(Self.pathState), size: .double)
        let slash = asm.newLabel(), slashDot = asm.newLabel(), slashDotDot = asm.newLabel()
        asm.jump(.jeq, .r5, immediate: 1, slash)
        asm.jump(.jeq, .r5, immediate: 2, slashDot)
        asm.jump(.jeq, .r5, immediate: 3, slashDotDot)
        // Plain: "/" starts a component; anything else is copied.
        let toSlash = asm.newLabel()
        asm.jump(.jeq, .r3, immediate: 0x2f, toSlash)
        asm.jump(.jeq, .r3, immediate: 0, stop)
        emitPathByte(.r3)
        asm.jump(save)
        // After "/": "//" stays, "/." goes on, anything else is "/c".
        asm.bind(slash)
        asm.jump(.jeq, .r3, immediate: 0x2f, goOn)
        let toSlashDot = asm.newLabel()
        asm.jump(.jeq, .r3, immediate: 0x2e, toSlashDot)
        emitComponent(prefix: [0x2f], stop: stop)
        asm.jump(save)
        // After "/.": "/./" is dropped, "/.." goes on, anything else is "/.c".
        asm.bind(slashDot)
        asm.jump(.jeq, .r3, immediate: 0x2f, toSlash)
        let toSlashDotDot = asm.newLabel()
        asm.jump(.jeq, .r3, immediate: 0x2e, toSlashDotDot)
        emitComponent(prefix: [0x2f, 0x2e], stop: stop)
        asm.jump(save)
        // After "/..": "/../" and a final "/.." back up; "/..c" is kept.
        asm.bind(slashDotDot)
        let backUp = asm.newLabel()
        asm.jump(.jeq, .r3, immediate: 0x2f, backUp)
        asm.jump(.jeq, .r3, immediate: 0, backUp)
        emitComponent(prefix: [0x2f, 0x2e, 0x2e], stop: stop)
        asm.jump(save)
        asm.bind(backUp)
        // r1 = the position of the last "/" (popped), or 0 when there is none.
        let none = asm.newLabel()
        asm.load(.r1, constant: 0)
        asm.load(.r2, from: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.jump(.jeq, .r2, immediate: 0, none)
        asm.alu64(.sub, .r2, immediate: 1)
        asm.jump(.jge, .r2, immediate: Int32(layout.pathStackEntries), stop)
        asm.store(.r2, to: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.load(.r1, from: pathStackEntry(.r2), offset: Int16(layout.pathStackOffset), size: .half)
        asm.bind(none)
        let atEnd = asm.newLabel()
        asm.jump(.jeq, .r3, immediate: 0, atEnd)
        asm.move(.r4, .r1)
        asm.jump(toSlash)
        // At the end the byte the back-up stopped on stays ("/" for an empty result).
        asm.bind(atEnd)
        let nonEmpty = asm.newLabel()
        asm.jump(.jne, .r4, immediate: 0, nonEmpty)
        asm.store(immediate: 0x2f, to: .r7, offset: temporaryA, size: .byte)
        asm.bind(nonEmpty)
        asm.move(.r4, .r1)
        asm.alu64(.add, .r4, immediate: 1)
        asm.store(.r4, to: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.jump(stop)
        // State changes without output.
        asm.bind(toSlash)
        asm.load(.r5, constant: 1)
        asm.jump(save)
        asm.bind(toSlashDot)
        asm.load(.r5, constant: 2)
        asm.jump(save)
        asm.bind(toSlashDotDot)
        asm.load(.r5, constant: 3)
        asm.bind(save)
        asm.store(.r4, to: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.store(.r5, to: .r7, offset: routineSlot(Self.pathState), size: .double)
        asm.bind(goOn)
        asm.load(.r0, constant: 0)
        asm.exit()
        asm.bind(stop)
        asm.load(.r0, constant: 1)
        asm.exit()
    }

    /// register = r7 + 2 * register: where stack entry `register` lies (add the stack's
    /// offset); returns the register.
    mutating func pathStackEntry(_ register: BPFRegister) -> BPFRegister {
        asm.alu64(.lsh, register, immediate: 1)
        asm.alu64(.add, register, .r7)
        return register
    }

    /// A[r4++] = the byte in `register` (r4 is below strsize - 5, so in range).
    mutating func emitPathByte(_ register: BPFRegister) {
        byteAddress(.r4)
        asm.store(register, to: .r2, offset: temporaryA, size: .byte)
        asm.alu64(.add, .r4, immediate: 1)
    }

    /// Pushes r4 (where the "/" goes), writes the prefix, then the character r3 unless
    /// it is the NUL (then the callback stops after saving the length); state plain.
    mutating func emitComponent(prefix: [Int32], stop: BPFLabel) {
        let full = asm.newLabel()
        asm.load(.r2, from: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.jump(.jge, .r2, immediate: Int32(layout.pathStackEntries), full)
        asm.move(.r1, .r2)
        asm.alu64(.add, .r1, immediate: 1)
        asm.store(.r1, to: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.store(.r4, to: pathStackEntry(.r2), offset: Int16(layout.pathStackOffset), size: .half)
        asm.bind(full)
        for byte in prefix {
            byteAddress(.r4)
            asm.store(immediate: byte, to: .r2, offset: temporaryA, size: .byte)
            asm.alu64(.add, .r4, immediate: 1)
        }
        let character = asm.newLabel()
        asm.jump(.jne, .r3, immediate: 0, character)
        asm.store(.r4, to: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.jump(stop)
        asm.bind(character)
        emitPathByte(.r3)
        asm.load(.r5, constant: 0)
    }
}
