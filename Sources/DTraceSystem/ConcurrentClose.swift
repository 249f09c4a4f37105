// DTraceSystem/ConcurrentClose: closing many perf events without making dtrace wait for
// it. Closing a tracepoint perf event with a BPF program waits for an RCU grace period
// (~80-160 ms here); one after another, 360 of them took ~27 s, and from many threads
// still ~13 s. So the last references go to a child process that closes them after dtrace
// has exited (the programs are stopped by then), and dtrace's own close is immediate; where
// no child can be made, threads close them concurrently.

import CLinux
import Glibc

public enum ConcurrentClose {
    /// The descriptors one thread closes.
    private final class Batch {
        let descriptors: [Int32]
        init(_ descriptors: [Int32]) { self.descriptors = descriptors }
    }

    /// Hands the closing of `descriptors` to a background child and closes this process's
    /// copies (immediate, as the child holds the last references). Without a child, closes
    /// them concurrently and returns when all are closed.
    public static func closeInBackground(_ descriptors: [Int32]) {
        guard descriptors.count > 1 else { closeAll(descriptors); return }
        var list = descriptors
        let child = list.withUnsafeMutableBufferPointer { clinux_close_in_background($0.baseAddress, UInt32($0.count)) }
        guard child > 0 else { closeAll(descriptors); return }
        for descriptor in descriptors { close(descriptor) }
    }

    /// Closes `descriptors`, spread over at most `threads` threads, and returns when all
    /// are closed. Where a thread cannot be started, its share is closed here.
    public static func closeAll(_ descriptors: [Int32], threads: Int = 512) {
        guard descriptors.count > 1 else { descriptors.forEach { close($0) }; return }
        let count = max(1, min(threads, descriptors.count))
        var started: [pthread_t] = []
        for index in 0..<count {
            let share = Array(stride(from: index, to: descriptors.count, by: count).map { descriptors[$0] })
            let context = Unmanaged.passRetained(Batch(share)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let batch = Unmanaged<Batch>.fromOpaque(raw!).takeRetainedValue()
                for descriptor in batch.descriptors { close(descriptor) }
                return nil
            }, context)
            if status == 0 {
                started.append(thread)
            } else {
                Unmanaged<Batch>.fromOpaque(context).release()
                share.forEach { close($0) }
            }
        }
        for thread in started { pthread_join(thread, nil) }
    }
}
