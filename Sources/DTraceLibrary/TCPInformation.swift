// DTraceLibrary/TCPInformation: tcp.d — the TCP header flags, the TCP_STATE_* values
// (Linux's own TCP state numbers, TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11),
// tcp_state_string[], tcpinfo_t (a segment's header), tcpsinfo_t (the connection) and
// tcplsinfo_t (the state left, at state-change), with their translators: from a segment's
// header, from a socket (struct tcp_sock), from a socket whose state is changing (the new
// state is the tracepoint's third argument), and from packets going out and coming in
// (the addresses and ports from their headers, the connection's numbers from the sending
// socket when it is a full TCP socket). Members follow Oracle's DTrace for Linux.

public struct TCPInformation: LibraryDeclarations {
    public init() {}

    /// tcpsinfo_t's members read from a TCP socket `T` (an expression of type struct tcp_sock *).
    static func socketMembers(_ T: String, state: String) -> String {
        let sk = "((struct sock *)\(T))->__sk_common"
        return """
        	tcps_addr = (uintptr_t)\(T);
        	tcps_local = \(sk).skc_family == AF_INET6 ?
        	    (((uint32_t *)&\(sk).skc_v6_rcv_saddr)[0] == ((uint32_t *)&\(sk).skc_v6_daddr)[0] &&
        	     ((uint32_t *)&\(sk).skc_v6_rcv_saddr)[1] == ((uint32_t *)&\(sk).skc_v6_daddr)[1] &&
        	     ((uint32_t *)&\(sk).skc_v6_rcv_saddr)[2] == ((uint32_t *)&\(sk).skc_v6_daddr)[2] &&
        	     ((uint32_t *)&\(sk).skc_v6_rcv_saddr)[3] == ((uint32_t *)&\(sk).skc_v6_daddr)[3]) :
        	    \(sk).skc_rcv_saddr == \(sk).skc_daddr;
        	tcps_lport = ((struct inet_sock *)\(T))->inet_sport != 0 ? ntohs(((struct inet_sock *)\(T))->inet_sport) : \(sk).skc_num;
        	tcps_rport = ntohs(\(sk).skc_dport);
        	tcps_laddr = \(sk).skc_family == AF_INET6 ? inet_ntoa6(&\(sk).skc_v6_rcv_saddr) : inet_ntoa(&\(sk).skc_rcv_saddr);
        	tcps_raddr = \(sk).skc_family == AF_INET6 ? inet_ntoa6(&\(sk).skc_v6_daddr) : inet_ntoa(&\(sk).skc_daddr);
        	tcps_state = \(state);
        \(sequenceMembers(T, guard: nil))
        	tcps_retransmit = 0;
        """
    }

    /// The members only a full TCP socket has; zero unless `guard` holds.
    static func sequenceMembers(_ T: String, guard condition: String?) -> String {
        func member(_ name: String, _ value: String) -> String {
            "\t\(name) = " + (condition == "0" ? "0" : condition.map { "\($0) ? \(value) : 0" } ?? value) + ";"
        }
        return [
            member("tcps_iss", "\(T)->snd_una - (uint32_t)\(T)->bytes_acked"),
            member("tcps_suna", "\(T)->snd_una"),
            member("tcps_snxt", "\(T)->snd_nxt"),
            member("tcps_rnxt", "\(T)->rcv_nxt"),
            member("tcps_swnd", "\(T)->snd_wnd"),
            member("tcps_snd_ws", "\(T)->rx_opt.snd_wscale"),
            member("tcps_rwnd", "\(T)->rcv_wnd"),
            member("tcps_rcv_ws", "\(T)->rx_opt.rcv_wscale"),
            member("tcps_cwnd", "\(T)->snd_cwnd"),
            member("tcps_cwnd_ssthresh", "\(T)->snd_ssthresh"),
            member("tcps_sack_snxt", "\(T)->sacked_out == 0 || \(T)->highest_sack == NULL ? \(T)->snd_una : ((struct tcp_skb_cb *)&\(T)->highest_sack->cb[0])->seq"),
            member("tcps_rto", "\(T)->inet_conn.icsk_rto"),
            member("tcps_mss", "\(T)->mss_cache"),
            member("tcps_rtt", "(\(T)->srtt_us >> 3) / 1000"),
            member("tcps_rtt_sd", "(\(T)->mdev_us >> 2) / 1000"),
            member("tcps_irs", "\(T)->bytes_received > 0 ? \(T)->rcv_nxt - (uint32_t)\(T)->bytes_received : 0"),
        ].joined(separator: "\n")
    }

