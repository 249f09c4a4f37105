// DTraceLibrary/LockSubroutines: mutex_owned, mutex_owner, mutex_type_adaptive,
// mutex_type_spin (a struct mutex *) and rw_read_held, rw_write_held, rw_iswriter (a
// rwlock_t *), as DTrace on Linux computes them: a mutex's owner word (its low three bits
// are flags) names the owning task; a queued rwlock's count holds the writer bits
// (_QW_WMASK 0x1ff, _QW_LOCKED 0xff) under the readers'. Every Linux mutex is adaptive.
// The words are read from kernel memory at the offsets the kernel's BTF gives.

import DTraceIR
import DTraceLanguage

struct LockSubroutines: LibrarySubroutine {
    var names: [String] {
        ["mutex_owned", "mutex_owner", "mutex_type_adaptive", "mutex_type_spin",
         "rw_read_held", "rw_write_held", "rw_iswriter"]
    }
    var implementation: SubroutineImplementation { .coreIR }

    static let mutexFlags: Int64 = 0x07
    static let writerMask: Int64 = 0x1ff
    static let writerLocked: Int64 = 0xff

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...1)
        let isMutex = call.name.hasPrefix("mutex_")
        let lock = isMutex
            ? try call.compositePointer(0, pointee: "mutex", prototype: "struct mutex *")
            : try call.compositePointer(0, pointee: "qrwlock", prototype: "rwlock_t *")
        switch call.name {
        case "mutex_type_adaptive": return SubroutineResult(register: call.constant(1), type: .int)
        case "mutex_type_spin": return SubroutineResult(register: call.constant(0), type: .int)
        default: break
        }
        let word = call.register()
        if isMutex {
            call.emit(.load(word, base: lock, offset: try offset(call, of: "owner", in: "struct mutex"), width: 8, space: .tracee))
            let owner = masked(call, word, ~Self.mutexFlags)
            let taskType = call.kernelType(named: "struct task_struct").map { DType.pointer($0) } ?? .voidPointer
            if call.name == "mutex_owner" { return SubroutineResult(register: owner, type: taskType) }
            let current = call.call(.readBuiltin(.curthread), [], type: taskType).register
            let owned = call.register()
            call.emit(.compare(.equal, owned, owner, current))
            return SubroutineResult(register: owned, type: .int)
        }
        call.emit(.load(word, base: lock, offset: try offset(call, of: "cnts", in: "struct qrwlock"), width: 4, space: .tracee))
        let mask = switch call.name {
        case "rw_read_held": ~Self.writerMask & 0xffff_ffff
        case "rw_write_held": Self.writerLocked
        default: Self.writerMask
        }
        return SubroutineResult(register: masked(call, word, mask), type: .int)
    }

    private func masked(_ call: SubroutineArguments, _ word: Register, _ mask: Int64) -> Register {
        let result = call.register()
        call.emit(.arithmetic(.and, result, word, call.constant(mask)))
        return result
    }

    /// The member's offset in the kernel's structure; a clear error without kernel BTF.
    private func offset(_ call: SubroutineArguments, of member: String, in structure: String) throws(Diagnostic) -> Int {
        guard case .composite(let composite)? = call.kernelType(named: structure)?.resolved,
              let found = composite.member(member) else {
            throw Diagnostic(.undefinedIdentifier, "\(call.name)( ) needs the kernel's \(structure) (member \(member)): this kernel has no BTF type for it",
                             line: call.line)
        }
        return found.offset
    }
}
