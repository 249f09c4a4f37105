// DTraceCodegen/StringTools: what string code in BPF is built with — the two per-CPU
// string temporaries (A, B) inputs are copied into, the routine-state slots that keep
// lengths and positions across helper calls, clamps that keep every counter inside
// strsize as the verifier sees it, and the copy of A into a destination — and
// lltostr(), which the compiler also uses for integer-to-string casts. Results are built
// in A with bounded loops; loops call no helper, so they keep their state in r0-r5.
// The library's string subroutines (DTraceLibrary) are written with these.

import DTraceBPF
import DTraceIR

extension BPFCodeGenerator {
    public var temporaryA: Int16 { Int16(layout.stringTemporaryA) }

    public var temporaryB: Int16 { Int16(layout.stringTemporaryB) }

    public var stringLimit: Int32 { Int32(layout.stringSize) }

    public func routineSlot(_ index: Int) -> Int16 { Int16(layout.routineStateOffset + 8 * index) }

    /// Copies a string into a temporary; r0 = its length (NUL excluded), at most strsize.
    public mutating func materializeLength(_ register: Register, into temporary: Int) throws(CodegenError) {
        try materialize(register, into: temporary)
        asm.alu64(.sub, .r0, immediate: 1)
        clampToStringSize(.r0)
    }

    /// Passes a register through a routine slot so the verifier forgets its exact value
    /// and verifies what follows once for every value, not once per loop exit (without
    /// this, a position found at iteration i makes the rest be verified 256 times).
    public mutating func forgetExactValue(_ register: BPFRegister, slot: Int = 3) {
        asm.store(register, to: .r7, offset: routineSlot(slot), size: .double)
        asm.load(register, from: .r7, offset: routineSlot(slot), size: .double)
    }

    public mutating func clampTo(_ register: BPFRegister, _ limit: Int32) {
        asm.skip(1, if: .jle, register, immediate: limit)
        asm.load(register, constant: Int64(limit))
    }

    /// Keeps a register in 0...strsize as the verifier sees it (unsigned compare).
    public mutating func clampToStringSize(_ register: BPFRegister) {
        asm.skip(1, if: .jle, register, immediate: stringLimit)
        asm.load(register, constant: Int64(layout.stringSize))
    }

    /// r2 = r7 + index: the address of byte `index` of a temporary (add its offset).
    public mutating func byteAddress(_ index: BPFRegister, into target: BPFRegister = .r2) {
        asm.move(target, .r7)
        asm.alu64(.add, target, index)
    }

    /// A[length] = 0, for a length register already within 0...strsize.
    public mutating func terminateA(at length: BPFRegister) {
        byteAddress(length)
        asm.store(immediate: 0, to: .r2, offset: temporaryA, size: .byte)
    }

    /// The destination string = temporary A; the helper's result = the destination.
    public mutating func emitTemporaryA(to destination: Register, result: Register?) throws(CodegenError) {
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
    public mutating func shiftA(from start: BPFRegister = .r0, count: BPFRegister = .r1) {
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

    /// lltostr(value[, base]): decimal with a sign, or the unsigned digits of base 2...75
    /// ("0x" before hexadecimal, "0" before octal); another base faults.
    public mutating func integerToString(hasBase: Bool, arguments a: [Register], result: Register?) throws(CodegenError) {
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
    public mutating func prefix(_ character: Int32) {
        asm.skip(1, if: .jeq, .r3, immediate: 0)
        asm.alu64(.sub, .r3, immediate: 1)
        byteAddress(.r3)
        asm.store(immediate: character, to: .r2, offset: temporaryB, size: .byte)
    }
}
