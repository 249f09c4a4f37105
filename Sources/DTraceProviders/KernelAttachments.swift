// DTraceProviders/KernelAttachments: what holds the kernel engine's probes in place —
// perf events (tracepoints, cpu-clock, kprobes, uprobes) and BPF links (raw tracepoints,
// uprobe_multi, perf-event links carrying cookies) —
// with the attach steps providers use, and the one detach that closes them all.

import DTraceSystem

public final class KernelAttachments {
    let tracefsRoot: String
    var events: [PerfEvent] = []
    var links: [BPFLink] = []
    /// Links closed in the background with the perf events (uprobes: their programs may
    /// run on for a moment after dtrace has gone, returning at once on the exit flag).
    var backgroundLinks: [BPFLink] = []
    /// The cpu-clock events (profile probes) whose throttling is watched: each with its
    /// period, when dtrace last restarted it and whether a throttle waits for a restart.
    var clocks: [(event: PerfEvent, period: UInt64, restarted: Int64, throttled: Bool)] = []
    /// At most one restart of an event this often: where the kernel throttles a busy CPU's
    /// event every tick (perf_event_max_sample_rate lowered below the probe's rate), its
    /// own tick restarts it and dtrace's restarts stay few. A probe fires at most every
    /// 200 µs, so an idle CPU's event is throttled at most every 80 ms (400 samples).
    static let restartInterval: Int64 = 50_000_000

    public init(tracefsRoot: String) { self.tracefsRoot = tracefsRoot }

    /// One perf event on a tracepoint (opened on the first online CPU, it fires on all).
    public func attachTracepoint(group: String, event: String, program: BPFProgram) throws {
        guard let id = Tracefs.eventID(root: tracefsRoot, group: group, event: event) else {
            throw KernelSetupError("tracepoint \(group):\(event) is not available (\(tracefsRoot)/events/\(group)/\(event)/id)")
        }
        let perf = try PerfEvent.tracepoint(id: id, cpu: Int32(SystemCPUs.online.first ?? 0))
        try perf.attach(program)
        events.append(perf)
    }

    /// A BPF link on a raw tracepoint.
    public func attachRawTracepoint(_ name: String, program: BPFProgram) throws(SystemError) {
        links.append(try BPFLink.rawTracepoint(name, program: program))
    }

    /// A typed program (tp_btf) on the raw tracepoint it was loaded for.
    public func attachTypedRawTracepoint(_ name: String, program: BPFProgram) throws(SystemError) {
        links.append(try BPFLink.typedRawTracepoint(name, program: program))
    }

    /// Uprobes on one file, through one uprobe_multi link (see BPFLink.uprobes).
    public func attachUprobes(path: String, offsets: [UInt64], cookies: [UInt64], referenceCounterOffsets: [UInt64]? = nil,
                              processID: Int32, returns: Bool, program: BPFProgram) throws(SystemError) {
        backgroundLinks.append(try BPFLink.uprobes(path: path, offsets: offsets, cookies: cookies, referenceCounterOffsets: referenceCounterOffsets,
                                                   processID: processID, returns: returns, program: program))
    }

    /// Uprobes as one perf event each (kernels before uprobe_multi links, Linux 6.6),
    /// each linked to the program with its cookie.
    public func attachPerfUprobes(path: String, offsets: [UInt64], cookies: [UInt64], referenceCounterOffsets: [UInt64]? = nil,
                                  processID: Int32, returns: Bool, program: BPFProgram) throws(SystemError) {
        for (index, offset) in offsets.enumerated() {
            // A probe of every process needs a CPU to open on; its program runs on every
            // hit, whatever the CPU (as with tracepoints), so one event is enough.
            for cpu in processID > 0 ? [Int32(-1)] : [Int32(SystemCPUs.online.first ?? 0)] {
                let event = try PerfEvent.uprobe(path: path, offset: offset, returns: returns, referenceCounterOffset: referenceCounterOffsets?[index] ?? 0,
                                                 processID: processID > 0 ? processID : -1, cpu: cpu)
                events.append(event)
                backgroundLinks.append(try event.attach(program, cookie: cookies[index]))
            }
        }
    }

    /// Kprobes on kernel functions (kretprobes when `returns`), one perf event each,
    /// each linked to the program with its cookie. An event is opened on one CPU, yet
    /// its program runs wherever the function is called: as with a tracepoint, the
    /// kernel runs a kprobe event's BPF programs before it looks at which CPUs' perf
    /// events are listening.
    public func attachKprobes(functions: [String], cookies: [UInt64], returns: Bool, program: BPFProgram) throws(SystemError) {
        let cpu = Int32(SystemCPUs.online.first ?? 0)
        for (function, cookie) in zip(functions, cookies) {
            let event = try PerfEvent.kprobe(function: function, returns: returns, cpu: cpu)
            events.append(event)
            backgroundLinks.append(try event.attach(program, cookie: cookie))
        }
    }

    /// A cpu-clock perf event on each of `cpus`, every `periodNanoseconds`, its throttling
    /// watched (restartThrottledClocks).
    public func attachCPUClock(periodNanoseconds: UInt64, cpus: [Int], program: BPFProgram) throws(SystemError) {
        for cpu in cpus {
            let event = try PerfEvent.cpuClock(periodNanoseconds: periodNanoseconds, cpu: Int32(cpu))
            try event.attach(program)
            events.append(event)
            if event.watchThrottling() { clocks.append((event, periodNanoseconds, 0, false)) }
        }
    }

    /// The cpu-clock events' descriptors: each is readable when the kernel has throttled it.
    public var clockDescriptors: [Int32] { clocks.map(\.event.descriptor) }

    /// Restarts every cpu-clock event the kernel throttled. The kernel stops an event that
    /// fired perf_event_max_sample_rate / HZ times (400 here) with no scheduler tick
    /// between, until that CPU's next tick; a CPU idle without ticks (NOHZ) may have none
    /// for seconds, and its profile probes would miss that long (DTrace samples idle CPUs).
    public func restartThrottledClocks(now: Int64) {
        for index in clocks.indices {
            if clocks[index].event.takeThrottled() { clocks[index].throttled = true }
            guard clocks[index].throttled, now - clocks[index].restarted >= Self.restartInterval else { continue }
            clocks[index].event.restart(periodNanoseconds: clocks[index].period)
            clocks[index].restarted = now
            clocks[index].throttled = false
        }
    }

    /// When the next restart of a throttled clock is due (nil: none waits).
    public var nextClockRestart: Int64? {
        clocks.filter(\.throttled).map { $0.restarted + Self.restartInterval }.min()
    }

    /// Detaches everything: links first (waiting until no program runs from them),
    /// then the perf events, closed concurrently so their grace periods overlap.
    public func detachAll() {
        if !links.isEmpty {
            links.removeAll()
            BPFLink.waitForDetachment()
        }
        PerfEvent.closeAll(events, with: backgroundLinks)
        events.removeAll()
        clocks.removeAll()
        backgroundLinks.removeAll()
    }
}
