// DTracePtraceTests/DisplacedInstructionsTests: the ptrace engine's way of running
// displaced instructions, on a real process — a breakpoint on every instruction of
// plain_sum (push, mov, call, lea, pop, ret...) with exact hit counts and the workload's
// own result unchanged; emulated where the emulator can without writing memory, pushes
// run by the thread from jump-back slots (a launched process), and under CET shadow
// stacks calls and returns run for real, in place, with the other threads stopped.

import DTraceELF
import DTracePtrace
import DTraceSystem
import DTraceX86
import Foundation
import Testing

@Suite struct DisplacedInstructionsTests {
    @Test func callsAndReturnsRunForRealUnderShadowStacks() throws {
        let call = try X86Decoder.decode([0xE8, 0, 0, 0, 0]).get()
        let indirectCall = try X86Decoder.decode([0xFF, 0xD0]).get()
        let ret = try X86Decoder.decode([0xC3]).get()
        let jump = try X86Decoder.decode([0xEB, 0x00]).get()
        let push = try X86Decoder.decode([0x55]).get()
        #expect([call, indirectCall, ret].allSatisfy(DisplacedInstructions.touchesShadowStack))
        #expect(![jump, push].contains(where: DisplacedInstructions.touchesShadowStack))
        // A process that is not there has none.
        #expect(!DisplacedInstructions.processUsesShadowStacks(Int32.max))
    }

    /// A thread left stopped in a jump-back copy (moved there, not yet resumed) when the
    /// tracer detaches is put back at the instruction the copy stands for: the process
    /// finishes with every result right, its code the file's.
    @Test func detachPutsAThreadInAJumpBackCopyBack() throws {
        let workload = Process()
        workload.executableURL = URL(fileURLWithPath: PtracePrograms.workload)
        workload.arguments = ["calls", "400000000"]
        try workload.run()
        defer { if workload.isRunning { kill(workload.processIdentifier, SIGKILL) }; workload.waitUntilExit() }
        usleep(50_000)
        let process = try TracedProcess.attach(pid: workload.processIdentifier)
        let function = try functionInExecutable("plain_sum", of: process)
        try #require(try process.readMemory(at: function.address, count: 1) == [0x55], "plain_sum starts with push %rbp")
        try process.insertBreakpoint(at: function.address)
        let displaced = DisplacedInstructions()
        try process.resumeAll()
        var parked = false
        while !parked {
            let event = try process.waitForEvent(deadline: SystemClock.monotonicNanoseconds() + 30_000_000_000)
            switch event.kind {
            case .breakpoint(let address, let registers):
                try displaced.execute(in: process, thread: event.thread, at: address, registers: registers)
                // Moved into the copy and left stopped there.
                let rip = try process.registers(of: event.thread).rip
                let page = try #require(process.scratchPage)
                #expect(rip >= page.address && rip < page.address + UInt64(page.size))
                parked = true
            case .exited, .killed, .timedOut:
                Issue.record("\(event.kind)")
                return
            default:
                try process.resume(thread: event.thread)
            }
        }
        #expect(displaced.jumpedBack == 1)
        try process.detach()
        workload.waitUntilExit()
        // calls mode exits 0 when every result was right.
        #expect(workload.terminationReason == .exit && workload.terminationStatus == 0)
    }

    @Test(arguments: [false, true])
    func everyInstructionOfAFunctionBreakpointed(shadowStacks: Bool) throws {
        let calls = 500
        let process = try TracedProcess.launch(arguments: [PtracePrograms.workload, "calls", "\(calls)"])
        defer { process.kill() }
        let function = try functionInExecutable("plain_sum", of: process)
        let code = try process.readMemory(at: function.address, count: 64)
        // Up to and including the ret.
        var sites: [UInt64] = []
        for boundary in X86Decoder.instructionBoundaries(of: code) {
            sites.append(function.address + UInt64(boundary))
            if code[boundary] == 0xC3 { break }
        }
        #expect(sites.count >= 8)
        for site in sites { try process.insertBreakpoint(at: site) }
        let displaced = DisplacedInstructions()
        displaced.shadowStacks = shadowStacks
        var hits: [UInt64: Int] = [:]
        try process.resumeAll()
        var ending: TraceEvent.Kind?
        while ending == nil {
            let event = try process.waitForEvent(deadline: SystemClock.monotonicNanoseconds() + 30_000_000_000)
            switch event.kind {
            case .breakpoint(let address, let registers):
                hits[address, default: 0] += 1
                try displaced.execute(in: process, thread: event.thread, at: address, registers: registers)
            case .exited, .killed, .timedOut:
                ending = event.kind
                continue
            default: break
            }
            try process.resume(thread: event.thread)
        }
        // calls mode returns 0 when every result was right.
        #expect(ending == .exited(code: 0))
        #expect(sites.allSatisfy { hits[$0] == calls }, "\(hits)")
        let stackTransfers = 2 * calls   // call step, ret
        if shadowStacks {
            #expect(displaced.steppedInPlace == stackTransfers)
        } else {
            #expect(displaced.steppedInPlace == 0)
            #expect(displaced.emulated + displaced.steppedOutOfLine + displaced.jumpedBack == sites.count * calls)
            // A launched process (it dies with the tracer) runs its pushes from jump-back
            // slots of their own: plain_sum's push %rbp among them.
            #expect(displaced.jumpedBack >= calls)
        }
    }
}
