// DTraceProviders/IPProvider: DTrace's ip probes (IDs 190 +): send and receive, for every
// IPv4 and IPv6 packet a network device queues to send (raw tracepoint
// net:net_dev_queue(skb), after the IP layer built the headers) or hands the stack on
// receipt (net:netif_receive_skb(skb), the IP header at skb->data). Both tracepoints
// exist since Linux 3.x. Arguments as Oracle's DTrace for Linux defines them: args[0]
// pktinfo_t *, args[1] csinfo_t * (the sending socket; none on receipt), args[2]
// ipinfo_t *, args[3] ifinfo_t * (the device), args[4] ipv4info_t * (NULL unless IPv4),
// args[5] ipv6info_t * (NULL unless IPv6); arg0 is the struct sk_buff *.
//
// Unlike Oracle's (ip_finish_output, ip_local_deliver), packets are seen at the devices:
// a forwarded packet is received and sent, and loopback traffic both (as there).
// `Packets` is what the tcp and udp providers share with it: the two tracepoints, the
// filters on the packet's protocol and the argument expressions over the sk_buff.

import DTraceCodegen
import DTraceIR
import DTracePlatform
import DTraceSystem

/// Packets at the network devices, as the ip, tcp and udp providers see them.
enum Packets {
    enum Direction { case outbound, inbound }

    static let skb = "((struct sk_buff *)arg0)"

    static func tracepoint(_ direction: Direction) -> (group: String, event: String) {
        direction == .outbound ? ("net", "net_dev_queue") : ("net", "netif_receive_skb")
    }

    /// Where the IP header lies, for the filters.
    static func headerAddress(_ direction: Direction) -> KernelAddress {
        KernelAddress(argument: 0, structure: "sk_buff", members: direction == .outbound ? ["head", "network_header"] : ["data"])
    }

    /// The IP header, in D.
    static func header(_ direction: Direction) -> String {
        direction == .outbound ? "(\(skb)->head + \(skb)->network_header)" : "\(skb)->data"
    }

    /// The transport header, in D: set by the stack going out; after the IP header (the
    /// fixed IPv6 header) coming in.
    static func transport(_ direction: Direction) -> String {
        direction == .outbound ? "(\(skb)->head + \(skb)->transport_header)" : "\(NetworkTransport.incoming(header(direction), skb: skb))"
    }

    /// The marker struct the library's translators take for a packet going this way.
    static func marker(_ direction: Direction) -> String {
        direction == .outbound ? "struct __dtrace_skb_out *" : "struct __dtrace_skb_in *"
    }

    static let packet = ProbeArgument.translated("pktinfo_t *", from: "struct sk_buff *", argument: 0)
    static let connection = ProbeArgument("csinfo_t *", "xlate<csinfo_t *>(\(skb)->sk)")
    static func ip(_ direction: Direction) -> ProbeArgument {
        ProbeArgument("ipinfo_t *", "xlate<ipinfo_t *>((void_ip_t *)\(header(direction)))")
    }

    /// A probe for the packets going `direction` that carry `protocol` (nil: every IP packet).
    static func probe(_ direction: Direction, protocol: UInt8?, arguments: [ProbeArgument], filters: [RawTracepointFilter] = []) -> RawTracepointProbe {
        let (group, event) = tracepoint(direction)
        var all: [RawTracepointFilter] = []
        if let proto = `protocol` {
            // A received packet's transport header after extension headers is where the
            // sending stack set it: without it, the packet's arguments cannot be found.
            all.append(.ipProtocol(headerAddress(direction), protocol: proto, locatedBy: direction == .inbound ? "transport_header" : nil))
        } else {
            // ETH_P_IP and ETH_P_IPV6, in network order.
            all.append(.memberIn(0, structure: "sk_buff", member: "protocol", values: [0x0008, 0xDD86]))
        }
        return RawTracepointProbe(group: group, event: event, argumentCount: 1, arguments: arguments, filters: all + filters)
    }
}

/// The transport header after an IP header, in D.
enum NetworkTransport {
    static func after(_ header: String) -> String {
        "(\(header) + (((struct iphdr *)\(header))->version == 6 ? 40 : ((struct iphdr *)\(header))->ihl << 2))"
    }

    /// A received packet's: after the IP header, or where IPv6 extension headers follow
    /// the fixed header, where the sending stack put it (transport_header) when it is set.
    static func incoming(_ header: String, skb: String) -> String {
        let next = "((struct ipv6hdr *)\(header))->nexthdr"
        let extensions = [0, 43, 44, 51, 60].map { "\(next) == \($0)" }.joined(separator: " || ")
        return "((((struct iphdr *)\(header))->version == 6 && (\(extensions)) && \(skb)->transport_header != 0xffff) ? \(skb)->head + \(skb)->transport_header : \(after(header)))"
    }
}

public struct IPProvider: Provider {
    public init() {}
    public var name: String { "ip" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes(names: "Private", data: "Private", dependency: "Unknown") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints, .btf], how: "raw net tracepoints (net_dev_queue, netif_receive_skb)")
    }

    static func arguments(_ direction: Packets.Direction) -> [ProbeArgument] {
        let header = Packets.header(direction)
        let version = "((struct iphdr *)\(header))->version"
        return [
            Packets.packet,
            Packets.connection,
            Packets.ip(direction),
            ProbeArgument("ifinfo_t *", "xlate<ifinfo_t *>(\(Packets.skb)->dev)"),
            ProbeArgument("ipv4info_t *", "xlate<ipv4info_t *>((struct iphdr *)(\(version) == 4 ? \(header) : 0))"),
            ProbeArgument("ipv6info_t *", "xlate<ipv6info_t *>((struct ipv6hdr *)(\(version) == 6 ? \(header) : 0))"),
        ]
    }

    static let table: [(name: String, probe: RawTracepointProbe)] = [
        ("receive", Packets.probe(.inbound, protocol: nil, arguments: arguments(.inbound))),
        ("send", Packets.probe(.outbound, protocol: nil, arguments: arguments(.outbound))),
    ]

    public func probes(in environment: ProbeEnvironment) -> [Probe] { probes(from: Self.table, firstID: 190, in: environment) }
    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { rawTracepointArgumentTypes(of: probe) }
    public var translatesArguments: Bool { true }
    public func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]? { rawTracepointArgumentExpressions(of: probe) }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        try rawTracepointKernelProbe(for: probe, in: setup)
    }
}
