// DTraceLibrary/UDPInformation: udp.d — udpinfo_t (a datagram's header) and udpsinfo_t
// (the socket's ends), with their translators: from the UDP header, and from datagrams
// going out and coming in (ends from their headers, the local one the source going out
// and the destination coming in). Members follow Oracle's DTrace for Linux.

public struct UDPInformation: LibraryDeclarations {
    public init() {}

    static func members(header H: String, udp UH: String, outbound: Bool, sock: String) -> String {
        let ip4 = "((struct iphdr *)(\(H)))", ip6 = "((struct ipv6hdr *)(\(H)))"
        let (local, remote) = outbound ? ("saddr", "daddr") : ("daddr", "saddr")
        let (lport, rport) = outbound ? ("source", "dest") : ("dest", "source")
        func address(_ field: String) -> String {
            "\(ip4)->version == 4 ? inet_ntoa(&\(ip4)->\(field)) : \(ip4)->version == 6 ? inet_ntoa6(&\(ip6)->\(field)) : \"<unknown>\""
        }
        return """
        	udps_addr = (uintptr_t)\(sock);
        	udps_lport = ntohs(\(UH)->\(lport));
        	udps_rport = ntohs(\(UH)->\(rport));
        	udps_laddr = \(address(local));
        	udps_raddr = \(address(remote));
        """
    }

    public var source: String {
        let skb = "((struct sk_buff *)S)"
        let outHeader = NetworkInformation.outgoingHeader(skb)
        let inHeader = NetworkInformation.incomingHeader(skb)
        return """
        typedef struct udpinfo {
        	uint16_t udp_sport;
        	uint16_t udp_dport;
        	uint16_t udp_length;
        	uint16_t udp_checksum;
        	struct udphdr *udp_hdr;
        } udpinfo_t;

        typedef struct udpsinfo {
        	uintptr_t udps_addr;
        	uint16_t udps_lport;
        	uint16_t udps_rport;
        	string udps_laddr;
        	string udps_raddr;
        } udpsinfo_t;

        translator udpinfo_t < struct udphdr *U > {
        	udp_sport = U != NULL ? ntohs(U->source) : 0;
        	udp_dport = U != NULL ? ntohs(U->dest) : 0;
        	udp_length = U != NULL ? ntohs(U->len) : 0;
        	udp_checksum = U != NULL ? ntohs(U->check) : 0;
        	udp_hdr = U;
        };

        translator udpsinfo_t < struct __dtrace_skb_out *S > {
        \(Self.members(header: outHeader, udp: "((struct udphdr *)(\(skb)->head + \(skb)->transport_header))", outbound: true, sock: "\(skb)->sk"))
        };

        translator udpsinfo_t < struct __dtrace_skb_in *S > {
        \(Self.members(header: inHeader, udp: "((struct udphdr *)\(NetworkInformation.incomingTransport(inHeader, skb: skb)))", outbound: false, sock: "\(skb)->sk"))
        };
        """
    }
}
