// DTraceProviders/UDPProvider: DTrace's udp probes (IDs 180 +): send and receive, for
// every UDP datagram (over IPv4 or IPv6) a network device queues to send (raw tracepoint
// net:net_dev_queue(skb)) or hands the stack on receipt (net:netif_receive_skb(skb)),
// told apart from other packets by the IP header's protocol. Arguments as Oracle's DTrace
// for Linux: args[0] pktinfo_t *, args[1] csinfo_t * (the sending socket; none on
// receipt), args[2] ipinfo_t *, args[3] udpsinfo_t * (the local end is the source going
// out, the destination coming in), args[4] udpinfo_t *; arg0 is the struct sk_buff *.

import DTraceCodegen
import DTraceIR
import DTracePlatform
import DTraceSystem

public struct UDPProvider: Provider {
    public init() {}
    public var name: String { "udp" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes(names: "Private", data: "Private", dependency: "Unknown") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints, .btf], how: "raw net tracepoints (net_dev_queue, netif_receive_skb)")
    }

    static func arguments(_ direction: Packets.Direction) -> [ProbeArgument] {
        [
            Packets.packet,
            Packets.connection,
            Packets.ip(direction),
            ProbeArgument("udpsinfo_t *", "xlate<udpsinfo_t *>((\(Packets.marker(direction)))arg0)"),
            ProbeArgument("udpinfo_t *", "xlate<udpinfo_t *>((struct udphdr *)\(Packets.transport(direction)))"),
        ]
    }

    static let table: [(name: String, probe: RawTracepointProbe)] = [
        ("receive", Packets.probe(.inbound, protocol: 17, arguments: arguments(.inbound))),
        ("send", Packets.probe(.outbound, protocol: 17, arguments: arguments(.outbound))),
    ]

    public func probes(in environment: ProbeEnvironment) -> [Probe] { probes(from: Self.table, firstID: 180, in: environment) }
    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { rawTracepointArgumentTypes(of: probe) }
    public var translatesArguments: Bool { true }
    public func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]? { rawTracepointArgumentExpressions(of: probe) }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        try rawTracepointKernelProbe(for: probe, in: setup)
    }
}
