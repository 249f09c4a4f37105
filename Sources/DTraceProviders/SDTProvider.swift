// DTraceProviders/SDTProvider: sdt:GROUP::EVENT for every kernel tracepoint tracefs lists
// (IDs 10000 + index: stable for a given kernel). The arguments are the record's fields
// in order (common_* left out): args[N] reads its field as `args->field` does, from the
// record itself, typed from the tracepoint's format (an array or a __data_loc string
// reads as its characters).

import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem

public struct SDTProvider: Provider {
    public init() {}
    public var name: String { "sdt" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Private", "Unknown") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Private", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints], how: "kernel tracepoints")
    }

    public func probes(in environment: ProbeEnvironment) -> [Probe] {
        guard let root = environment.tracefsRoot else { return [] }
        return Tracefs.events(root: root).enumerated().map { index, event in
            makeProbe(id: 10000 + index, module: event.group, name: event.event, detail: TracepointProbe(group: event.group, event: event.event))
        }
    }

    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { tracepointArgumentTypes(of: probe, in: environment) }

    public var providesArgumentRecords: Bool { true }

    public var translatesArguments: Bool { true }
    public func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]? {
        probe.detail(as: TracepointProbe.self)?.argumentExpressions(in: environment)
    }

    /// The tracepoint's fields, common_* left out, at the kernel's offsets.
    public func argumentRecord(of probe: Probe, in environment: ProbeEnvironment) -> ArgumentRecord? {
        guard let tracepoint = probe.detail(as: TracepointProbe.self), let root = environment.tracefsRoot,
              let fields = Tracefs.format(root: root, group: tracepoint.group, event: tracepoint.event) else { return nil }
        return ArgumentRecord(name: "\(tracepoint.group)_\(tracepoint.event)_args", fields: fields.filter { !$0.isCommon }.map(ArgumentRecord.Field.init))
    }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        try tracepointKernelProbe(for: probe, in: setup)
    }
}
