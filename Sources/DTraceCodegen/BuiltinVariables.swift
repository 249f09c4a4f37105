// DTraceCodegen/BuiltinVariables: D's built-in variables in BPF — the probe's identity,
// the current thread's (from helpers, from the task through BTF, or from the task the
// probe context names), timestamps, and arguments and errno read from the standard
// probe context the provider's prologue filled.

import DTraceBPF
import DTraceIR

extension BPFCodeGenerator {
    mutating func readBuiltin(_ variable: BuiltinVariable, result: Register?, arguments: [Register]) throws(CodegenError) {
        if variable.isString {
            let text: String
            switch variable {
            case .execname where site.prologue.currentTask != nil:
                let task = site.prologue.currentTask!
                let taskSlot = contextSlot(ProbeContextSlots.task)
                try withPointer(arguments[0], span: 16, write: true, into: .r1) { generator in
                    generator.asm.load(.r3, from: .r7, offset: taskSlot, size: .double)
                    generator.asm.alu64(.add, .r3, immediate: Int32(task.commandName))
                    generator.asm.load(.r2, constant: 16)
                    generator.asm.call(.probeReadKernel)
                }
                if let result { load(.r0, arguments[0]); store(result, .r0) }
                return
            case .execname:
                let commandName = site.commandNameOffset.flatMap { Int16(exactly: $0) }
                try withPointer(arguments[0], span: 16, write: true, into: .r1) { generator in
                    guard let commandName else {
                        generator.asm.load(.r2, constant: 16)
                        generator.asm.call(.getCurrentComm)
                        return
                    }
                    generator.asm.store(.r1, to: .frame, offset: Self.temporary, size: .double)
                    generator.asm.call(.getCurrentTaskBTF)
                    generator.asm.load(.r1, from: .frame, offset: Self.temporary, size: .double)
                    for half in 0..<2 {
                        generator.asm.load(.r2, from: .r0, offset: commandName + Int16(8 * half), size: .double)
                        generator.asm.store(.r2, to: .r1, offset: Int16(8 * half), size: .double)
                    }
                }
                if let result { load(.r0, arguments[0]); store(result, .r0) }
                return
            case _ where site.sharedProbes != nil && Self.probeNames.contains(variable):
                let table = site.sharedProbes!
                let field = Self.probeNames.firstIndex(of: variable)!
                let width = min(table.nameWidth, layout.stringSize + 1)
                try withPointer(arguments[0], span: width, write: true, into: .r1) { generator in
                    generator.readSharedProbeField(table, offset: table.nameOffset(field), size: width, into: .r1)
                }
                if let result { load(.r0, arguments[0]); store(result, .r0) }
                return
            case .probeprov: text = site.identity.provider
            case .probemod: text = site.identity.module
            case .probefunc: text = site.identity.function
            case .probename: text = site.identity.name
            case .zonename: text = "global"
            case .root: text = "/"
            default: throw .unsupported(variable.rawValue)
            }
            let bytes = Array(text.utf8.prefix(layout.stringSize)) + [0]
            try withPointer(arguments[0], span: bytes.count, write: true, into: .r1) { generator in
                var position = 0
                while position < bytes.count {
                    let width = bytes.count - position >= 4 ? 4 : 1
                    var value: UInt32 = 0
                    for index in stride(from: width - 1, through: 0, by: -1) { value = value << 8 | UInt32(bytes[position + index]) }
                    generator.asm.store(immediate: Int32(bitPattern: value), to: .r1, offset: Int16(position), size: width == 4 ? .word : .byte)
                    position += width
                }
            }
            if let result { load(.r0, arguments[0]); store(result, .r0) }
            return
        }
        if variable == .curthread, site.prologue.currentTask != nil {
            asm.load(.r0, from: .r7, offset: contextSlot(ProbeContextSlots.task), size: .double)
            if let result { store(result, .r0) }
            return
        }
        if let task = site.prologue.currentTask, let path = Self.taskFieldPath(variable, task) {
            asm.load(.r3, from: .r7, offset: contextSlot(ProbeContextSlots.task), size: .double)
            readTaskField(path: path.offsets, size: path.size)
            if let result { store(result, .r0) }
            return
        }
        switch variable {
        case .timestamp:
            firingTimestamp()
        case .walltimestamp:
            asm.call(.ktimeGetNanoseconds)
            asm.load(.r1, constant: site.wallClockOffset)
            asm.alu64(.add, .r0, .r1)
        case .vtimestamp:
            // The thread's CPU time as the scheduler accounts it (at ticks and switches).
            guard let offset = site.executionTimeOffset, let field = Int16(exactly: offset) else {
                throw .unsupported("vtimestamp without the kernel's BTF")
            }
            asm.call(.getCurrentTaskBTF)
            asm.load(.r0, from: .r0, offset: field, size: .double)
        case .pid:
            asm.call(.getCurrentPIDTGID)
            asm.alu64(.rsh, .r0, immediate: 32)
        case .ppid:
            // current->real_parent->tgid, through BTF pointers the verifier checks.
            guard let offsets = site.parentOffsets, let parent = Int16(exactly: offsets.realParent), let tgid = Int16(exactly: offsets.processID) else {
                throw .unsupported("ppid without the kernel's BTF")
            }
            let done = asm.newLabel()
            asm.call(.getCurrentTaskBTF)
            asm.load(.r1, from: .r0, offset: parent, size: .double)
            asm.load(.r0, constant: 0)
            asm.jump(.jeq, .r1, immediate: 0, done)
            asm.load(.r0, from: .r1, offset: tgid, size: .word)
            asm.bind(done)
        case .tid:
            asm.call(.getCurrentPIDTGID)
            asm.alu64(.lsh, .r0, immediate: 32)
            asm.alu64(.rsh, .r0, immediate: 32)
        case .uid:
            asm.call(.getCurrentUIDGID)
            asm.alu64(.lsh, .r0, immediate: 32)
            asm.alu64(.rsh, .r0, immediate: 32)
        case .gid:
            asm.call(.getCurrentUIDGID)
            asm.alu64(.rsh, .r0, immediate: 32)
        case .cpu:
            asm.call(.getSMPProcessorID)
        case .id where site.sharedProbes != nil:
            lookupSharedProbe(site.sharedProbes!)
            let missing = asm.newLabel()
            asm.jump(.jeq, .r0, immediate: 0, missing)
            asm.load(.r0, from: .r0, offset: Int16(SharedProbeTable.identifierOffset), size: .double)
            asm.bind(missing)
        case .id:
            asm.load(.r0, constant: Int64(site.identity.id))
        case .epid where site.sharedProbes != nil:
            asm.load(.r0, from: .r7, offset: contextSlot(ProbeContextSlots.enabling), size: .double)
        case .epid:
            asm.load(.r0, constant: Int64(site.epid))
        case .errno:
            asm.load(.r0, from: .r7, offset: contextSlot(ProbeContextSlots.errno), size: .double)
        case .arg0, .arg1, .arg2, .arg3, .arg4, .arg5, .arg6, .arg7, .arg8, .arg9:
            readArgument(Int(variable.rawValue.dropFirst(3))!)
        case .ucaller:
            readUserCaller()
        case .ustackdepth:
            readUserStackDepth()

        case .curthread:
            // A plain number (not a BTF pointer): D reads through it with probe reads.
            asm.call(.getCurrentTask)
        case .argumentRecord:
            // The record's kernel address as a plain number (the prologue stored the
            // context pointer in scratch, so the verifier forgets it was one): address
            // arithmetic and probe reads treat it like any kernel address.
            asm.load(.r0, from: .r7, offset: contextSlot(ProbeContextSlots.argumentRecord), size: .double)
        default:
            throw .unsupported(variable.rawValue)
        }
        if let result { store(result, .r0) }
    }

