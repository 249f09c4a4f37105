// guardian-demo: traces a running process as dtrace -p does (TracedProcess.attach) with a
// breakpoint at the entry of one function of its executable, under a guardian
// (DTracePtrace's Guardian), stepping the displaced instruction out of line at every hit
// — so a test can SIGKILL it mid-trace and check that the process runs on unharmed. It
// prints one line once it has seen READY hits, and one when it has detached or the
// process ended.
//
//     guardian-demo FUNCTION PID [--ready-after HITS] [--detach-after HITS]
//                   [--report PATH] [--no-trap-handler]
//
// Output: ready guardian=G holds=0|1 handler=0xPAGE|none address=0xADDRESS hits=N start_us=T
//         detached hits=N | ended status=exited:C|killed:S hits=N
// --report: the file the guardian appends its one line to when it recovers the process
// or is dismissed.

import DTraceELF
import DTracePtrace
import DTraceSystem
import DTraceX86

let output = OutputSink(descriptor: 1)

func say(_ line: String) {
    output.write(line + "\n")
    output.flush()
}

func fail(_ message: String) -> Never {
    say("guardian-demo: \(message)")
    SystemProcess.exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2, let pid = Int32(arguments[1]) else {
    fail("usage: guardian-demo FUNCTION PID [--ready-after HITS] [--detach-after HITS] [--report PATH] [--no-trap-handler]")
}
let functionName = arguments[0]
var readyAfter = 100
var detachAfter: Int?
var reportPath: String?
var trapHandler = true
var index = 2
while index < arguments.count {
    let option = arguments[index]
    let value = index + 1 < arguments.count ? arguments[index + 1] : nil
    switch option {
    case "--ready-after": readyAfter = Int(value ?? "") ?? readyAfter; index += 2
    case "--detach-after": detachAfter = Int(value ?? ""); index += 2
    case "--report": reportPath = value; index += 2
    case "--no-trap-handler": trapHandler = false; index += 1
    default: fail("unknown option \(option)")
    }
}

do {
    let process = try TracedProcess.attach(pid: pid)
    guard case .success(let objects) = ProcessMappings.mappedObjects(pid: pid),
          let executable = objects.objects.first(where: \.isExecutable),
          let function = executable.object.functions.first(where: { $0.name == functionName }) else {
        try? process.detach()
        fail("no function \(functionName) in process \(pid)")
    }
    let address = function.address &+ executable.loadBias
    var report: Int32 = -1
    if let reportPath {
        do { report = try OutputSink.appending(to: reportPath).descriptor } catch { fail("\(error)") }
    }
    // Every thread is stopped: the guardian places its trap handler now.
    let started = SystemClock.monotonicNanoseconds()
    let guardian = try Guardian.start(for: process, report: report, trapHandler: trapHandler)
    let startMicroseconds = (SystemClock.monotonicNanoseconds() - started) / 1000
    let code = try process.readMemory(at: address, count: X86Decoder.maximumInstructionLength)
    let page = try process.mapScratchPage(near: address)
    let copy: OutOfLineCopy
    do {
        copy = try OutOfLineCopy(instructionBytes: code, originalAddress: address, scratchAddress: page.address)
    } catch {
        try? process.detach()
        guardian.dismiss()
        fail("the first instruction of \(functionName) cannot be stepped out of line: \(error)")
    }
    try process.insertBreakpoint(at: address)
    try process.resumeAll()
    var hits = 0
    while true {
        let event = try process.waitForEvent()
        switch event.kind {
        case .breakpoint(let hit, _):
            guard hit == address else { fail("a breakpoint at 0x\(String(hit, radix: 16)) that was never placed") }
            hits += 1
            try process.stepOutOfLine(thread: event.thread, copy: copy)
            if hits == readyAfter {
                let handler = guardian.trapHandlerPage(in: process).map { "0x" + String($0, radix: 16) } ?? "none"
                say("ready guardian=\(guardian.processID) holds=\(guardian.holdsTracer ? 1 : 0) handler=\(handler) address=0x\(String(address, radix: 16)) hits=\(hits) start_us=\(startMicroseconds)")
            }
            if let detachAfter, hits >= detachAfter {
                try process.detach()
                guardian.dismiss()
                say("detached hits=\(hits)")
                SystemProcess.exit(0)
            }
        case .forked(let child, _):
            try process.removeBreakpoints(inChild: child)
        case .exited(let status):
            guardian.dismiss()
            say("ended status=exited:\(status) hits=\(hits)")
            SystemProcess.exit(0)
        case .killed(let signal):
            guardian.dismiss()
            say("ended status=killed:\(signal) hits=\(hits)")
            SystemProcess.exit(0)
        default:
            break
        }
        try process.resume(thread: event.thread)
    }
} catch {
    fail("\(error)")
}
