// DTraceLibrary/NetworkInformation: what DTrace's network providers share (net.d and
// ip.d): address families, IP protocol numbers, pktinfo_t, csinfo_t, ipinfo_t, ifinfo_t,
// ipv4info_t and ipv6info_t, and their translators from the kernel's structures (struct
// sk_buff, struct sock, the IP headers, struct net_device) read through its BTF. Members
// follow Oracle's DTrace for Linux: addresses as strings, lengths in host order.
//
// The providers pass packets as kernel pointers; which translator applies says where the
// headers lie and which way the packet goes (an sk_buff on its way out has them at
// head + network_header and head + transport_header; one just received has its IP
// header at data; a socket seen from a segment it received has its remote end as the
// source): the marker structs below name those cases, as Oracle's void_ip_t does.

public struct NetworkInformation: LibraryDeclarations {
    public init() {}

    /// D expressions over an sk_buff the marker structs point to (`S`).
    static let outgoing = "((struct sk_buff *)S)"
    static func version(_ header: String) -> String { "((struct iphdr *)(\(header)))->version" }
    /// The IP header of an outgoing sk_buff `skb`, and of one just received.
    static func outgoingHeader(_ skb: String) -> String { "(\(skb)->head + \(skb)->network_header)" }
    static func incomingHeader(_ skb: String) -> String { "\(skb)->data" }
    /// The transport header after the IP header `header` (IPv6: the fixed header only).
    static func transportAfter(_ header: String) -> String {
        "(\(header) + (\(version(header)) == 6 ? 40 : ((struct iphdr *)(\(header)))->ihl << 2))"
    }
    /// The transport header of a packet just received (`skb`, its IP header at `header`):
    /// after the IP header; where IPv6 extension headers follow the fixed header, where the
    /// sending stack put it (transport_header, set on loopback) when it is set.
    static func incomingTransport(_ header: String, skb: String) -> String {
        let next = "((struct ipv6hdr *)(\(header)))->nexthdr"
        let extensions = [0, 43, 44, 51, 60].map { "\(next) == \($0)" }.joined(separator: " || ")
        return "((\(version(header)) == 6 && (\(extensions)) && \(skb)->transport_header != 0xffff) ? \(skb)->head + \(skb)->transport_header : \(transportAfter(header)))"
    }

