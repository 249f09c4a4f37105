// DTraceCodegen/StringAccess: reading and comparing strings in BPF — copies from tracee or
// kernel memory that fault with the address they could not read, string copies between
// regions, literals known at compile time, execname against a short literal as two word
// compares, and the bounded byte loop comparing the two string temporaries.

import DTraceBPF
import DTraceIR

extension BPFCodeGenerator {
    /// r1 = destination, r2 = its size already set: reads a string from the tracee or
    /// kernel address in `source`, faulting (with that address) when it cannot be read.
    mutating func readStringWithFault(from source: Register, helper: BPFHelper) {
        load(.r3, source)
        asm.store(.r3, to: .r7, offset: Int16(layout.faultAreaOffset + 24), size: .double)
        asm.call(helper)
        faultIf(.jslt, .r0, immediate: 0, .badAddress, from: .alreadyStored)
    }

    /// Copies the string at a tagged address into a scratch temporary; r0 = its length + 1.
    public mutating func materialize(_ register: Register, into temporary: Int) throws(CodegenError) {
        try withPointer(register, span: 1, write: false, into: .r3, kernelFallback: true) { generator in
            generator.asm.move(.r1, .r7)
            generator.asm.alu64(.add, .r1, immediate: Int32(temporary))
            generator.asm.load(.r2, constant: Int64(generator.layout.stringSize + 1))
            generator.asm.store(.r3, to: .r7, offset: Int16(generator.layout.faultAreaOffset + 24), size: .double)
            generator.asm.call(.probeReadKernelString)
            generator.faultIf(.jslt, .r0, immediate: 0, .badAddress, from: .alreadyStored)
            generator.asm.store(.r0, to: .frame, offset: Self.temporary, size: .double)
        }
        asm.load(.r0, from: .frame, offset: Self.temporary, size: .double)
    }

    mutating func copyString(from source: Register, to destination: Register, span requested: Int? = nil) throws(CodegenError) {
        let span = min(requested ?? layout.stringSize + 1, layout.stringSize + 1)
        if commBuffers.contains(source.index), case .address? = known[source.index], case .address? = known[destination.index], span >= 16 {
            try withPointer(source, span: 16, write: false, into: .r3) { (generator: inout BPFCodeGenerator) throws(CodegenError) in
                try generator.withPointer(destination, span: 16, write: true, into: .r1) { inner in
                    for offset: Int16 in [0, 8] {
                        inner.asm.load(.r2, from: .r3, offset: offset, size: .double)
                        inner.asm.store(.r2, to: .r1, offset: offset, size: .double)
                    }
                }
            }
            return
        }
        try withPointer(source, span: 1, write: false, into: .r3, kernelFallback: true) { (generator: inout BPFCodeGenerator) throws(CodegenError) in
            try generator.withPointer(destination, span: span, write: true, into: .r1) { inner in
                inner.asm.load(.r2, constant: Int64(span))
                inner.asm.call(.probeReadKernelString)
            }
        }
    }

    /// A string constant of the program (a literal), when the register is known to address one.
    func literalString(_ register: Register) -> [UInt8]? {
        guard case .address(let region, let offset)? = known[register.index], region == KernelRegion.constant,
              offset >= 0, offset < Int64(program.constants.count) else { return nil }
        let bytes = program.constants[Int(offset)...]
        guard let end = bytes.firstIndex(of: 0) else { return nil }
        return Array(bytes[..<end])
    }

    /// execname compared with a literal shorter than 16 bytes (`/execname == "sshd"/`):
    /// the comm buffer, NUL-padded to 16 bytes, is compared as two words.
    func commAgainstLiteral(_ lhs: Register, _ rhs: Register) -> (comm: Register, literal: [UInt8], reversed: Bool)? {
        if commBuffers.contains(lhs.index), case .address? = known[lhs.index], let literal = literalString(rhs), literal.count < 16 {
            return (lhs, literal, false)
        }
        if commBuffers.contains(rhs.index), case .address? = known[rhs.index], let literal = literalString(lhs), literal.count < 16 {
            return (rhs, literal, true)
        }
        return nil
    }

    /// r0 = -1, 0 or 1 as strcmp(comm, literal) (reversed: strcmp(literal, comm)). Both are
    /// zero-padded to 16 bytes, so comparing big-endian words unsigned orders them as their
    /// bytes do, and the zero after a shorter string sorts first as its NUL does.
    mutating func compareComm(_ comm: Register, with literal: [UInt8], reversed: Bool) throws(CodegenError) {
        let padded = literal + [UInt8](repeating: 0, count: 16 - literal.count)
        try withPointer(comm, span: 16, write: false, into: .r3) { generator in
            let differ = generator.asm.newLabel(), done = generator.asm.newLabel()
            for offset in [0, 8] {
                let word = padded[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                generator.asm.load(.r1, from: .r3, offset: Int16(offset), size: .double)
                generator.asm.toBigEndian(.r1, bits: 64)
                generator.asm.load(.r2, constant: Int64(bitPattern: word))
                generator.asm.jump(.jne, .r1, .r2, differ)
            }
            generator.asm.load(.r0, constant: 0)
            generator.asm.jump(done)
            generator.asm.bind(differ)
            generator.asm.load(.r0, constant: reversed ? -1 : 1)
            generator.asm.jump(.jgt, .r1, .r2, done)
            generator.asm.load(.r0, constant: reversed ? 1 : -1)
            generator.asm.bind(done)
        }
    }

    /// r0 = -1, 0 or 1 comparing the two string temporaries byte by byte (a bounded loop).
    mutating func compareTemporaries() {
        let loop = asm.newLabel(), differ = asm.newLabel(), equal = asm.newLabel(), done = asm.newLabel()
        asm.load(.r1, constant: 0)
        asm.bind(loop)
        asm.jump(.jgt, .r1, immediate: Int32(layout.stringSize), equal)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, .r1)
        asm.load(.r3, from: .r2, offset: Int16(layout.stringTemporaryA), size: .byte)
        asm.load(.r4, from: .r2, offset: Int16(layout.stringTemporaryB), size: .byte)
        asm.jump(.jne, .r3, .r4, differ)
        asm.jump(.jeq, .r3, immediate: 0, equal)
        asm.alu64(.add, .r1, immediate: 1)
        asm.jump(loop)
        asm.bind(differ)
        asm.load(.r0, constant: 1)
        asm.jump(.jgt, .r3, .r4, done)
        asm.load(.r0, constant: -1)
        asm.jump(done)
        asm.bind(equal)
        asm.load(.r0, constant: 0)
        asm.bind(done)
    }
}
