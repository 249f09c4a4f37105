// DTraceLibrary/CopyOut: copyout(buffer, address, size) and copyoutstr(string, address,
// size) — bytes of D's memory written into the current process at a user address
// (destructive). copyoutstr writes the string with its NUL, or its first `size` bytes
// when it is longer (strsize at most). A write the process itself could not make (an
// unmapped or read-only page) faults on the address, as in DTrace.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct CopyOut: LibrarySubroutine {
    var names: [String] { ["copyout", "copyoutstr"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(3...3)
        let source = call.name == "copyout" ? try call.address(0) : try call.string(0)
        let address = try call.integer(1, prototype: "uintptr_t")
        let size = try call.integer(2, prototype: "size_t")
        call.markDestructive()
        return call.callSubroutine(SubroutineCall(call.name), [source, address, size], type: .void)
    }
}

extension CopyOut: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let (source, address, size) = (context.arguments[0], context.arguments[1], context.arguments[2])
        let bytes: [UInt8]
        if call.name == "copyout" {
            guard size >= 0, size <= Int64(Machine.allocaSize) else { throw Fault(kind: .badAddress, address: source) }
            bytes = try context.machine.readBytes(at: source, count: Int(size))
        } else {
            let string = try context.string(0) + [0]
            bytes = Array(string.prefix(Int(clamping: max(0, min(size, Int64(context.stringSize))))))
        }
        guard context.environment.writeTracee(address: address, bytes: bytes) else {
            throw Fault(kind: .badAddress, address: address)
        }
        return 0
    }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        if call.name == "copyout" {
            try generator.copyOut(arguments)
        } else {
            try generator.copyOutString(arguments)
        }
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// bpf_probe_write_user(address, source, size) for a constant size.
    mutating func copyOut(_ a: [Register]) throws(CodegenError) {
        guard let size = constantValue(of: a[2]), size >= 0, size <= Int64(KernelLayout.allocaSize) else {
            throw .unsupported("copyout() with a size that is not a constant")
        }
        guard size > 0 else { return }
        try withPointer(a[0], span: Int(size), write: false, into: .r2) { generator in
            generator.load(.r1, a[1])
            generator.asm.load(.r3, constant: size)
            generator.writeUser(address: a[1])
        }
    }

    /// The string copied to temporary A, then min(length + 1, size) bytes of it written.
    mutating func copyOutString(_ a: [Register]) throws(CodegenError) {
        _ = try materializeLength(a[0], into: layout.stringTemporaryA)
        asm.alu64(.add, .r0, immediate: 1)
        load(.r3, a[2])
        asm.skip(1, if: .jle, .r3, .r0)
        asm.move(.r3, .r0)
        let done = asm.newLabel()
        asm.jump(.jeq, .r3, immediate: 0, done)
        asm.jump(.jgt, .r3, immediate: stringLimit + 1, done)
        load(.r1, a[1])
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(temporaryA))
        writeUser(address: a[1])
        asm.bind(done)
    }

    /// bpf_probe_write_user with r1-r3 set; a failed write faults on the address.
    private mutating func writeUser(address: Register) {
        asm.call(.probeWriteUser)
        load(.r4, address)
        faultIf(.jne, .r0, immediate: 0, .badAddress, address: .r4)
    }
}
