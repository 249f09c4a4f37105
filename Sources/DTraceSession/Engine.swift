// DTraceSession/Engine: what a tracing session asks of an engine, whichever runs the
// clauses — the user engine (the interpreter in dtrace: BEGIN, END, ERROR, tick-N) or
// the kernel engine (BPF). go() runs BEGIN and lets the probes' clauses run; work()
// does what is due (records, timers, drop reports), waiting until something happens;
// stop() stops the probes and runs END; close() lets go of everything.

import DTraceConsumer
import DTraceProviders
import DTraceSystem

public protocol Engine: AnyObject {
    /// exit() was called.
    var exitRequested: Bool { get }
    func go()
    /// Processes what is due, waiting at most until the next thing due; a readable
    /// `descriptor` (the target's pidfd, or -1) wakes it at once.
    func work(wakingOn descriptor: Int32)
    func stop()
    func close()
    /// Handles what the probes have already produced (the target has ended: its last
    /// records come before dtrace says so).
    func catchUp()
}

extension Engine {
    public func catchUp() {}
}

/// How often the kernel engine's consumer drains and reports (switchrate, statusrate,
/// aggrate as periods).
public struct ConsumerRates {
    public var switchPeriod: Int64, statusPeriod: Int64, aggregationPeriod: Int64
    public init(switchPeriod: Int64, statusPeriod: Int64, aggregationPeriod: Int64) {
        self.switchPeriod = switchPeriod; self.statusPeriod = statusPeriod; self.aggregationPeriod = aggregationPeriod
    }
}

/// The kernel engine under the session: the consumer drains the ring whenever the kernel
/// signals records and at least switchrate times a second; drops are read at statusrate,
/// aggregation drops at aggrate.
final class KernelEngineRun: Engine {
    let engine: KernelEngine
    let rates: ConsumerRates
    var nextSwitch: Int64 = 0, nextStatus: Int64 = 0, nextAggregation: Int64 = 0

    init(_ engine: KernelEngine, rates: ConsumerRates) { self.engine = engine; self.rates = rates }

    var exitRequested: Bool { engine.exitRequested }

    func go() {
        engine.begin()
        let start = SystemClock.monotonicNanoseconds()
        nextSwitch = start + rates.switchPeriod
        nextStatus = start + rates.statusPeriod
        nextAggregation = start + rates.aggregationPeriod
    }

    func work(wakingOn descriptor: Int32) {
        let wait = max(0, min(nextSwitch, nextStatus, nextAggregation) - SystemClock.monotonicNanoseconds())
        engine.wait(milliseconds: Int32(clamping: (wait + 999_999) / 1_000_000), alsoWakingOn: descriptor)
        engine.drain()
        engine.consumer.snapshotAggregationsWhenDue()
        let now = SystemClock.monotonicNanoseconds()
        if now >= nextSwitch { nextSwitch = now + rates.switchPeriod }
        let status = now >= nextStatus, aggregation = now >= nextAggregation
        if status || aggregation { engine.reportDrops(records: status, aggregations: aggregation) }
        if status { nextStatus = now + rates.statusPeriod }
        if aggregation { nextAggregation = now + rates.aggregationPeriod }
    }

    func catchUp() { engine.drain() }

    func stop() {
        engine.stopProbes()
        engine.drain()
        engine.end()
        engine.reportDrops()
    }

    func close() { engine.detach() }
}

/// The tick-N probes' timers, fired in dtrace.
struct ProbeTimers {
    var timers: [(probe: Probe, period: Int64, next: Int64)] = []

    init(enablings: [Enabling], start: Int64) {
        var seen = Set<Int>()
        for enabling in enablings where seen.insert(enabling.probe.identity.id).inserted {
            guard let period = ProfileProvider.period(of: enabling.probe) else { continue }
            timers.append((enabling.probe, period, start + period))
        }
    }

    /// When the soonest timer is due (nil: no timers).
    var nextDue: Int64? { timers.map(\.next).min() }

    /// The probe of a timer due at `now`, its next firing scheduled; nil when none is due.
    mutating func takeDue(now: Int64) -> Probe? {
        guard let soonest = timers.indices.min(by: { timers[$0].next < timers[$1].next }), timers[soonest].next <= now else { return nil }
        let period = timers[soonest].period
        timers[soonest].next = max(timers[soonest].next + period, now - period)
        return timers[soonest].probe
    }
}

/// The user engine under the session: profile timers (tick-N) fire in dtrace until
/// exit() or a signal.
final class UserEngineRun: Engine {
    let engine: UserEngine
    let errors: OutputSink
    var timers = ProbeTimers(enablings: [], start: 0)

    init(_ engine: UserEngine, errors: OutputSink) { self.engine = engine; self.errors = errors }

    var exitRequested: Bool { engine.exitRequested }

    func go() {
        engine.fireDTraceProbe("BEGIN")
        timers = ProbeTimers(enablings: engine.enablings, start: SystemClock.monotonicNanoseconds())
    }

    func work(wakingOn descriptor: Int32) {
        let now = SystemClock.monotonicNanoseconds()
        if let probe = timers.takeDue(now: now) {
            engine.fire(probe)
            return
        }
        SystemClock.sleep(nanoseconds: min((timers.nextDue ?? .max) - now, 50_000_000))
    }

    func stop() {
        engine.fireDTraceProbe("END")
        engine.reportDrops()
    }

    func close() {}
}
