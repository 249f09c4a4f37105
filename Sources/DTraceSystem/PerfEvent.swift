// DTraceSystem/PerfEvent: perf_event_open(2) events a BPF program attaches to —
// tracepoints (by tracefs id), the software cpu-clock (profile probes; it needs no
// hardware PMU, so it works in Xen guests), and uprobes and kprobes of the dynamic PMUs
// (one event per probe, where uprobe_multi links are missing). Closing the event
// detaches the program.

import CLinux
import Glibc

public final class PerfEvent {
    public private(set) var descriptor: Int32
    /// The event's own record ring, when mapped (watchThrottling): its metadata page and
    /// one data page.
    private var ring: UnsafeMutableRawPointer?
    private static let ringPages = 2
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit {
        unmapRing()
        if descriptor >= 0 { close(descriptor) }
    }

    private func unmapRing() {
        guard let ring else { return }
        munmap(ring, Self.ringPages * Self.pageSize)
        self.ring = nil
    }

    /// Maps the event's record ring so that the kernel's throttle records can be seen:
    /// a sampling event that fires max_samples_per_tick times (perf_event_max_sample_rate
    /// over HZ) with no scheduler tick between is stopped until that CPU's next tick — on
    /// a CPU idle without ticks (NOHZ), for up to seconds. False when it cannot be mapped.
    public func watchThrottling() -> Bool {
        guard ring == nil, descriptor >= 0 else { return ring != nil }
        let size = Self.ringPages * Self.pageSize
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else { return false }
        ring = mapped
        return true
    }

    /// Whether the kernel throttled the event since the last look (its records are
    /// released); false when its ring is not mapped.
    public func takeThrottled() -> Bool {
        guard let ring else { return false }
        return clinux_perf_take_throttles(ring, UInt64((Self.ringPages - 1) * Self.pageSize)) > 0
    }

    /// Sets the sampling period again, which restarts a throttled event at once.
    public func restart(periodNanoseconds: UInt64) {
        guard descriptor >= 0 else { return }
        _ = clinux_perf_set_period(descriptor, periodNanoseconds)
    }

    /// Closes many events (and links: uprobe_multi, perf-event links) without waiting for
    /// the kernel to detach each (a background child holds the last references; see
    /// ConcurrentClose).
    public static func closeAll(_ events: [PerfEvent], with links: [BPFLink] = []) {
        let descriptors = links.map { $0.relinquishDescriptor() }.filter { $0 >= 0 } + events.compactMap { event -> Int32? in
            // Unmapped first: the descriptor's reference must be the last one, dropped in the background.
            event.unmapRing()
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

    /// The perf event type of a dynamic PMU ("uprobe", "kprobe"), from sysfs.
    public static func dynamicPMUType(_ name: String) -> UInt32? {
        SystemFiles.readSmallTextFile("/sys/bus/event_source/devices/\(name)/type", limit: 64).flatMap { UInt32($0.filter(\.isNumber)) }
    }

    /// A uprobe on the file at `path`, at file offset `offset` (a return probe when
    /// `returns`), raising the counter at `referenceCounterOffset` (0: none) while enabled,
    /// in process `processID` (-1: every process, on `cpu` only).
    public static func uprobe(path: String, offset: UInt64, returns: Bool, referenceCounterOffset: UInt64 = 0,
                              processID: Int32, cpu: Int32 = -1) throws(SystemError) -> PerfEvent {
        guard let type = dynamicPMUType("uprobe") else { throw SystemError("perf_event_open(uprobe): no uprobe PMU", code: ENOENT) }
        let fd = clinux_perf_open_dynamic_probe(type, returns ? 1 : 0, path, offset, referenceCounterOffset, processID, cpu)
        guard fd >= 0 else { throw SystemError("perf_event_open(uprobe \(path):0x\(String(offset, radix: 16)))") }
        return PerfEvent(descriptor: fd)
    }

    /// A kprobe on kernel function `function` (+`offset`), or a return probe, on `cpu`.
    public static func kprobe(function: String, offset: UInt64 = 0, returns: Bool, cpu: Int32) throws(SystemError) -> PerfEvent {
        guard let type = dynamicPMUType("kprobe") else { throw SystemError("perf_event_open(kprobe): no kprobe PMU", code: ENOENT) }
        let fd = clinux_perf_open_dynamic_probe(type, returns ? 1 : 0, function, offset, 0, -1, cpu)
        guard fd >= 0 else { throw SystemError("perf_event_open(kprobe \(function))") }
        return PerfEvent(descriptor: fd)
    }

    /// Attaches a loaded program through a BPF link that carries `cookie`
    /// (bpf_get_attach_cookie), and enables the event.
    public func attach(_ program: BPFProgram, cookie: UInt64) throws(SystemError) -> BPFLink {
        let fd = clinux_bpf_link_create_perf_event(program.descriptor, descriptor, cookie)
        guard fd >= 0 else { throw SystemError("bpf(BPF_LINK_CREATE, perf event)") }
        return BPFLink(adopting: fd)
    }

    /// Attaches a loaded program and enables the event.
    public func attach(_ program: BPFProgram) throws(SystemError) {
        if clinux_perf_attach_bpf(descriptor, program.descriptor) != 0 { throw SystemError("ioctl(PERF_EVENT_IOC_SET_BPF)") }
    }
}
