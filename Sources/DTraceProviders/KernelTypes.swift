// DTraceProviders/KernelTypes: where kernel structures lie, from the kernel's BTF
// (/sys/kernel/btf/vmlinux, mapped where the kernel allows, so only the pages read are
// touched). Read once, on first use: a session whose clauses and probes need no kernel
// structure never opens it. Every offset is nil without BTF or without the member.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTraceSystem

public final class KernelTypes {
    private let load: () -> BTF?
    private var loaded = false
    private var btfStorage: BTF?
    /// D types made from BTF types, by ID, and named lookups already answered (KernelTypeImport).
    var importedTypes: [UInt32: DType] = [:]
    var namedTypes: [String: DType?] = [:]
    /// Structures declarations named before the kernel was asked (`deferredType`).
    var placeholders: [String: CompositeType] = [:]

    /// `load` reads the kernel's BTF (tests may give another).
    public init(load: @escaping () -> BTF? = KernelTypes.kernelBTF) { self.load = load }

    var btf: BTF? {
        if !loaded { btfStorage = load(); loaded = true }
        return btfStorage
    }

    public static func kernelBTF() -> BTF? {
        guard let file = MappedFile.open("/sys/kernel/btf/vmlinux") else { return nil }
        return try? BTF(storage: BTFStorage(bytes: file.bytes, release: file.release))
    }

    /// The offset of `member` in `structure`.
    public func offset(of member: String, in structure: String) -> Int? { try? btf?.offset(of: member, in: structure) }

    /// The size of an integer member (through typedefs and qualifiers), or nil.
    func integerSize(of member: String, in structure: String) -> Int? {
        guard let btf, let members = try? btf.members(ofStruct: structure), var id = members.first(where: { $0.name == member })?.type else { return nil }
        while let type = try? btf.type(id) {
            switch type {
            case .integer(_, let size, _, _, _, _, _), .enumeration(_, let size, _, _): return size
            case .typedef(_, let target), .qualifier(let target): id = target
            default: return nil
            }
        }
        return nil
    }

    /// Where uregs[R_DS], [R_ES], [R_FS], [R_GS] and [R_TRAPNO] lie in the task (its
    /// thread_struct's ds, es, fsbase, gsbase and trap_nr), as Oracle's DTrace reads them.
    public lazy var threadRegisterFields: [Int64: ThreadRegisterField] = {
        guard let thread = offset(of: "thread", in: "task_struct") else { return [:] }
        var fields: [Int64: ThreadRegisterField] = [:]
        for (index, member) in UserRegisters.threadMembers {
            if let offset = offset(of: member, in: "thread_struct"), let size = integerSize(of: member, in: "thread_struct") {
                fields[index] = ThreadRegisterField(offset: thread + offset, size: size)
            }
        }
        return fields
    }()

    /// task_struct.thread_info.status, for the 32-bit (compat) caller test.
    public lazy var compatStatusOffset: Int? = {
        guard let info = offset(of: "thread_info", in: "task_struct"), let status = offset(of: "status", in: "thread_info") else { return nil }
        return info + status
    }()

    /// task_struct.real_parent and task_struct.tgid, for ppid.
    public lazy var parentOffsets: (realParent: Int, processID: Int)? = {
        guard let parent = offset(of: "real_parent", in: "task_struct"), let tgid = offset(of: "tgid", in: "task_struct") else { return nil }
        return (parent, tgid)
    }()

    /// task_struct.se.sum_exec_runtime, for vtimestamp.
    public lazy var executionTimeOffset: Int? = {
        guard let entity = offset(of: "se", in: "task_struct"), let runtime = offset(of: "sum_exec_runtime", in: "sched_entity") else { return nil }
        return entity + runtime
    }()

    /// task_struct.comm, for execname.
    public lazy var commandNameOffset: Int? = offset(of: "comm", in: "task_struct")

    /// The fields of a task other than the running one that the thread built-ins read.
    public lazy var taskFieldOffsets: TaskFieldOffsets? = {
        guard let thread = offset(of: "pid", in: "task_struct"), let comm = commandNameOffset, let parent = parentOffsets else { return nil }
        return TaskFieldOffsets(threadID: thread, processID: parent.processID, commandName: comm, realParent: parent.realParent,
                                executionTime: executionTimeOffset, credentials: offset(of: "cred", in: "task_struct"),
                                userID: offset(of: "uid", in: "cred"), groupID: offset(of: "gid", in: "cred"))
    }()
}
