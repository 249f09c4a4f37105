// DTraceLibrary/Cleanpath: cleanpath(s) as Oracle's DTrace for Linux computes it: "//"
// and "/." components dropped, each ".." removing the component before it ("/.." is "/";
// a relative path keeps the ".." it cannot resolve), no trailing "/"; "" stays "" and a
// relative path that cleans to nothing is ".".

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
        try context.result(CleanpathText.clean(try context.string(1)))
    }

    /// The stack of output lengths before each kept component, u16 each (a component
    /// and the "/" before it take two bytes at least, so at most strsize / 2 + 1).
    func scratchAreas(stringSize: Int) -> [ScratchArea] { [ScratchArea(name: Self.pathStack, size: 2 * Self.pathStackEntries(stringSize))] }
    static let pathStack = "cleanpath.stack"
    static func pathStackEntries(_ stringSize: Int) -> Int { stringSize / 2 + 2 }

    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        try generator.cleanPath(arguments: arguments, result: result)
    }
}

/// The reference algorithm, which the BPF follows step for step: one pass over the
/// characters and the NUL after them. A component's state — empty, ".", "..", or a name
/// — decides at its end ("/" or the NUL) what it does; a name is written as soon as it
/// is one, the output length before it pushed, so that a ".." pops back to it.
enum CleanpathText {
    enum Component: Int { case empty = 0, dot = 1, dotDot = 2, name = 3 }