    public var source: String {
        """
        inline int AF_INET = 2;
        inline int AF_INET6 = 10;

        /* Hardware types link_ntop() knows. */
        inline int ARPHRD_ETHER = 1;
        inline int ARPHRD_INFINIBAND = 32;

        inline int NET_PROBE_OUTBOUND = 0x00;
        inline int NET_PROBE_INBOUND = 0x01;

        typedef struct conninfo {
        	string ci_local;
        	string ci_remote;
        	string ci_protocol;
        } conninfo_t;

        inline int IPPROTO_IP = 0;
        inline int IPPROTO_ICMP = 1;
        inline int IPPROTO_IGMP = 2;
        inline int IPPROTO_IPIP = 4;
        inline int IPPROTO_TCP = 6;
        inline int IPPROTO_EGP = 8;
        inline int IPPROTO_PUP = 12;
        inline int IPPROTO_UDP = 17;
        inline int IPPROTO_IDP = 22;
        inline int IPPROTO_TP = 29;
        inline int IPPROTO_DCCP = 33;
        inline int IPPROTO_IPV6 = 41;
        inline int IPPROTO_RSVP = 46;
        inline int IPPROTO_GRE = 47;
        inline int IPPROTO_ESP = 50;
        inline int IPPROTO_AH = 51;
        inline int IPPROTO_OSPF = 89;
        inline int IPPROTO_MTP = 92;
        inline int IPPROTO_BEETPH = 94;
        inline int IPPROTO_ENCAP = 98;
        inline int IPPROTO_PIM = 103;
        inline int IPPROTO_COMP = 108;
        inline int IPPROTO_SCTP = 132;
        inline int IPPROTO_UDPLITE = 136;
        inline int IPPROTO_RAW = 255;
        inline int IPPROTO_MAX = 256;
        inline int IPPROTO_HOPOPTS = 0;
        inline int IPPROTO_ROUTING = 43;
        inline int IPPROTO_FRAGMENT = 44;
        inline int IPPROTO_ICMPV6 = 58;
        inline int IPPROTO_NONE = 59;
        inline int IPPROTO_DSTOPTS = 60;
        inline int IPPROTO_MH = 135;

        inline int TCP_MIN_HEADER_LENGTH = 20;

        typedef uint64_t netstackid_t;
        typedef struct in6_addr in6_addr_t;

        typedef struct pktinfo {
        	uintptr_t pkt_addr;
        } pktinfo_t;

        typedef struct csinfo {
        	uintptr_t cs_addr;
        	uint64_t cs_cid;
        } csinfo_t;

        typedef struct ipinfo {
        	uint8_t ip_ver;
        	uint32_t ip_plength;
        	string ip_saddr;
        	string ip_daddr;
        } ipinfo_t;

        typedef struct ifinfo {
        	string if_name;
        	int8_t if_local;
        	netstackid_t if_ipstack;
        	uintptr_t if_addr;
        } ifinfo_t;

        typedef struct ipv4info {
        	uint8_t ipv4_ver;
        	uint8_t ipv4_ihl;
        	uint8_t ipv4_tos;
        	uint16_t ipv4_length;
        	uint16_t ipv4_ident;
        	uint8_t ipv4_flags;
        	uint16_t ipv4_offset;
        	uint8_t ipv4_ttl;
        	uint8_t ipv4_protocol;
        	string ipv4_protostr;
        	uint16_t ipv4_checksum;
        	ipaddr_t ipv4_src;
        	ipaddr_t ipv4_dst;
        	string ipv4_saddr;
        	string ipv4_daddr;
        	struct iphdr *ipv4_hdr;
        } ipv4info_t;

        typedef struct ipv6info {
        	uint8_t ipv6_ver;
        	uint8_t ipv6_tclass;
        	uint32_t ipv6_flow;
        	uint16_t ipv6_plen;
        	uint8_t ipv6_nexthdr;
        	string ipv6_nextstr;
        	uint8_t ipv6_hlim;
        	in6_addr_t *ipv6_src;
        	in6_addr_t *ipv6_dst;
        	string ipv6_saddr;
        	string ipv6_daddr;
        	struct ipv6hdr *ipv6_hdr;
        } ipv6info_t;

        typedef uintptr_t void_ip_t;

        struct __dtrace_skb_out { char __skb; };
        struct __dtrace_skb_in { char __skb; };
        struct __dtrace_sock_in { char __sk; };
        struct __dtrace_sock_changing { char __sk; };

        translator pktinfo_t < struct sk_buff *s > {
        	pkt_addr = (uintptr_t)s;
        };

        translator csinfo_t < struct sock *s > {
        	cs_addr = (uintptr_t)s;
        	cs_cid = (uint64_t)s;
        };

        translator ipinfo_t < void_ip_t *I > {
        	ip_ver = I != NULL ? ((struct iphdr *)I)->version : 0;
        	ip_plength = I == NULL ? 0 :
        	    ((struct iphdr *)I)->version == 4 ? ntohs(((struct iphdr *)I)->tot_len) - (((struct iphdr *)I)->ihl << 2) :
        	    ((struct iphdr *)I)->version == 6 ? ntohs(((struct ipv6hdr *)I)->payload_len) : 0;
        	ip_saddr = I == NULL ? "<unknown>" :
        	    ((struct iphdr *)I)->version == 4 ? inet_ntoa(&((struct iphdr *)I)->saddr) :
        	    ((struct iphdr *)I)->version == 6 ? inet_ntoa6(&((struct ipv6hdr *)I)->saddr) : "<unknown>";
        	ip_daddr = I == NULL ? "<unknown>" :
        	    ((struct iphdr *)I)->version == 4 ? inet_ntoa(&((struct iphdr *)I)->daddr) :
        	    ((struct iphdr *)I)->version == 6 ? inet_ntoa6(&((struct ipv6hdr *)I)->daddr) : "<unknown>";
        };

        translator ipinfo_t < struct iphdr *I > {
        	ip_ver = 4;
        	ip_plength = I != NULL ? ntohs(I->tot_len) - (I->ihl << 2) : 0;
        	ip_saddr = I != NULL ? inet_ntoa(&I->saddr) : "<unknown>";
        	ip_daddr = I != NULL ? inet_ntoa(&I->daddr) : "<unknown>";
        };

        translator ipinfo_t < struct ipv6hdr *I > {
        	ip_ver = 6;
        	ip_plength = I != NULL ? ntohs(I->payload_len) : 0;
        	ip_saddr = I != NULL ? inet_ntoa6(&I->saddr) : "<unknown>";
        	ip_daddr = I != NULL ? inet_ntoa6(&I->daddr) : "<unknown>";
        };

        /* A connection's addresses from its socket, as a segment it sends carries them. */
        translator ipinfo_t < struct sock *S > {
        	ip_ver = S->__sk_common.skc_family == AF_INET6 ? 6 : 4;
        	ip_plength = 0;
        	ip_saddr = S->__sk_common.skc_family == AF_INET6 ? inet_ntoa6(&S->__sk_common.skc_v6_rcv_saddr) : inet_ntoa(&S->__sk_common.skc_rcv_saddr);
        	ip_daddr = S->__sk_common.skc_family == AF_INET6 ? inet_ntoa6(&S->__sk_common.skc_v6_daddr) : inet_ntoa(&S->__sk_common.skc_daddr);
        };

        /* ... and as a segment it receives carries them. */
        translator ipinfo_t < struct __dtrace_sock_in *S > {
        	ip_ver = ((struct sock *)S)->__sk_common.skc_family == AF_INET6 ? 6 : 4;
        	ip_plength = 0;
        	ip_saddr = ((struct sock *)S)->__sk_common.skc_family == AF_INET6 ? inet_ntoa6(&((struct sock *)S)->__sk_common.skc_v6_daddr) : inet_ntoa(&((struct sock *)S)->__sk_common.skc_daddr);
        	ip_daddr = ((struct sock *)S)->__sk_common.skc_family == AF_INET6 ? inet_ntoa6(&((struct sock *)S)->__sk_common.skc_v6_rcv_saddr) : inet_ntoa(&((struct sock *)S)->__sk_common.skc_rcv_saddr);
        };

        inline int IFF_LOOPBACK = 0x8;

        translator ifinfo_t < struct net_device *N > {
        	if_name = N != NULL ? stringof(N->name) : "<unknown>";
        	if_local = N == NULL || (N->flags & IFF_LOOPBACK) != 0;
        	if_ipstack = N != NULL ? (uint64_t)N->nd_net.net : 0;
        	if_addr = (uintptr_t)N;
        };

        translator ipv4info_t < struct iphdr *I > {
        	ipv4_ver = I != NULL ? 4 : 0;
        	ipv4_ihl = I != NULL ? I->ihl << 2 : 0;
        	ipv4_tos = I != NULL ? I->tos : 0;
        	ipv4_length = I != NULL ? ntohs(I->tot_len) : 0;
        	ipv4_ident = I != NULL ? ntohs(I->id) : 0;
        	ipv4_flags = I != NULL ? ntohs(I->frag_off) >> 12 : 0;
        	ipv4_offset = I != NULL ? ntohs(I->frag_off) & 0x0fff : 0;
        	ipv4_ttl = I != NULL ? I->ttl : 0;
        	ipv4_protocol = I != NULL ? I->protocol : 0;
        	ipv4_protostr = I == NULL ? "<null>" :
        	    I->protocol == IPPROTO_TCP ? "TCP" :
        	    I->protocol == IPPROTO_UDP ? "UDP" :
        	    I->protocol == IPPROTO_IP ? "IP" :
        	    I->protocol == IPPROTO_ICMP ? "ICMP" :
        	    I->protocol == IPPROTO_IGMP ? "IGMP" :
        	    I->protocol == IPPROTO_EGP ? "EGP" :
        	    I->protocol == IPPROTO_IPV6 ? "IPv6" :
        	    I->protocol == IPPROTO_ROUTING ? "ROUTE" :
        	    I->protocol == IPPROTO_ESP ? "ESP" :
        	    I->protocol == IPPROTO_AH ? "AH" :
        	    I->protocol == IPPROTO_ICMPV6 ? "ICMPv6" :
        	    I->protocol == IPPROTO_OSPF ? "OSPF" :
        	    I->protocol == IPPROTO_SCTP ? "SCTP" :
        	    I->protocol == IPPROTO_RAW ? "RAW" :
        	    lltostr((uint64_t)I->protocol);
        	ipv4_checksum = I != NULL ? ntohs(I->check) : 0;
        	ipv4_src = I != NULL ? I->saddr : 0;
        	ipv4_dst = I != NULL ? I->daddr : 0;
        	ipv4_saddr = I != NULL ? inet_ntoa(&I->saddr) : "<null>";
        	ipv4_daddr = I != NULL ? inet_ntoa(&I->daddr) : "<null>";
        	ipv4_hdr = I;
        };

        translator ipv6info_t < struct ipv6hdr *I > {
        	ipv6_ver = I != NULL ? I->version : 0;
        	ipv6_tclass = I != NULL ? (I->priority << 4) | (I->flow_lbl[0] >> 4) : 0;
        	ipv6_flow = I != NULL ? ((I->flow_lbl[0] & 0xf) << 16) | (I->flow_lbl[1] << 8) | I->flow_lbl[2] : 0;
        	ipv6_plen = I != NULL ? ntohs(I->payload_len) : 0;
        	ipv6_nexthdr = I != NULL ? I->nexthdr : 0;
        	ipv6_nextstr = I == NULL ? "<null>" :
        	    I->nexthdr == IPPROTO_TCP ? "TCP" :
        	    I->nexthdr == IPPROTO_UDP ? "UDP" :
        	    I->nexthdr == IPPROTO_IP ? "IP" :
        	    I->nexthdr == IPPROTO_ICMP ? "ICMP" :
        	    I->nexthdr == IPPROTO_IGMP ? "IGMP" :
        	    I->nexthdr == IPPROTO_EGP ? "EGP" :
        	    I->nexthdr == IPPROTO_IPV6 ? "IPv6" :
        	    I->nexthdr == IPPROTO_ROUTING ? "ROUTE" :
        	    I->nexthdr == IPPROTO_ESP ? "ESP" :
        	    I->nexthdr == IPPROTO_AH ? "AH" :
        	    I->nexthdr == IPPROTO_ICMPV6 ? "ICMPv6" :
        	    I->nexthdr == IPPROTO_OSPF ? "OSPF" :
        	    I->nexthdr == IPPROTO_SCTP ? "SCTP" :
        	    I->nexthdr == IPPROTO_RAW ? "RAW" :
        	    lltostr((uint64_t)I->nexthdr);
        	ipv6_hlim = I != NULL ? I->hop_limit : 0;
        	ipv6_src = I != NULL ? &I->saddr : NULL;
        	ipv6_dst = I != NULL ? &I->daddr : NULL;
        	ipv6_saddr = I != NULL ? inet_ntoa6(&I->saddr) : "<null>";
        	ipv6_daddr = I != NULL ? inet_ntoa6(&I->daddr) : "<null>";
        	ipv6_hdr = I;
        };
        """
    }
}