    /// r0 = this firing's timestamp: the one already read, or ktime_get_ns() kept for the
    /// clause's later reads.
    mutating func firingTimestamp() {
        let slot = contextSlot(ProbeContextSlots.timestamp)
        let known = asm.newLabel()
        asm.load(.r0, from: .r7, offset: slot, size: .double)
        asm.jump(.jne, .r0, immediate: 0, known)
        asm.call(.ktimeGetNanoseconds)
        asm.store(.r0, to: .r7, offset: slot, size: .double)
        asm.bind(known)
    }

    /// The chain of task_struct offsets a builtin reads for a task other than the running
    /// one (each but the last leads to a pointer), and the final field's size.
    static func taskFieldPath(_ variable: BuiltinVariable, _ offsets: TaskFieldOffsets) -> (offsets: [Int], size: Int)? {
        switch variable {
        case .tid: return ([offsets.threadID], 4)
        case .pid: return ([offsets.processID], 4)
        case .ppid: return ([offsets.realParent, offsets.processID], 4)
        case .vtimestamp: return offsets.executionTime.map { ([$0], 8) }
        case .uid: return offsets.credentials.flatMap { credentials in offsets.userID.map { ([credentials, $0], 4) } }
        case .gid: return offsets.credentials.flatMap { credentials in offsets.groupID.map { ([credentials, $0], 4) } }
        default: return nil
        }
    }

