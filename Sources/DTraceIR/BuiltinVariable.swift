// DTraceIR/BuiltinVariable: the values a probe firing provides (D's built-in variables).

/// Values a probe firing provides (D's built-in variables).
public enum BuiltinVariable: String, Sendable, CaseIterable {
    case timestamp, walltimestamp, vtimestamp
    case pid, ppid, tid, uid, gid, cpu, id, epid, errno
    case arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8, arg9
    case stackdepth, ustackdepth, caller, ucaller, ipl
    /// The address of the probe's argument record in kernel memory (a tracepoint's
    /// record, for typed `args->field`); 0 where the probe has none.
    case argumentRecord
    /// The kernel's task_struct of the thread the clause runs as (`curthread`).
    case curthread
    // string-valued: the helper writes the string into a destination buffer
    case execname, probeprov, probemod, probefunc, probename, zonename, cwd, root

    public var isString: Bool {
        switch self {
        case .execname, .probeprov, .probemod, .probefunc, .probename, .zonename, .cwd, .root: return true
        default: return false
        }
    }
}
