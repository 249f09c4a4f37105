// count-breakpoint-hits: runs a command under DTracePtrace with a breakpoint at the entry
// of one function of its executable, steps the displaced instruction out of line on the
// scratch page at every hit (copied there by DTraceX86's OutOfLineCopy), and prints how many hits there were, how the command ended
// and how long it ran. The ptrace tests run it as an unprivileged user; with --none it
// runs the command the same way without the breakpoint, so the difference of two runs
// (pinned to one CPU with taskset) is the cost of the hits.
//
//     count-breakpoint-hits FUNCTION COMMAND [ARGUMENT...]
//     count-breakpoint-hits --none COMMAND [ARGUMENT...]
//
// Output (one line): hits=N status=exited:C|killed:S run_ns=NANOSECONDS

import DTraceELF
import DTracePtrace
import DTraceSystem
import DTraceX86

func fail(_ message: String) -> Never {
    print("count-breakpoint-hits: \(message)")
    SystemProcess.exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else { fail("usage: count-breakpoint-hits FUNCTION|--none COMMAND [ARGUMENT...]") }
let functionName: String? = arguments[0] == "--none" ? nil : arguments[0]
let command = Array(arguments.dropFirst())

do {
    let process = try TracedProcess.launch(arguments: command)
    var breakpoint: OutOfLineCopy?
    if let functionName {
        guard case .success(let objects) = ProcessMappings.mappedObjects(pid: process.processID),
              let executable = objects.objects.first(where: \.isExecutable),
              let function = executable.object.functions.first(where: { $0.name == functionName }) else {
            process.kill()
            fail("no function \(functionName) in \(command[0])")
        }
        let address = function.address &+ executable.loadBias
        let code = try process.readMemory(at: address, count: X86Decoder.maximumInstructionLength)
        let page = try process.mapScratchPage(near: address)
        do {
            breakpoint = try OutOfLineCopy(instructionBytes: code, originalAddress: address, scratchAddress: page.address)
        } catch {
            process.kill()
            fail("the first instruction of \(functionName) cannot be stepped out of line: \(error)")
        }
        try process.insertBreakpoint(at: address)
    }
    let start = SystemClock.monotonicNanoseconds()
    try process.resumeAll()
    var hits = 0
    while true {
        let event = try process.waitForEvent()
        switch event.kind {
        case .breakpoint(let address, _):
            guard let breakpoint, address == breakpoint.originalAddress else { fail("a breakpoint at 0x\(String(address, radix: 16)) that was never placed") }
            hits += 1
            try process.stepOutOfLine(thread: event.thread, copy: breakpoint)
        case .forked(let child, _):
            try process.removeBreakpoints(inChild: child)
        case .exited(let code):
            print("hits=\(hits) status=exited:\(code) run_ns=\(SystemClock.monotonicNanoseconds() - start)")
            SystemProcess.exit(0)
        case .killed(let signal):
            print("hits=\(hits) status=killed:\(signal) run_ns=\(SystemClock.monotonicNanoseconds() - start)")
            SystemProcess.exit(0)
        default:
            break
        }
        try process.resume(thread: event.thread)
    }
} catch {
    fail("\(error)")
}
