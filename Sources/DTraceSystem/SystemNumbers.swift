// DTraceSystem/SystemNumbers: the errno values and signal numbers that the layers above
// decide on (a SystemError's code, a tracee's stop signal), named here so that they
// need not import the C library; signals' names as dtrace prints them (x86-64 Linux
// numbering).

import Glibc

/// errno values, as `SystemError.code` carries them.
public enum ErrorNumber {
    /// EPERM: the caller lacks a privilege the call needs.
    public static let operationNotPermitted: Int32 = EPERM
    /// EACCES: permission denied.
    public static let permissionDenied: Int32 = EACCES
    /// ENOENT: no such file, or (perf_event_open) no such event.
    public static let noSuchEntry: Int32 = ENOENT
    /// ENOSYS: the kernel does not have this system call.
    public static let notImplemented: Int32 = ENOSYS
    /// EOPNOTSUPP: the operation is not supported.
    public static let notSupported: Int32 = EOPNOTSUPP
}

/// Signal numbers, as `TraceeEvent` carries them.
public enum SignalNumber {
    /// SIGSTOP: a scratch tracee stops itself with it.
    public static let stop: Int32 = SIGSTOP
    /// SIGTRAP: a single step, or a breakpoint, ends with it.
    public static let trap: Int32 = SIGTRAP

    /// A signal's name as dtrace prints it ("SIGTRAP"), or "signal N".
    public static func name(_ signal: Int32) -> String {
        let names = ["HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
                     "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"]
        return signal >= 1 && Int(signal) <= names.count ? "SIG" + names[Int(signal) - 1] : "signal \(signal)"
    }
}
