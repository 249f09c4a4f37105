// DTraceSystem/SystemClock: the clocks D exposes (timestamp, vtimestamp, walltimestamp).
// Owns every clock_gettime(2) call; all values are nanoseconds.
import Glibc

public enum SystemClock {
    /// CLOCK_MONOTONIC in nanoseconds: D's `timestamp`.
    public static func monotonicNanoseconds() -> Int64 { read(CLOCK_MONOTONIC) }

    /// CLOCK_REALTIME in nanoseconds since the epoch: D's `walltimestamp`.
    public static func wallNanoseconds() -> Int64 { read(CLOCK_REALTIME) }

    /// CLOCK_THREAD_CPUTIME_ID: the calling thread's on-CPU time, D's `vtimestamp`.
    public static func threadCPUNanoseconds() -> Int64 { read(CLOCK_THREAD_CPUTIME_ID) }

    /// A wall-clock time in nanoseconds as local time, through strftime(3)'s `format`.
    public static func localTimeText(_ nanoseconds: Int64, format: String) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, 64, format, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var spec = timespec()
        guard clock_gettime(clock, &spec) == 0 else { return 0 }
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }

    /// Sleeps for the given number of nanoseconds (clamped at zero), retrying on EINTR
    /// only while `shouldContinue` says so.
    public static func sleep(nanoseconds: Int64, shouldContinue: () -> Bool = { true }) {
        guard nanoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR && shouldContinue() {
            request = remaining
        }
    }
}
