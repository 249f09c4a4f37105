// DTraceProviders/ProfileProvider: profile:::profile-N (every CPU) and tick-N (one CPU),
// made on demand from their names as DTrace's profile provider does (profile-97,
// tick-10ms, tick-1s...). The user engine runs tick-N as timers in dtrace; the kernel
// engine on perf cpu-clock events, with arg0 the kernel PC and arg1 the user PC.

import DTraceCodegen
import DTraceIR
import DTracePlatform
import DTraceSystem

/// A profile probe's period and whether it fires on every CPU.
public struct ProfileProbe: Sendable, Equatable {
    public var periodNanoseconds: Int64
    public var everyCPU: Bool
}

public struct ProfileProvider: Provider {
    public init() {}
    public var name: String { "profile" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Unstable", "Common") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Unstable", "Common") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .perfCPUClock], how: "perf cpu-clock",
                            userEngine: "tick-N: user engine alone; profile-N, and tick-N beside kernel probes: ")
    }
    public var enumeratesKernel: Bool { false }

    public func probes(in environment: ProbeEnvironment) -> [Probe] {
        [97, 199, 499, 997, 1999, 4001, 4999].map { makeProbe(named: "profile-\($0)")! } + [1, 10, 100, 500, 1000, 5000].map { makeProbe(named: "tick-\($0)")! }
    }

    public func probe(describedBy description: ProbeDescription) -> Probe? {
        guard description.provider == name || description.provider.isEmpty, description.module.isEmpty, description.function.isEmpty,
              !Glob.hasMeta(description.name) else { return nil }
        return makeProbe(named: description.name)
    }

    func makeProbe(named name: String) -> Probe? {
        guard let period = Self.period(name) else { return nil }
        return makeProbe(name: name, detail: ProfileProbe(periodNanoseconds: period, everyCPU: name.hasPrefix("profile-")))
    }

    public func ownsName(_ name: String) -> Bool { Self.period(name) != nil }
    public func runsInUserEngine(_ probe: Probe) -> Bool { probe.detail(as: ProfileProbe.self)?.everyCPU == false }

    /// The period of a profile probe in nanoseconds (nil for other probes).
    public static func period(of probe: Probe) -> Int64? { probe.detail(as: ProfileProbe.self)?.periodNanoseconds }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        let profile = probe.detail(as: ProfileProbe.self) ?? ProfileProbe(periodNanoseconds: 1_000_000_000, everyCPU: false)
        let onlyCPU = setup.onlyCPU
        var probe = KernelProbe(programType: .perfEvent, prologue: PerfEventPrologue()) { program, attachments in
            let cpus = profile.everyCPU ? SystemCPUs.online : [onlyCPU ?? SystemCPUs.online.first ?? 0]
            try attachments.attachCPUClock(periodNanoseconds: UInt64(max(profile.periodNanoseconds, 10_000)), cpus: cpus, program: program)
        }
        probe.chainsClauses = true   // one timer per probe, not one per clause
        return probe
    }

    /// The shortest period a tick or profile probe may have.
    public static let minimumPeriodNanoseconds: Int64 = 200_000

    /// Parses "tick-10ms", "profile-97hz", "tick-1" (hz): the period in nanoseconds.
    public static func period(_ name: String) -> Int64? {
        let prefix: String
        if name.hasPrefix("tick-") { prefix = "tick-" } else if name.hasPrefix("profile-") { prefix = "profile-" } else { return nil }
        let rest = name.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Int64(digits), value > 0 else { return nil }
        let unit = rest.dropFirst(digits.count).lowercased()
        let nanoseconds: Int64?
        func scaled(_ factor: Int64) -> Int64? { value.multipliedReportingOverflow(by: factor).overflow ? nil : value * factor }
        switch unit {
        case "", "hz": nanoseconds = 1_000_000_000 / value
        case "ns", "nsec": nanoseconds = value
        case "us", "usec": nanoseconds = scaled(1_000)
        case "ms", "msec": nanoseconds = scaled(1_000_000)
        case "s", "sec": nanoseconds = scaled(1_000_000_000)
        case "m", "min": nanoseconds = scaled(60_000_000_000)
        case "h", "hour": nanoseconds = scaled(3_600_000_000_000)
        case "d", "day": nanoseconds = scaled(86_400_000_000_000)
        default: nanoseconds = nil
        }
        // DTrace provides no probe with a period under 200 µs: such a
        // name matches nothing (D_PDESC_ZERO), as in DTrace for Linux.
        guard let nanoseconds, nanoseconds >= minimumPeriodNanoseconds else { return nil }
        return nanoseconds
    }
}

/// A perf event's context starts with the interrupted x86-64 pt_regs: arg0 is the PC
/// when the CPU was in the kernel (else 0), arg1 when it was in user code.
struct PerfEventPrologue: ProbePrologue {
    var argumentCount: Int { 2 }
    static let instructionPointer: Int16 = 128, codeSegment: Int16 = 136

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        for index in 0..<2 where demand.needsArgument(index) {
            code.asm.load(.r0, from: .r6, offset: Self.instructionPointer, size: .double)
            code.asm.load(.r1, from: .r6, offset: Self.codeSegment, size: .double)
            code.asm.alu64(.and, .r1, immediate: 3)
            if index == 0 { code.asm.skip(1, if: .jeq, .r1, immediate: 0) } else { code.asm.skip(1, if: .jne, .r1, immediate: 0) }
            code.asm.load(.r0, constant: 0)
            code.storeArgument(index, from: .r0)
        }
    }
}