    /// tcpsinfo_t of a packet whose IP header is `H` and TCP header `TH`: `outbound` says
    /// whether the source is the local end; `sock` is the sending socket, if any.
    static func packetMembers(header H: String, tcp TH: String, outbound: Bool, sock: String?) -> String {
        let ip4 = "((struct iphdr *)(\(H)))", ip6 = "((struct ipv6hdr *)(\(H)))"
        let (local, remote) = outbound ? ("saddr", "daddr") : ("daddr", "saddr")
        let (lport, rport) = outbound ? ("source", "dest") : ("dest", "source")
        func address(_ field: String) -> String {
            "\(ip4)->version == 4 ? inet_ntoa(&\(ip4)->\(field)) : \(ip4)->version == 6 ? inet_ntoa6(&\(ip6)->\(field)) : \"<unknown>\""
        }
        var members = """
        	tcps_local = \(ip4)->version == 4 ? \(ip4)->saddr == \(ip4)->daddr :
        	    (((uint32_t *)&\(ip6)->saddr)[0] == ((uint32_t *)&\(ip6)->daddr)[0] &&
        	     ((uint32_t *)&\(ip6)->saddr)[1] == ((uint32_t *)&\(ip6)->daddr)[1] &&
        	     ((uint32_t *)&\(ip6)->saddr)[2] == ((uint32_t *)&\(ip6)->daddr)[2] &&
        	     ((uint32_t *)&\(ip6)->saddr)[3] == ((uint32_t *)&\(ip6)->daddr)[3]);
        	tcps_lport = ntohs(\(TH)->\(lport));
        	tcps_rport = ntohs(\(TH)->\(rport));
        	tcps_laddr = \(address(local));
        	tcps_raddr = \(address(remote));
        	tcps_retransmit = 0;

        """
        if let sock {
            // A full TCP socket (not the kernel's raw control socket answering with a
            // reset, a request socket sending a SYN-ACK, or a time-wait socket).
            let sk = "\(sock)->__sk_common"
            let full = "(\(sock) != NULL && \(sock)->sk_type == 1 && \(sk).skc_state != 6 && \(sk).skc_state != 12)"
            members += """
            	tcps_addr = (uintptr_t)\(sock);
            	tcps_state = \(sock) == NULL ? TCP_STATE_CLOSED : \(sk).skc_state == 12 ? TCP_STATE_SYN_RECEIVED : \(sk).skc_state;
            \(sequenceMembers("((struct tcp_sock *)\(sock))", guard: full))
            """
        } else {
            members += """
            	tcps_addr = 0;
            	tcps_state = TCP_STATE_IDLE;
            \(sequenceMembers("((struct tcp_sock *)0)", guard: "0"))
            """
        }
        return members
    }

    /// The state inet_sock_set_state enters, TIME_WAIT for the close of a socket whose
    /// connection went on in a time-wait socket (Linux numbers: FIN_WAIT2 5, TIME_WAIT 6,
    /// CLOSE 7, CLOSING 11; a reset received sets sk_err).
    static let stateEntered = "((int)arg2 == 7 && ((int)arg1 == 5 || (int)arg1 == 11) && ((struct sock *)S)->sk_err == 0 ? 6 : (int)arg2)"

