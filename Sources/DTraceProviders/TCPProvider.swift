// DTraceProviders/TCPProvider: DTrace's tcp probes (IDs 160 +), with Oracle's DTrace for
// Linux's arguments: args[0] pktinfo_t *, args[1] csinfo_t *, args[2] ipinfo_t *, args[3]
// tcpsinfo_t *, args[4] tcpinfo_t *, and for state-change args[5] tcplsinfo_t * (the
// state left). What each stands on:
// - send, receive: every TCP segment a network device queues to send (raw tracepoint
//   net:net_dev_queue(skb)) or hands the stack on receipt (net:netif_receive_skb(skb)),
//   told apart by the IP header's protocol; addresses and ports from the headers. Going
//   out, the connection's numbers (state, sequence numbers, windows) come from the
//   sending socket; coming in the socket is not known yet: tcps_state is IDLE and those
//   numbers 0.
// - connect-request: a SYN going out (net_dev_queue; SYN set, ACK clear).
// - accept-refused: the reset answering a SYN no socket takes (net_dev_queue; RST and
//   ACK set, sequence number 0, as Linux answers a SYN).
// - state-change, connect-established (SYN_SENT -> ESTABLISHED), accept-established
//   (SYN_RECEIVED -> ESTABLISHED): sock:inet_sock_set_state(sk, oldstate, newstate) for
//   TCP sockets; tcpsinfo_t's state is the new one, the segment's ports are the socket's.
// - connect-refused: a reset received in SYN_SENT (tcp:tcp_receive_reset(sk)).
// All these tracepoints exist since Linux 4.16. Linux hands a closing connection to a
// time-wait socket and closes the socket (FIN_WAIT_2 or CLOSING -> CLOSE): once the
// peer's FIN has come, with no error, that change is reported as the one into TIME_WAIT
// (tcpsinfo_t's translator); the time-wait socket's end is not seen.

import DTraceCodegen
import DTraceIR
import DTracePlatform
import DTraceSystem

public struct TCPProvider: Provider {
    public init() {}
    public var name: String { "tcp" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes(names: "Private", data: "Private", dependency: "Unknown") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Evolving", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints, .btf], how: "raw net, sock and tcp tracepoints")
    }

    static let noPacket = ProbeArgument("pktinfo_t *", "xlate<pktinfo_t *>((struct sk_buff *)0)")
    static let socket = ProbeArgument.translated("csinfo_t *", from: "struct sock *", argument: 0)

    static func packetArguments(_ direction: Packets.Direction) -> [ProbeArgument] {
        [
            Packets.packet,
            Packets.connection,
            Packets.ip(direction),
            ProbeArgument("tcpsinfo_t *", "xlate<tcpsinfo_t *>((\(Packets.marker(direction)))arg0)"),
            ProbeArgument("tcpinfo_t *", "xlate<tcpinfo_t *>((struct tcphdr *)\(Packets.transport(direction)))"),
        ]
    }

    /// The probes at a state change see the connection from the segment received.
    static let establishedArguments: [ProbeArgument] = [
        noPacket,
        socket,
        .translated("ipinfo_t *", from: "struct __dtrace_sock_in *", argument: 0),
        .translated("tcpsinfo_t *", from: "struct __dtrace_sock_changing *", argument: 0),
        .translated("tcpinfo_t *", from: "struct __dtrace_sock_in *", argument: 0),
    ]

    /// The flags byte and the sequence number of an outgoing segment's header.
    static let outgoingTCP = KernelAddress(argument: 0, structure: "sk_buff", members: ["head", "transport_header"])
    static let tcpProtocol: [RawTracepointFilter] = [.memberIn(0, structure: "sock", member: "sk_protocol", values: [6])]

    static func stateChange(from old: Int64, to new: Int64) -> [RawTracepointFilter] {
        tcpProtocol + [.argumentEquals(1, value: old, equal: true), .argumentEquals(2, value: new, equal: true)]
    }

    static let table: [(name: String, probe: RawTracepointProbe)] = [
        ("accept-established", RawTracepointProbe(group: "sock", event: "inet_sock_set_state", argumentCount: 3,
                                                  arguments: establishedArguments, filters: stateChange(from: 3, to: 1))),
        ("accept-refused", Packets.probe(.outbound, protocol: 6, arguments: packetArguments(.outbound), filters: [
            .bytesIn(outgoingTCP.advanced(by: 13), size: 1, mask: 0x16, values: [0x14]),
            .bytesIn(outgoingTCP.advanced(by: 4), size: 4, mask: 0xffff_ffff, values: [0]),
        ])),
        ("connect-established", RawTracepointProbe(group: "sock", event: "inet_sock_set_state", argumentCount: 3,
                                                   arguments: establishedArguments, filters: stateChange(from: 2, to: 1))),
        ("connect-refused", RawTracepointProbe(group: "tcp", event: "tcp_receive_reset", argumentCount: 1, arguments: [
            noPacket,
            socket,
            .translated("ipinfo_t *", from: "struct __dtrace_sock_in *", argument: 0),
            .translated("tcpsinfo_t *", from: "struct __dtrace_sock_in *", argument: 0),
            .translated("tcpinfo_t *", from: "struct __dtrace_sock_in *", argument: 0),
        ], filters: [.memberIn(0, structure: "sock", member: "__sk_common.skc_state", values: [2])])),
        ("connect-request", Packets.probe(.outbound, protocol: 6, arguments: packetArguments(.outbound), filters: [
            .bytesIn(outgoingTCP.advanced(by: 13), size: 1, mask: 0x12, values: [0x02]),
        ])),
        ("receive", Packets.probe(.inbound, protocol: 6, arguments: packetArguments(.inbound))),
        ("send", Packets.probe(.outbound, protocol: 6, arguments: packetArguments(.outbound))),
        ("state-change", RawTracepointProbe(group: "sock", event: "inet_sock_set_state", argumentCount: 3, arguments: [
            noPacket,
            socket,
            .translated("ipinfo_t *", from: "struct sock *", argument: 0),
            .translated("tcpsinfo_t *", from: "struct __dtrace_sock_changing *", argument: 0),
            ProbeArgument("tcpinfo_t *", "xlate<tcpinfo_t *>((struct tcphdr *)0)"),
            ProbeArgument("tcplsinfo_t *", "xlate<tcplsinfo_t *>((int)arg1)"),
        ], filters: tcpProtocol)),
    ]

    public func probes(in environment: ProbeEnvironment) -> [Probe] { probes(from: Self.table, firstID: 160, in: environment) }
    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] { rawTracepointArgumentTypes(of: probe) }
    public var translatesArguments: Bool { true }
    public func argumentExpressions(of probe: Probe, in environment: ProbeEnvironment) -> [String]? { rawTracepointArgumentExpressions(of: probe) }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        try rawTracepointKernelProbe(for: probe, in: setup)
    }
}