    /// r0 = the field at the end of `path` from the task pointer in r3, through probe
    /// reads (0 when one fails).
    mutating func readTaskField(path: [Int], size: Int) {
        for (step, offset) in path.enumerated() {
            let last = step == path.count - 1
            asm.alu64(.add, .r3, immediate: Int32(offset))
            asm.store(immediate: 0, to: .frame, offset: Self.temporary, size: .double)
            asm.move(.r1, .frame)
            asm.alu64(.add, .r1, immediate: Int32(Self.temporary))
            asm.load(.r2, constant: Int64(last ? size : 8))
            asm.call(.probeReadKernel)
            asm.load(last ? .r0 : .r3, from: .frame, offset: Self.temporary, size: last && size == 4 ? .word : .double)
        }
    }

    /// r0 = argument `index` of the probe, from the probe context (0 when the probe has
    /// no such argument).
    mutating func readArgument(_ index: Int) {
        if site.readsKernelDirectly && site.prologue.argumentsAreContextWords && index < site.prologue.argumentCount {
            asm.load(.r0, from: .r6, offset: Int16(8 * index), size: .double)
        } else if index < min(site.prologue.argumentCount, ProbeContextSlots.arguments) {
            asm.load(.r0, from: .r7, offset: contextSlot(index), size: .double)
        } else {
            asm.load(.r0, constant: 0)
        }
    }

    /// r0 = argument number r1 (args[i] with a computed index), from the probe context.
    mutating func readArgument(dynamicIndexIn register: BPFRegister) throws(CodegenError) {
        let count = min(site.prologue.argumentCount, ProbeContextSlots.arguments)
        asm.load(.r0, constant: 0)
        guard count > 0 else { return }
        let done = asm.newLabel()
        asm.jump(.jge, register, immediate: Int32(count), done)
        asm.alu64(.lsh, register, immediate: 3)
        asm.alu64(.add, register, .r7)
        asm.load(.r0, from: register, offset: contextSlot(0), size: .double)
        asm.bind(done)
    }
}

extension BPFCodeGenerator {
    /// The probe's names, in the shared probe table's order.
    static let probeNames: [BuiltinVariable] = [.probeprov, .probemod, .probefunc, .probename]

    /// Copies `size` bytes at `offset` of the firing probe's entry in the shared probe
    /// table to the address in `destination` (zeroes when the EPID has no entry).
    /// Clobbers r0-r5.
    mutating func readSharedProbeField(_ table: SharedProbeTable, offset: Int, size: Int, into destination: BPFRegister) {
        // The destination waits in the frame's temporary while the table is looked up.
        asm.store(destination, to: .frame, offset: Self.temporary, size: .double)
        lookupSharedProbe(table)
        asm.move(.r3, .r0)
        asm.load(.r1, from: .frame, offset: Self.temporary, size: .double)
        asm.load(.r2, constant: Int64(size))
        let found = asm.newLabel(), done = asm.newLabel()
        asm.jump(.jne, .r3, immediate: 0, found)
        asm.load(.r3, constant: 0)
        asm.call(.probeReadKernel)
        asm.jump(done)
        asm.bind(found)
        if offset != 0 { asm.alu64(.add, .r3, immediate: Int32(offset)) }
        asm.call(.probeReadKernel)
        asm.bind(done)
    }