    static func clean(_ path: [UInt8]) -> [UInt8] {
        let slash: UInt8 = 0x2f, dot: UInt8 = 0x2e
        if path.isEmpty { return [] }
        let rooted = path[0] == slash
        var output: [UInt8] = rooted ? [slash] : []
        var kept: [Int] = []
        var component = Component.empty
        for character in path + [0] {
            if character == slash || character == 0 {
                if component == .dotDot {
                    if let length = kept.popLast() {
                        output.removeSubrange(length...)
                    } else if !rooted {
                        if !output.isEmpty { output.append(slash) }
                        output += [dot, dot]
                    }
                }
                component = .empty
                continue
            }
            if component == .name { output.append(character); continue }
            if character == dot && component != .dotDot { component = Component(rawValue: component.rawValue + 1)!; continue }
            kept.append(output.count)
            if output.count > (rooted ? 1 : 0) { output.append(slash) }
            output += [UInt8](repeating: dot, count: component.rawValue)
            output.append(character)
            component = .name
        }
        return output.isEmpty ? [dot] : output
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// Routine slots of cleanpath(): the output length, the component's state
    /// (`CleanpathText.Component`), the depth of the stack, whether the path is rooted,
    /// the characters to step through (the NUL included).
    static let pathLength = 0, pathState = 1, pathDepth = 2, pathRooted = 3, pathSteps = 4

    /// cleanpath(s) as CleanpathText.clean: the path is copied into B, and bpf_loop calls
    /// one callback per character (the NUL included), which keeps its state in the
    /// routine slots and builds the result in A.
    mutating func cleanPath(arguments a: [Register], result: Register?) throws(CodegenError) {
        try materialize(a[1], into: layout.stringTemporaryB)
        clampTo(.r0, stringLimit + 1)
        asm.store(.r0, to: .r7, offset: routineSlot(Self.pathSteps), size: .double)
        for slot in [Self.pathLength, Self.pathState, Self.pathDepth, Self.pathRooted] {
            asm.store(immediate: 0, to: .r7, offset: routineSlot(slot), size: .double)
        }
        let empty = asm.newLabel(), relative = asm.newLabel(), finished = asm.newLabel()
        asm.load(.r1, from: .r7, offset: temporaryB, size: .byte)
        asm.jump(.jeq, .r1, immediate: 0, empty)
        asm.jump(.jne, .r1, immediate: 0x2f, relative)
        asm.store(immediate: 1, to: .r7, offset: routineSlot(Self.pathRooted), size: .double)
        asm.store(immediate: 1, to: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.store(immediate: 0x2f, to: .r7, offset: temporaryA, size: .byte)
        asm.bind(relative)
        asm.load(.r1, from: .r7, offset: routineSlot(Self.pathSteps), size: .double)
        asm.load(.r2, function: cleanPathCallback())
        asm.load(.r3, constant: 0)
        asm.load(.r4, constant: 0)
        asm.call(.loop)
        asm.load(.r3, from: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.jump(.jne, .r3, immediate: 0, finished)
        asm.store(immediate: 0x2e, to: .r7, offset: temporaryA, size: .byte)   // "."
        asm.load(.r3, constant: 1)
        asm.jump(finished)
        asm.bind(empty)
        asm.load(.r3, constant: 0)
        asm.bind(finished)
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

    /// One character: r3 = the character, r4 = the output length, r5 = the component's
    /// state. Returns 1 to stop the loop (at the NUL, or should the output reach strsize),
    /// 0 to go on.
    mutating func cleanPathStep(scratch: Int32) {
        typealias Component = CleanpathText.Component
        let stop = asm.newLabel(), save = asm.newLabel()
        let stackOffset = Int16(layout.offset(of: Cleanpath.pathStack)), entries = Int32(Cleanpath.pathStackEntries(layout.stringSize))
        asm.move(.r6, .r1)
        asm.store(immediate: 0, to: .frame, offset: -8, size: .double)
        asm.load(.r1, mapDescriptor: scratch)
        asm.move(.r2, .frame)
        asm.alu64(.add, .r2, immediate: -8)
        asm.call(.mapLookupElement)
        asm.jump(.jeq, .r0, immediate: 0, stop)
        asm.move(.r7, .r0)
        asm.jump(.jgt, .r6, immediate: stringLimit, stop)
        byteAddress(.r6)
        asm.load(.r3, from: .r2, offset: temporaryB, size: .byte)
        asm.load(.r4, from: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.load(.r5, from: .r7, offset: routineSlot(Self.pathState), size: .double)
        /// A[r4++] = `byte` (a register or, when nil, `immediate`), stopping at strsize.
        func emit(_ byte: BPFRegister?, immediate: Int32 = 0) {
            asm.jump(.jge, .r4, immediate: stringLimit, stop)
            byteAddress(.r4)
            if let byte { asm.store(byte, to: .r2, offset: temporaryA, size: .byte) } else { asm.store(immediate: immediate, to: .r2, offset: temporaryA, size: .byte) }
            asm.alu64(.add, .r4, immediate: 1)
        }
        let endOfComponent = asm.newLabel(), append = asm.newLabel(), becomesName = asm.newLabel()
        asm.jump(.jeq, .r3, immediate: 0x2f, endOfComponent)
        asm.jump(.jeq, .r3, immediate: 0, endOfComponent)
        // Another character: a name goes on; "." and ".." grow; anything else makes a name.
        asm.jump(.jeq, .r5, immediate: Int32(Component.name.rawValue), append)
        asm.jump(.jne, .r3, immediate: 0x2e, becomesName)
        asm.jump(.jeq, .r5, immediate: Int32(Component.dotDot.rawValue), becomesName)
        asm.alu64(.add, .r5, immediate: 1)
        asm.jump(save)
        asm.bind(becomesName)
        // Push the length, then "/" (unless first) and the dots seen so far.
        asm.load(.r2, from: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.jump(.jge, .r2, immediate: entries, stop)
        asm.move(.r1, .r2)
        asm.alu64(.add, .r1, immediate: 1)
        asm.store(.r1, to: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.store(.r4, to: pathStackEntry(.r2), offset: stackOffset, size: .half)
        let noSeparator = asm.newLabel(), dotsDone = asm.newLabel()
        asm.load(.r1, from: .r7, offset: routineSlot(Self.pathRooted), size: .double)
        asm.jump(.jle, .r4, .r1, noSeparator)
        emit(nil, immediate: 0x2f)
        asm.bind(noSeparator)
        asm.jump(.jeq, .r5, immediate: Int32(Component.empty.rawValue), dotsDone)
        emit(nil, immediate: 0x2e)
        asm.jump(.jeq, .r5, immediate: Int32(Component.dot.rawValue), dotsDone)
        emit(nil, immediate: 0x2e)
        asm.bind(dotsDone)
        asm.bind(append)
        emit(.r3)
        asm.load(.r5, constant: Int64(Component.name.rawValue))
        asm.jump(save)
        // "/" or the NUL ends the component: ".." pops back to the length before the last
        // name kept; with none, a relative path keeps "..".
        asm.bind(endOfComponent)
        let reset = asm.newLabel(), noPop = asm.newLabel()
        asm.jump(.jne, .r5, immediate: Int32(Component.dotDot.rawValue), reset)
        asm.load(.r2, from: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.jump(.jeq, .r2, immediate: 0, noPop)
        asm.alu64(.sub, .r2, immediate: 1)
        asm.jump(.jge, .r2, immediate: entries, stop)
        asm.store(.r2, to: .r7, offset: routineSlot(Self.pathDepth), size: .double)
        asm.load(.r4, from: pathStackEntry(.r2), offset: stackOffset, size: .half)
        asm.jump(reset)
        asm.bind(noPop)
        asm.load(.r1, from: .r7, offset: routineSlot(Self.pathRooted), size: .double)
        asm.jump(.jne, .r1, immediate: 0, reset)
        let dots = asm.newLabel()
        asm.jump(.jeq, .r4, immediate: 0, dots)
        emit(nil, immediate: 0x2f)
        asm.bind(dots)
        emit(nil, immediate: 0x2e)
        emit(nil, immediate: 0x2e)
        asm.bind(reset)
        asm.load(.r5, constant: Int64(Component.empty.rawValue))
        asm.jump(.jne, .r3, immediate: 0, save)
        asm.store(.r4, to: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.jump(stop)
        asm.bind(save)
        asm.store(.r4, to: .r7, offset: routineSlot(Self.pathLength), size: .double)
        asm.store(.r5, to: .r7, offset: routineSlot(Self.pathState), size: .double)
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
}
