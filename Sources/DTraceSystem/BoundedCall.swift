// DTraceSystem/BoundedCall: runs a function on a thread of its own and waits for it at
// most a given time (pthread_create/pthread_detach, a close-on-exec pipe the thread
// writes one byte to when done, poll(2) with the remaining time, EINTR retried). A call
// that overruns is abandoned: its thread finishes (or not) on its own, its result
// unused, and the pipe closes when the last of the two lets go of it. Where no thread
// or pipe can be had, the function runs on the calling thread, unbounded.

import Glibc

/// What a bounded call came to.
public enum BoundedCallOutcome<Value: Sendable>: Sendable {
    case finished(Value)
    case timedOut
}

extension BoundedCallOutcome: Equatable where Value: Equatable {}

public enum BoundedCall {
    /// The waiting side and the thread's side of one call; the thread signals through
    /// the pipe once `work` has stored its result.
    private final class Rendezvous: @unchecked Sendable {
        let readEnd: Int32, writeEnd: Int32
        let work: @Sendable () -> Void

        init?(_ work: @escaping @Sendable () -> Void) {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { return nil }
            readEnd = ends[0]; writeEnd = ends[1]; self.work = work
            _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        }

        deinit { close(readEnd); close(writeEnd) }
    }

    /// Where the thread leaves the function's result.
    private final class ResultSlot<Value>: @unchecked Sendable {
        var value: Value?
    }

    /// Runs `body` on a new thread and waits at most `milliseconds` for it.
    public static func run<Value: Sendable>(_ body: @escaping @Sendable () -> Value, milliseconds: Int) -> BoundedCallOutcome<Value> {
        let slot = ResultSlot<Value>()
        guard let rendezvous = Rendezvous({ slot.value = body() }) else { return .finished(body()) }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(rendezvous).toOpaque()
        let started = pthread_create(&thread, nil, { raw in
            let rendezvous = Unmanaged<Rendezvous>.fromOpaque(raw!).takeRetainedValue()
            rendezvous.work()
            var byte: UInt8 = 1
            _ = write(rendezvous.writeEnd, &byte, 1)
            return nil
        }, context)
        guard started == 0 else {
            Unmanaged<Rendezvous>.fromOpaque(context).release()
            return .finished(body())
        }
        pthread_detach(thread)
        let deadline = SystemClock.monotonicNanoseconds() + Int64(milliseconds) * 1_000_000
        var poller = pollfd(fd: rendezvous.readEnd, events: Int16(POLLIN), revents: 0)
        while true {
            let remaining = (deadline - SystemClock.monotonicNanoseconds()) / 1_000_000
            if remaining < 0 { return .timedOut }
            let ready = poll(&poller, 1, Int32(min(remaining + 1, 60_000)))
            if ready > 0 { return slot.value.map { .finished($0) } ?? .timedOut }
            if ready < 0 && errno != EINTR { return .timedOut }
        }
    }
}
