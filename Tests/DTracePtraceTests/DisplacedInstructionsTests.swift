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
