// DTraceLibrary/LinkAddresses: link_ntop(type, &address) — a link-layer (hardware) address
// as lower-case hexadecimal bytes joined by ':', as Oracle's DTrace for Linux writes it:
// 6 bytes for ARPHRD_ETHER, 20 for ARPHRD_INFINIBAND; any other type is an illegal
// operation (the type may be known only at run time).

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct LinkAddresses: LibrarySubroutine {
    static let ethernet: Int64 = 1, infiniband: Int64 = 32
    /// The address's length in bytes for a hardware type (nil: not one link_ntop knows).
    static func length(ofType type: Int64) -> Int? {
        switch type {
        case ethernet: return 6
        case infiniband: return 20
        default: return nil
        }
    }

    var names: [String] { ["link_ntop"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(2...2)
        let type = try call.integer(0)
        // An address in kernel or user memory is copied first: as long as the type's
        // address when the type is a constant, the longest otherwise.
        let bytes = call.constantValue(0).flatMap(Self.length(ofType:)) ?? 20
        let address = try call.pointer(1, prototype: "void *", bytes: bytes)
        return call.stringSubroutine(SubroutineCall(call.name), [type, address])
    }
}

extension LinkAddresses: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let a = context.arguments
        guard let length = Self.length(ofType: a[1]) else { throw Fault(kind: .illegalOperation) }
        let bytes = try context.machine.readBytes(at: a[2], count: length)
        return try context.result(Array(bytes.map { Self.hex($0) }.joined(separator: ":").utf8))
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }

    func emit(_ call: SubroutineCall, arguments a: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        let longest = Self.length(ofType: Self.infiniband)!
        if generator.layout.stringSize < 3 * longest { throw .unsupported("link_ntop() with strsize below \(3 * longest)") }
        let done = generator.asm.newLabel()
        var paths: [(type: Int64, label: BPFLabel)] = []
        generator.load(.r1, a[1])
        for type in [Self.ethernet, Self.infiniband] {
            let label = generator.asm.newLabel()
            generator.asm.jump(.jeq, .r1, immediate: Int32(type), label)
            paths.append((type, label))
        }
        generator.fault(.illegalOperation)
        for path in paths {
            generator.asm.bind(path.label)
            let length = Self.length(ofType: path.type)!
            try generator.withPointer(a[2], span: length, write: false, into: .r1) { generator in
                for index in 0..<length { generator.appendHexByte(from: .r1, index: index, last: index == length - 1) }
            }
            generator.asm.jump(done)
        }
        generator.asm.bind(done)
        try generator.emitTemporaryA(to: a[0], result: result)
    }
}

extension BPFCodeGenerator {
    /// A[3 * index ..< 3 * index + 3] = the byte at `base` + index as two hexadecimal
    /// digits, then ':' (NUL after the last byte). Branch-free: a digit d is
    /// '0' + d, plus 'a' - '0' - 10 when 9 - d is negative. Uses r0, r2 and r3.
    mutating func appendHexByte(from base: BPFRegister, index: Int, last: Bool) {
        let position = temporaryA + Int16(3 * index)
        asm.load(.r2, from: base, offset: Int16(index), size: .byte)
        for (offset, shift) in [(Int16(0), Int32(4)), (Int16(1), Int32(0))] {
            asm.move(.r3, .r2)
            if shift != 0 { asm.alu64(.rsh, .r3, immediate: shift) }
            asm.alu64(.and, .r3, immediate: 0xf)
            asm.load(.r0, constant: 9)
            asm.alu64(.sub, .r0, .r3)
            asm.alu64(.rsh, .r0, immediate: 63)
            asm.alu64(.mul, .r0, immediate: Int32(UInt8(ascii: "a")) - Int32(UInt8(ascii: "0")) - 10)
            asm.alu64(.add, .r0, immediate: Int32(UInt8(ascii: "0")))
            asm.alu64(.add, .r0, .r3)
            asm.store(.r0, to: .r7, offset: position + offset, size: .byte)
        }
        asm.store(immediate: last ? 0 : Int32(UInt8(ascii: ":")), to: .r7, offset: position + 2, size: .byte)
    }
}