    /// r0 = the firing probe's entry in the shared probe table, or 0. Clobbers r1-r5.
    mutating func lookupSharedProbe(_ table: SharedProbeTable) {
        asm.load(.r1, mapDescriptor: table.descriptor)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(contextSlot(ProbeContextSlots.site)))
        asm.call(.mapLookupElement)
    }

    /// r0 = uregs[index]: a field of the current thread's saved user registers
    /// (bpf_task_pt_regs), or past them (R_DS to R_TRAPNO) of its thread_struct; 0 where
    /// the kernel's BTF does not say where that lies.
    mutating func readUserRegister(index: Register) {
        asm.call(.getCurrentTaskBTF)
        if let constant = constantValue(of: index), UserRegisters.savedRegister(constant) == nil {
            guard let field = site.threadRegisterFields[constant], let offset = Int16(exactly: field.offset),
                  let size = BPFSize(bytes: field.size) else { asm.load(.r0, constant: 0); return }
            asm.load(.r0, from: .r0, offset: offset, size: size)
            return
        }
        asm.move(.r1, .r0)
        asm.call(.taskPtRegs)
        if let constant = constantValue(of: index) {
            guard let saved = UserRegisters.savedRegister(constant) else { asm.load(.r0, constant: 0); return }
            asm.load(.r0, from: .r0, offset: Int16(8 * saved), size: .double)
            return
        }
        // A computed index: the saved registers only, read with a bounds-checked copy.
        let done = asm.newLabel()
        asm.move(.r3, .r0)
        load(.r1, index)
        asm.load(.r0, constant: 0)
        asm.jump(.jge, .r1, immediate: Int32(UserRegisters.savedCount), done)
        asm.alu64(.lsh, .r1, immediate: 3)
        asm.alu64(.add, .r3, .r1)
        asm.move(.r1, .frame)
        asm.alu64(.add, .r1, immediate: Int32(Self.temporary))
        asm.load(.r2, constant: 8)
        asm.call(.probeReadKernel)
        asm.load(.r0, from: .frame, offset: Self.temporary, size: .double)
        asm.bind(done)
    }
}

