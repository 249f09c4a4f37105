// count-seccomp-stops: runs a command as dtrace -c runs it (a `TargetProcess` held at its
// gate), seized by DTracePtrace (`TracedProcess.adopt`), and counts its stops at the given
// system calls, one of three ways:
//
//     count-seccomp-stops filter  CALLS COMMAND [ARGUMENT...]   released with the seccomp filter
//                                                               for CALLS (PTRACE_O_TRACESECCOMP):
//                                                               a stop at each listed call only
//     count-seccomp-stops syscall CALLS COMMAND [ARGUMENT...]   released plainly, resumed with
//                                                               PTRACE_SYSCALL: two stops at every call
//     count-seccomp-stops traced  CALLS COMMAND [ARGUMENT...]   released plainly, never stopped
//
// CALLS: x86-64 system call names or numbers, comma-separated ("getpid,1"). The command's
// words are joined with blanks and split again, as dtrace -c does. The ptrace tests run it as
// an unprivileged user; bench/seccomp.sh compares the modes' costs.
//
// Output (one line): stops=N:COUNT,... other=COUNT filter=installed|refused:ERRNO|not-sent
//   no_new_privs=0|1 seccomp_filters=N status=exited:C|killed:S run_ns=NANOSECONDS
// (`other`: seccomp stops at calls not listed, or entries to them under PTRACE_SYSCALL;
// no_new_privs and seccomp_filters as /proc/PID/status says them at the exec.)

import DTracePtrace
import DTraceSystem

func fail(_ message: String) -> Never {
    print("count-seccomp-stops: \(message)")
    SystemProcess.exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3, ["filter", "syscall", "traced"].contains(arguments[0]) else {
    fail("usage: count-seccomp-stops filter|syscall|traced CALLS COMMAND [ARGUMENT...]")
}
let mode = arguments[0]
var numbers: [Int] = []
for name in arguments[1].split(separator: ",").map(String.init) {
    guard let number = Int(name) ?? SyscallNumbers.x86_64[name] else { fail("no system call \(name)") }
    numbers.append(number)
}
let command = arguments.dropFirst(2).joined(separator: " ")

do {
    let target = try TargetProcess.spawn(command)
    let filter: SeccompFilter?
    do { filter = mode == "filter" ? try SeccompFilter(tracing: numbers) : nil } catch { target.abandon(); fail("\(error)") }
    let start = SystemClock.monotonicNanoseconds()
    let process = try TracedProcess.adopt(heldProcessID: target.processID, name: command, options: TraceOptions(seccompStops: filter != nil),
                                          release: { if let filter { target.release(installing: filter) } else { target.release() } })
    target.noteTraced()
    let filterText: String
    switch target.systemCallFilterState() {
    case .installed: filterText = "installed"
    case .refused(let errorNumber): filterText = "refused:\(errorNumber)"
    case .notSent: filterText = "not-sent"
    case let other: filterText = "\(other)"
    }
    let status = ProcessThreads.status(of: process.processID)
    process.tracesSystemCalls = mode == "syscall"
    try process.resumeAll()
    var stops: [Int: Int] = [:]
    var other = 0
    while true {
        let event = try process.waitForEvent()
        switch event.kind {
        case .seccomp(let number, _, let data):
            if data == UInt32(SeccompFilter.dtraceTraceData) && numbers.contains(Int(number)) { stops[Int(number), default: 0] += 1 } else { other += 1 }
        case .systemCallEntry(let number, _):
            if numbers.contains(Int(number)) { stops[Int(number), default: 0] += 1 } else { other += 1 }
        case .forked(let child, _):
            try process.removeBreakpoints(inChild: child)
        case .exited(let code), .killed(signal: let code):
            let how = if case .exited = event.kind { "exited:\(code)" } else { "killed:\(code)" }
            let counts = Set(numbers).sorted().map { "\($0):\(stops[$0, default: 0])" }.joined(separator: ",")
            print("stops=\(counts) other=\(other) filter=\(filterText) no_new_privs=\(status?.noNewPrivileges == true ? 1 : 0)"
                  + " seccomp_filters=\(status?.seccompFilters ?? -1) status=\(how) run_ns=\(SystemClock.monotonicNanoseconds() - start)")
            SystemProcess.exit(0)
        default:
            break
        }
        try process.resume(thread: event.thread)
    }
} catch {
    fail("\(error)")
}
