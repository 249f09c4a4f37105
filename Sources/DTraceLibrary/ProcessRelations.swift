// DTraceLibrary/ProcessRelations: getmajor(dev) and getminor(dev) — a kernel dev_t's
// major (bits 20-31) and minor (bits 0-19) numbers — and progenyof(pid): whether the
// current process is pid or descends from it, its parents followed up to 256 steps,
// as DTrace on Linux follows them.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct ProcessRelations: LibrarySubroutine {
    var names: [String] { ["getmajor", "getminor", "progenyof"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    static let minorBits: Int64 = 20
    static let generations = 256

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...1)
        if call.name == "progenyof" {
            let target = try call.integer(0, prototype: "pid_t")
            // Three registers whose frame slots hold the walk's state in BPF.
            let state = (0..<3).map { _ in call.register() }
            return call.callSubroutine(SubroutineCall(call.name), [target] + state, type: .int)
        }
        let device = try call.integer(0, prototype: "dev_t")
        let devType = SubroutineArguments.type("dev_t")
        let low = call.register()
        call.emit(.arithmetic(.and, low, device, call.constant(0xffff_ffff)))
        let result = call.register()
        if call.name == "getmajor" {
            call.emit(.arithmetic(.logicalShiftRight, result, low, call.constant(Self.minorBits)))
        } else {
            call.emit(.arithmetic(.and, result, low, call.constant((1 << Self.minorBits) - 1)))
        }
        return SubroutineResult(register: result, type: devType)
    }
}

extension ProcessRelations: InterpretedSubroutine, KernelSubroutine {
    /// progenyof in dtrace itself: the current process's parents from /proc.
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let target = Int32(truncatingIfNeeded: context.arguments[0])
        var process = Int32(truncatingIfNeeded: context.environment.builtinValue(.pid))
        for _ in 0..<Self.generations {
            if process == target { return 1 }
            guard process > 0, let parent = ProcessThreads.parentProcessID(of: process), parent != process else { return 0 }
            process = parent
        }
        return 0
    }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.progenyof(arguments: arguments, result: result)
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// Walks current->real_parent from the running task, comparing each task's tgid with
    /// the argument: 1 when one matches, 0 at a task that is its own parent, a failed
    /// read, or after 256 steps. The walk's state lives in the frame slots of the three
    /// registers after the argument (spilled scalars the verifier follows exactly).
    mutating func progenyof(arguments a: [Register], result: Register?) throws(CodegenError) {
        guard let offsets = taskParentOffsets, let parent = Int32(exactly: offsets.realParent),
              let processID = Int32(exactly: offsets.processID) else {
            throw .unsupported("progenyof() without the kernel's BTF")
        }
        let (target, task, remaining) = (a[1], a[2], a[3])
        let buffer = routineSlot(0)
        load(.r1, a[0])
        asm.alu64(.lsh, .r1, immediate: 32)
        asm.alu64(.rsh, .r1, immediate: 32)
        store(target, .r1)
        asm.call(.getCurrentTask)
        store(task, .r0)
        asm.load(.r0, constant: Int64(ProcessRelations.generations))
        store(remaining, .r0)
        let loop = asm.newLabel(), no = asm.newLabel(), yes = asm.newLabel(), done = asm.newLabel()
        asm.bind(loop)
        load(.r3, task)
        asm.jump(.jeq, .r3, immediate: 0, no)
        load(.r2, remaining)
        asm.jump(.jsle, .r2, immediate: 0, no)
        asm.alu64(.sub, .r2, immediate: 1)
        store(remaining, .r2)
        // r0 = the task's field at `offset` (r3 = the task), through the buffer.
        func readField(_ offset: Int32, _ size: BPFSize, bytes: Int64) {
            asm.alu64(.add, .r3, immediate: offset)
            asm.move(.r1, .r7)
            asm.alu64(.add, .r1, immediate: Int32(buffer))
            asm.load(.r2, constant: bytes)
            asm.call(.probeReadKernel)
            asm.jump(.jne, .r0, immediate: 0, no)
            asm.load(.r0, from: .r7, offset: buffer, size: size)
        }
        readField(processID, .word, bytes: 4)           // its tgid
        load(.r1, target)
        asm.jump(.jeq, .r0, .r1, yes)
        load(.r3, task)
        readField(parent, .double, bytes: 8)            // its parent
        load(.r1, task)
        asm.jump(.jeq, .r0, .r1, no)
        store(task, .r0)
        asm.jump(loop)
        asm.bind(no)
        asm.load(.r0, constant: 0)
        asm.jump(done)
        asm.bind(yes)
        asm.load(.r0, constant: 1)
        asm.bind(done)
        if let result { store(result, .r0) }
    }
}