// The user stack at a function's entry, where the function has not made its frame yet:
// the kernel's frame-pointer walk (bpf_get_stackid, bpf_get_stack) gives the probed pc,
// then the return addresses along the frames from rbp — the caller's frame, so the
// caller's own return site is missing unless the kernel adds the top of the stack itself
// (Linux 6.12 does when the probed instruction is push %rbp or endbr64). The prologue
// read that return address into the `entryCaller` slot; a stack id (below 2^31: the map
// holds 4096) carries it in bits 31-62 as a key of the entry-callers map (the address's
// low 32 bits; 0: none), so the id stays positive, and the engine puts it second unless
// the kernel's frames have it there already.
extension BPFCodeGenerator {
    /// r0 = the stack id in r0 with this firing's entry caller named in bits 31-62
    /// (unchanged when the id is an error, there is no caller, or the map holds another
    /// address under its key). Clobbers r1-r5; uses the routine slots.
    mutating func nameEntryCaller() {
        let state = layout.routineStateOffset
        let done = asm.newLabel(), plain = asm.newLabel()
        asm.jump(.jslt, .r0, immediate: 0, done)
        asm.store(.r0, to: .r7, offset: Int16(state), size: .double)
        asm.load(.r1, from: .r7, offset: contextSlot(ProbeContextSlots.entryCaller), size: .double)
        asm.store(.r1, to: .r7, offset: Int16(state + 16), size: .double)
        asm.alu32(.mov, .r1, .r1)
        asm.jump(.jeq, .r1, immediate: 0, plain)
        asm.store(.r1, to: .r7, offset: Int16(state + 8), size: .double)
        asm.load(.r1, mapDescriptor: maps.entryCallers)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(state + 8))
        asm.move(.r3, .r7)
        asm.alu64(.add, .r3, immediate: Int32(state + 16))
        asm.load(.r4, constant: 1)      // BPF_NOEXIST: an address once under its key stays
        asm.call(.mapUpdateElement)
        asm.load(.r1, mapDescriptor: maps.entryCallers)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(state + 8))
        asm.call(.mapLookupElement)
        asm.jump(.jeq, .r0, immediate: 0, plain)
        asm.load(.r1, from: .r0, offset: 0, size: .double)
        asm.load(.r2, from: .r7, offset: Int16(state + 16), size: .double)
        asm.jump(.jne, .r1, .r2, plain)
        asm.load(.r0, from: .r7, offset: Int16(state), size: .double)
        asm.load(.r1, from: .r7, offset: Int16(state + 8), size: .double)
        asm.alu64(.lsh, .r1, immediate: 31)
        asm.alu64(.or, .r0, .r1)
        asm.jump(done)
        asm.bind(plain)
        asm.load(.r0, from: .r7, offset: Int16(state), size: .double)
        asm.bind(done)
    }

    /// r0 = ucaller: the entry caller the prologue read, or the second frame of the
    /// kernel's walk (0 when there is none). Clobbers r1-r5; uses the routine slots.
    mutating func readUserCaller() {
        if site.prologue.providesEntryCaller {
            asm.load(.r0, from: .r7, offset: contextSlot(ProbeContextSlots.entryCaller), size: .double)
            return
        }
        let state = layout.routineStateOffset
        let done = asm.newLabel()
        asm.move(.r1, .r6)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(state))
        asm.load(.r3, constant: 16)
        asm.load(.r4, constant: 1 << 8)     // BPF_F_USER_STACK
        asm.call(.getStack)
        asm.move(.r1, .r0)
        asm.load(.r0, constant: 0)
        asm.jump(.jslt, .r1, immediate: 16, done)
        asm.load(.r0, from: .r7, offset: Int16(state + 8), size: .double)
        asm.bind(done)
    }

    /// r0 = the frames bpf_get_stack() walks (into the user-frames area), at most
    /// maxframes; 0 when the walk fails.
    mutating func countStackFrames(user: Bool) {
        let added = asm.newLabel()
        asm.move(.r1, .r6)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(layout.userFramesOffset))
        asm.load(.r3, constant: Int64(8 * layout.maxFrames))
        asm.load(.r4, constant: user ? 1 << 8 : 0)     // BPF_F_USER_STACK
        asm.call(.getStack)
        asm.jump(.jsgt, .r0, immediate: 0, added)
        asm.load(.r0, constant: 0)
        asm.bind(added)
        asm.alu64(.rsh, .r0, immediate: 3)
    }

    /// r0 = ustackdepth: the frames of the kernel's walk (into the user-frames area), one
    /// more at a function's entry when the kernel did not put the caller second.
    mutating func readUserStackDepth() {
        let frames = layout.userFramesOffset
        let done = asm.newLabel()
        countStackFrames(user: true)
        guard site.prologue.providesEntryCaller else { return }
        asm.load(.r1, from: .r7, offset: contextSlot(ProbeContextSlots.entryCaller), size: .double)
        asm.jump(.jeq, .r1, immediate: 0, done)
        asm.jump(.jeq, .r0, immediate: 0, done)
        let insert = asm.newLabel()
        asm.jump(.jlt, .r0, immediate: 2, insert)
        asm.load(.r2, from: .r7, offset: Int16(frames + 8), size: .double)
        asm.jump(.jeq, .r2, .r1, done)
        asm.bind(insert)
        asm.jump(.jge, .r0, immediate: Int32(layout.maxFrames), done)
        asm.alu64(.add, .r0, immediate: 1)
        asm.bind(done)
    }
}
