// DTraceSystemTests/BoundedCallTests: the bounded-time thread runner — a result comes
// back in time from a thread other than the caller's, a nil result is not mistaken for
// an overrun, and a body that blocks is reported timed out within the bound (its thread
// is released afterwards, so the test leaves nothing behind).

import DTraceSystem
import Glibc
import Testing

private func monotonicMilliseconds() -> Int64 { SystemClock.monotonicNanoseconds() / 1_000_000 }

@Suite struct BoundedCallTests {
    @Test func resultComesBackInTime() {
        let start = monotonicMilliseconds()
        #expect(BoundedCall.run({ 42 }, milliseconds: 1000) == .finished(42))
        #expect(monotonicMilliseconds() - start < 1000)
    }

    @Test func bodyRunsOnAThreadOfItsOwn() {
        let caller = ProcessIdentity.threadID
        guard case .finished(let worker) = BoundedCall.run({ ProcessIdentity.threadID }, milliseconds: 1000) else {
            Issue.record("the call timed out")
            return
        }
        #expect(worker != caller)
    }

    @Test func nilResultIsNotATimeout() {
        #expect(BoundedCall.run({ Int?.none }, milliseconds: 1000) == .finished(nil))
    }

    @Test func blockingBodyTimesOut() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let start = monotonicMilliseconds()
        let outcome = BoundedCall.run({ () -> Int in
            var byte: UInt8 = 0
            return read(readEnd, &byte, 1)   // blocks until the test writes
        }, milliseconds: 100)
        let elapsed = monotonicMilliseconds() - start
        #expect(outcome == .timedOut)
        #expect(elapsed >= 100 && elapsed < 2000, "\(elapsed) ms")
        // Release the abandoned thread, then close the pipe once it has read.
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
        close(writeEnd)
        SystemClock.sleep(nanoseconds: 50_000_000)
        close(readEnd)
    }
}
