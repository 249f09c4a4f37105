// DTraceSystem/PerfEvent: perf_event_open(2) events a BPF program attaches to —
// tracepoints (by tracefs id) and the software cpu-clock (profile probes; it needs no
// hardware PMU, so it works in Xen guests). Closing the event detaches the program.

import CLinux
import Glibc

public final class PerfEvent {
    public private(set) var descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Closes many events without waiting for the kernel to detach each (a background
    /// child holds the last references; see ConcurrentClose).
    public static func closeAll(_ events: [PerfEvent]) {
        let descriptors = events.compactMap { event -> Int32? in
            defer { event.descriptor = -1 }
            return event.descriptor >= 0 ? event.descriptor : nil
        }
        ConcurrentClose.closeInBackground(descriptors)
    }

    /// A tracepoint event on one CPU for every process (with a BPF program attached,
    /// one such event fires the program on all CPUs).
    public static func tracepoint(id: UInt64, cpu: Int32 = 0) throws(SystemError) -> PerfEvent {
        let fd = clinux_perf_open_tracepoint(id, cpu)
        guard fd >= 0 else { throw SystemError("perf_event_open(tracepoint \(id))") }
        return PerfEvent(descriptor: fd)
    }

    /// A cpu-clock sampling event on one CPU, every `periodNanoseconds`.
    public static func cpuClock(periodNanoseconds: UInt64, cpu: Int32) throws(SystemError) -> PerfEvent {
        let fd = clinux_perf_open_cpu_clock(periodNanoseconds, cpu)
        guard fd >= 0 else { throw SystemError("perf_event_open(cpu-clock on CPU \(cpu))") }
        return PerfEvent(descriptor: fd)
    }

    /// Attaches a loaded program and enables the event.
    public func attach(_ program: BPFProgram) throws(SystemError) {
        if clinux_perf_attach_bpf(descriptor, program.descriptor) != 0 { throw SystemError("ioctl(PERF_EVENT_IOC_SET_BPF)") }
    }
}