    public var source: String {
        let outSKB = "((struct sk_buff *)S)"
        let outHeader = NetworkInformation.outgoingHeader(outSKB)
        let inHeader = NetworkInformation.incomingHeader(outSKB)
        return """
        inline int TH_FIN = 0x01;
        inline int TH_SYN = 0x02;
        inline int TH_RST = 0x04;
        inline int TH_PSH = 0x08;
        inline int TH_ACK = 0x10;
        inline int TH_URG = 0x20;
        inline int TH_ECE = 0x40;
        inline int TH_CWR = 0x80;

        inline int TCP_STATE_IDLE = 0x00;
        inline int TCP_STATE_ESTABLISHED = 0x01;
        inline int TCP_STATE_SYN_SENT = 0x02;
        inline int TCP_STATE_SYN_RECEIVED = 0x03;
        inline int TCP_STATE_FIN_WAIT_1 = 0x04;
        inline int TCP_STATE_FIN_WAIT_2 = 0x05;
        inline int TCP_STATE_TIME_WAIT = 0x06;
        inline int TCP_STATE_CLOSED = 0x07;
        inline int TCP_STATE_CLOSE_WAIT = 0x08;
        inline int TCP_STATE_LAST_ACK = 0x09;
        inline int TCP_STATE_LISTEN = 0x0a;
        inline int TCP_STATE_CLOSING = 0x0b;

        typedef struct tcpinfo {
        	uint16_t tcp_sport;
        	uint16_t tcp_dport;
        	uint32_t tcp_seq;
        	uint32_t tcp_ack;
        	uint8_t tcp_offset;
        	uint8_t tcp_flags;
        	uint16_t tcp_window;
        	uint16_t tcp_checksum;
        	uint16_t tcp_urgent;
        	uintptr_t tcp_hdr;
        } tcpinfo_t;

        typedef struct tcpsinfo {
        	uintptr_t tcps_addr;
        	int tcps_local;
        	uint16_t tcps_lport;
        	uint16_t tcps_rport;
        	string tcps_laddr;
        	string tcps_raddr;
        	int tcps_state;
        	uint32_t tcps_iss;
        	uint32_t tcps_suna;
        	uint32_t tcps_snxt;
        	uint32_t tcps_rnxt;
        	uint32_t tcps_swnd;
        	int32_t tcps_snd_ws;
        	uint32_t tcps_rwnd;
        	int32_t tcps_rcv_ws;
        	uint32_t tcps_cwnd;
        	uint32_t tcps_cwnd_ssthresh;
        	uint32_t tcps_sack_snxt;
        	uint32_t tcps_rto;
        	uint32_t tcps_mss;
        	int tcps_retransmit;
        	uint32_t tcps_rtt;
        	uint32_t tcps_rtt_sd;
        	uint32_t tcps_irs;
        } tcpsinfo_t;

        typedef struct tcplsinfo {
        	int tcps_state;
        } tcplsinfo_t;

        translator tcpinfo_t < struct tcphdr *T > {
        	tcp_sport = T != NULL ? ntohs(T->source) : 0;
        	tcp_dport = T != NULL ? ntohs(T->dest) : 0;
        	tcp_seq = T != NULL ? ntohl(T->seq) : 0;
        	tcp_ack = T != NULL ? ntohl(T->ack_seq) : 0;
        	tcp_offset = T != NULL ? T->doff << 2 : 0;
        	tcp_flags = T != NULL ? *((uint8_t *)T + 13) : 0;
        	tcp_window = T != NULL ? ntohs(T->window) : 0;
        	tcp_checksum = T != NULL ? ntohs(T->check) : 0;
        	tcp_urgent = T != NULL ? ntohs(T->urg_ptr) : 0;
        	tcp_hdr = (uintptr_t)T;
        };

        /* The segment a socket received (SYN-ACK, ACK, RST): its ports, from the socket. */
        translator tcpinfo_t < struct __dtrace_sock_in *S > {
        	tcp_sport = ntohs(((struct sock *)S)->__sk_common.skc_dport);
        	tcp_dport = ((struct sock *)S)->__sk_common.skc_num;
        	tcp_seq = 0;
        	tcp_ack = 0;
        	tcp_offset = 0;
        	tcp_flags = 0;
        	tcp_window = 0;
        	tcp_checksum = 0;
        	tcp_urgent = 0;
        	tcp_hdr = 0;
        };

        translator tcpsinfo_t < struct tcp_sock *T > {
        \(Self.socketMembers("T", state: "((struct sock *)T)->__sk_common.skc_state"))
        };

        /*
         * At sock:inet_sock_set_state(sk, oldstate, newstate): the state entered. Linux
         * hands a connection entering TIME_WAIT to a time-wait socket and closes the
         * socket itself (FIN_WAIT_2 or CLOSING -> CLOSE with no error): that change is the
         * one into TIME_WAIT, as DTrace reports it. A closed (orphaned) socket is handed
         * over as soon as its FIN is acknowledged, the time-wait socket waiting in
         * FIN_WAIT_2 for the peer's FIN unseen: that too is reported as TIME_WAIT. (Rare
         * closes from FIN_WAIT_2 with no error and no time-wait socket are as well: a
         * close() with unread data or SO_LINGER 0 after shutdown(), its timer running out
         * when tcp_fin_timeout is under 60 s, TCP_LINGER2 negative.)
         */
        translator tcpsinfo_t < struct __dtrace_sock_changing *S > {
        \(Self.socketMembers("((struct tcp_sock *)S)", state: Self.stateEntered))
        };

        translator tcpsinfo_t < struct __dtrace_sock_in *S > {
        \(Self.socketMembers("((struct tcp_sock *)S)", state: "((struct sock *)S)->__sk_common.skc_state"))
        };

        translator tcpsinfo_t < struct __dtrace_skb_out *S > {
        \(Self.packetMembers(header: outHeader, tcp: "((struct tcphdr *)(\(outSKB)->head + \(outSKB)->transport_header))", outbound: true, sock: "\(outSKB)->sk"))
        };

        translator tcpsinfo_t < struct __dtrace_skb_in *S > {
        \(Self.packetMembers(header: inHeader, tcp: "((struct tcphdr *)\(NetworkInformation.incomingTransport(inHeader, skb: outSKB)))", outbound: false, sock: nil))
        };

        translator tcplsinfo_t < int I > {
        	tcps_state = I;
        };
        """
    }
}
