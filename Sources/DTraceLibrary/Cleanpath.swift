// DTraceLibrary/Cleanpath: cleanpath(s) character by character as DTrace does it: "//"
// and "/./" collapse, "/../" backs up to the previous "/", a trailing "/" or "/." is
// kept, the output stops 5 bytes short of strsize.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage

struct Cleanpath: LibrarySubroutine {
    var names: [String] { ["cleanpath"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...1)
        return call.stringSubroutine(SubroutineCall(call.name), [try call.string(0)])
    }
}

extension Cleanpath: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        try context.result(PathText.cleanpath(try context.string(1), limit: context.stringSize))
    }

    /// The stack of the output positions of its "/"s, u16 each (a "/" is always followed
    /// by a character, so at most strsize / 2 + 1 of them).
    func scratchAreas(stringSize: Int) -> [ScratchArea] { [ScratchArea(name: Self.pathStack, size: 2 * Self.pathStackEntries(stringSize))] }
    static let pathStack = "cleanpath.stack"
    static func pathStackEntries(_ stringSize: Int) -> Int { stringSize / 2 + 2 }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.cleanPath(arguments: arguments, result: result)
    }
}

// MARK: BPF

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
        asm.jump(.jge, .r2, immediate: Int32(Cleanpath.pathStackEntries(layout.stringSize)), stop)
        asm.store(.r2, to: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.load(.r1, from: pathStackEntry(.r2), offset: Int16(layout.offset(of: Cleanpath.pathStack)), size: .half)
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
        asm.jump(.jge, .r2, immediate: Int32(Cleanpath.pathStackEntries(layout.stringSize)), full)
        asm.move(.r1, .r2)
        asm.alu64(.add, .r1, immediate: 1)
        asm.store(.r1, to: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.store(.r4, to: pathStackEntry(.r2), offset: Int16(layout.offset(of: Cleanpath.pathStack)), size: .half)
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
