// DTraceCLITests/NetworkProviderTests: the tcp, udp and ip providers end to end on
// loopback traffic the test makes itself (workload/net.py, on a port the test picks):
// state changes with their ports, addresses and names, connections established, refused
// and requested once each, byte counts of segments and datagrams, the translated
// argument types -lv shows, and DTrace's errors for members and arguments that are not.
// Like KernelEngineTests these need root; under CI=true they always run.

import Foundation
import Testing

@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct NetworkProviderTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../workload/net.py").standardized.path

    /// A loopback port nothing listens on now.
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// dtrace -q with `program` while net.py runs `mode` on `port`: the lines it printed
    /// and the client's port.
    static func trace(_ program: String, _ mode: String, port: Int, bytes: Int = 0) throws -> (lines: [String], client: Int, result: Harness.Result) {
        let result = try Harness.run(["-qn", program, "-c", "/usr/bin/env python3.11 \(script) \(mode) \(port) \(bytes)"], pinned: false)
        var lines: [String] = [], client = -1
        for line in result.stdout.split(separator: "\n").map(String.init) {
            if line.hasPrefix("client ") { client = Int(line.dropFirst(7)) ?? -1 } else { lines.append(line) }
        }
        return (lines, client, result)
    }

    static let stateNames = """
        BEGIN {
        	n[TCP_STATE_IDLE] = "idle"; n[TCP_STATE_ESTABLISHED] = "established"; n[TCP_STATE_SYN_SENT] = "syn-sent";
        	n[TCP_STATE_SYN_RECEIVED] = "syn-received"; n[TCP_STATE_FIN_WAIT_1] = "fin-wait-1"; n[TCP_STATE_FIN_WAIT_2] = "fin-wait-2";
        	n[TCP_STATE_TIME_WAIT] = "time-wait"; n[TCP_STATE_CLOSED] = "closed"; n[TCP_STATE_CLOSE_WAIT] = "close-wait";
        	n[TCP_STATE_LAST_ACK] = "last-ack"; n[TCP_STATE_LISTEN] = "listen"; n[TCP_STATE_CLOSING] = "closing";
        }
        """

    @Test func stateChangesOfALoopbackConnection() throws {
        let port = Self.freePort()
        let program = Self.stateNames + """
            tcp:::state-change /args[3]->tcps_lport == \(port) || args[3]->tcps_rport == \(port)/ {
            	printf("%s:%d %s:%d %s -> %s\\n", args[3]->tcps_laddr, args[3]->tcps_lport, args[3]->tcps_raddr, args[3]->tcps_rport,
            	    n[args[5]->tcps_state], n[args[3]->tcps_state]);
            }
            """
        let (lines, client, result) = try Self.trace(program, "tcp", port: port, bytes: 100)
        #expect(result.status == 0, "\(result.stderr)")
        try #require(client > 0)
        let expected = [
            "127.0.0.1:\(port) 0.0.0.0:0 closed -> listen",
            "127.0.0.1:0 127.0.0.1:\(port) closed -> syn-sent",      // the client's port is chosen after
            "127.0.0.1:\(client) 127.0.0.1:\(port) syn-sent -> established",
            "127.0.0.1:\(port) 127.0.0.1:\(client) listen -> syn-received",
            "127.0.0.1:\(port) 127.0.0.1:\(client) syn-received -> established",
            "127.0.0.1:\(client) 127.0.0.1:\(port) established -> fin-wait-1",
            "127.0.0.1:\(port) 127.0.0.1:\(client) established -> close-wait",
            "127.0.0.1:\(client) 127.0.0.1:\(port) fin-wait-1 -> fin-wait-2",
            "127.0.0.1:\(port) 127.0.0.1:\(client) close-wait -> last-ack",
            // The client's socket closes into a time-wait socket: reported as TIME_WAIT.
            "127.0.0.1:\(client) 127.0.0.1:\(port) fin-wait-2 -> time-wait",
            "127.0.0.1:\(port) 127.0.0.1:\(client) last-ack -> closed",
        ]
        for line in expected { #expect(lines.contains(line), "\(line) not in \(lines)") }
    }

    /// A connection reset in FIN_WAIT_2 is closed, not handed to a time-wait socket.
    @Test func aResetInFinWait2IsAClose() throws {
        let port = Self.freePort()
        let program = Self.stateNames + """
            tcp:::state-change /args[3]->tcps_rport == \(port)/ { printf("%s -> %s\\n", n[args[5]->tcps_state], n[args[3]->tcps_state]); }
            """
        let (lines, client, result) = try Self.trace(program, "reset", port: port)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(client > 0)
        #expect(lines == ["closed -> syn-sent", "syn-sent -> established", "established -> fin-wait-1", "fin-wait-1 -> fin-wait-2", "fin-wait-2 -> closed"], "\(lines)")
    }

    @Test func connectionsEstablishedOnceEach() throws {
        let port = Self.freePort()
        let program = """
            tcp:::connect-request /args[4]->tcp_dport == \(port)/ { printf("request %s %d %s %d %x\\n", args[2]->ip_saddr, args[4]->tcp_sport, args[2]->ip_daddr, args[4]->tcp_dport, args[4]->tcp_flags); }
            tcp:::connect-established /args[3]->tcps_rport == \(port)/ { printf("connect %s %d %d %d %d\\n", args[2]->ip_saddr, args[4]->tcp_sport, args[4]->tcp_dport, args[3]->tcps_lport, args[3]->tcps_state); }
            tcp:::accept-established /args[3]->tcps_lport == \(port)/ { printf("accept %s %d %d %d %d\\n", args[2]->ip_daddr, args[4]->tcp_sport, args[4]->tcp_dport, args[3]->tcps_rport, args[3]->tcps_state); }
            """
        let (lines, client, result) = try Self.trace(program, "tcp", port: port, bytes: 10)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines.sorted() == [
            "accept 127.0.0.1 \(client) \(port) \(client) 1",
            "connect 127.0.0.1 \(port) \(client) \(client) 1",
            "request 127.0.0.1 \(client) 127.0.0.1 \(port) 2",
        ])
    }

    @Test func connectionToAClosedPortIsRefused() throws {
        let port = Self.freePort()
        let program = """
            tcp:::connect-request /args[4]->tcp_dport == \(port)/ { printf("request %d\\n", args[4]->tcp_sport); }
            tcp:::accept-refused /args[4]->tcp_sport == \(port)/ { printf("accept-refused %s:%d -> %s:%d %x\\n", args[2]->ip_saddr, args[4]->tcp_sport, args[2]->ip_daddr, args[4]->tcp_dport, args[4]->tcp_flags); }
            tcp:::connect-refused /args[3]->tcps_rport == \(port)/ { printf("connect-refused %s:%d -> %s:%d %d\\n", args[2]->ip_saddr, args[4]->tcp_sport, args[2]->ip_daddr, args[4]->tcp_dport, args[3]->tcps_lport); }
            """
        let (lines, client, result) = try Self.trace(program, "refused", port: port)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines == [
            "request \(client)",
            "accept-refused 127.0.0.1:\(port) -> 127.0.0.1:\(client) 14",
            "connect-refused 127.0.0.1:\(port) -> 127.0.0.1:\(client) \(client)",
        ])
    }

    @Test func segmentsCarryTheBytesSent() throws {
        let port = Self.freePort()
        let program = """
            tcp:::send /args[4]->tcp_dport == \(port)/ { @sent = sum(args[2]->ip_plength - args[4]->tcp_offset); }
            tcp:::receive /args[4]->tcp_dport == \(port)/ { @received = sum(args[2]->ip_plength - args[4]->tcp_offset); }
            tcp:::send /args[4]->tcp_sport == \(port)/ { @replied = sum(args[2]->ip_plength - args[4]->tcp_offset); @local = max(args[3]->tcps_local); }
            tcp:::receive /args[4]->tcp_sport == \(port) && args[3]->tcps_lport != \(port)/ { @reply = sum(args[2]->ip_plength - args[4]->tcp_offset); }
            END { printa("sent %@d\\n", @sent); printa("received %@d\\n", @received); printa("replied %@d\\n", @replied); printa("reply %@d\\n", @reply); printa("local %@d\\n", @local); }
            """
        let (lines, _, result) = try Self.trace(program, "tcp", port: port, bytes: 12345)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines == ["sent 12345", "received 12345", "replied 10", "reply 10", "local 1"])
    }

    /// Keys that are an address's text hold the address and dtrace writes the text: the
    /// same texts and counts as printf() of the same members (which writes them in the
    /// kernel), with the IPv4-mapped connection's keys merged into 127.0.0.1's.
    @Test func addressKeysAreTheAddressesText() throws {
        let port = Self.freePort()
        let program = """
            tcp:::send /args[4]->tcp_dport == \(port)/ {
            	printf("text %s %s %s\\n", args[2]->ip_daddr, args[3]->tcps_raddr, inet_ntop(AF_INET6, &((struct sock *)args[1]->cs_addr)->__sk_common.skc_v6_daddr));
            	@[args[2]->ip_daddr, args[3]->tcps_raddr, inet_ntop(AF_INET6, &((struct sock *)args[1]->cs_addr)->__sk_common.skc_v6_daddr)] = count();
            	@remote[args[3]->tcps_raddr] = count();
            	@text[args[3]->tcps_raddr == "" ? "" : args[3]->tcps_raddr] = count();
            }
            END { printa("key %s %s %s %@d\\n", @); printa("remote %s %@d\\n", @remote); printa("joint %s %@d %@d\\n", @remote, @text); }
            """
        let (lines, _, result) = try Self.trace(program, "families", port: port, bytes: 1000)
        #expect(result.status == 0, "\(result.stderr)")
        var counted: [String: Int] = [:]
        for line in lines where line.hasPrefix("text ") { counted[String(line.dropFirst(5)), default: 0] += 1 }
        let keys = lines.filter { $0.hasPrefix("key ") }.map { $0.dropFirst(4).split(separator: " ").map(String.init) }
        #expect(Set(counted.keys.map { $0.split(separator: " ")[0] }) == ["127.0.0.1", "::1"])
        #expect(keys.count == counted.count, "\(lines)")
        for key in keys {
            #expect(key.count == 4 && counted[key[0..<3].joined(separator: " ")] == Int(key[3]), "\(key) of \(counted)")
        }
        // The IPv4 connection's 127.0.0.1 (inet_ntoa) and the mapped one's (inet_ntoa6) are one key.
        var remotes: [String: Int] = [:]
        for (text, count) in counted { remotes[String(text.split(separator: " ")[1]), default: 0] += count }
        let remoteLines = lines.filter { $0.hasPrefix("remote ") }
        #expect(Set(remoteLines) == Set(remotes.map { "remote \($0.key) \($0.value)" }) && remoteLines.count == 2, "\(lines)")
        // Printed jointly with a string key of the same texts: one row each.
        let jointLines = lines.filter { $0.hasPrefix("joint ") }
        #expect(Set(jointLines) == Set(remotes.map { "joint \($0.key) \($0.value) \($0.value)" }) && jointLines.count == 2, "\(lines)")
    }

    /// Packets whose TCP or UDP header follows IPv6 extension headers (a destination
    /// options header here) are the protocol's, with their ports and lengths; one clause
    /// for send and receive (whose arguments come from packets going different ways).
    @Test func ipv6ExtensionHeadersAreSkipped() throws {
        let port = Self.freePort()
        let program = """
            tcp:::send, tcp:::receive /args[4]->tcp_dport == \(port) || args[4]->tcp_sport == \(port)/ {
            	printf("%s %s %d %d %d\\n", probename, args[2]->ip_daddr, args[4]->tcp_sport, args[4]->tcp_dport, args[2]->ip_plength - args[4]->tcp_offset);
            }
            udp:::send, udp:::receive /args[4]->udp_dport == \(port)/ { printf("udp %s %s %d %d\\n", probename, args[2]->ip_daddr, args[4]->udp_length, args[2]->ip_plength); }
            """
        let (lines, client, result) = try Self.trace(program, "extensions", port: port, bytes: 100)
        #expect(result.status == 0, "\(result.stderr)")
        let fromClient = lines.filter { $0.contains(" ::1 \(client) \(port) ") }
        // The SYN, the data (100 bytes after an 8-byte options header), the FIN, ACKs: each seen going and coming.
        #expect(fromClient.filter { $0.hasPrefix("send ") }.count >= 3, "\(lines)")
        #expect(fromClient.filter { $0.hasPrefix("send ") }.map { $0.dropFirst(5) } == fromClient.filter { $0.hasPrefix("receive ") }.map { $0.dropFirst(8) }, "\(lines)")
        #expect(fromClient.contains("send ::1 \(client) \(port) 108") && fromClient.contains("receive ::1 \(client) \(port) 108"), "\(lines)")
        #expect(lines.filter { $0.hasPrefix("udp ") } == ["udp send ::1 108 116", "udp receive ::1 108 116"], "\(lines)")
    }

    @Test func datagramsSentAndReceived() throws {
        let port = Self.freePort()
        let program = """
            udp:::send /args[4]->udp_dport == \(port)/ { printf("send %s:%d -> %s:%d %d %d %s:%d\\n", args[2]->ip_saddr, args[4]->udp_sport, args[2]->ip_daddr, args[4]->udp_dport, args[4]->udp_length, args[2]->ip_plength, args[3]->udps_laddr, args[3]->udps_lport); }
            udp:::receive /args[4]->udp_dport == \(port)/ { printf("receive %s:%d -> %s:%d %d %d %s:%d\\n", args[2]->ip_saddr, args[4]->udp_sport, args[2]->ip_daddr, args[4]->udp_dport, args[4]->udp_length, args[2]->ip_plength, args[3]->udps_laddr, args[3]->udps_lport); }
            """
        let (lines, client, result) = try Self.trace(program, "udp", port: port, bytes: 1234)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines == [
            "send 127.0.0.1:\(client) -> 127.0.0.1:\(port) 1242 1242 127.0.0.1:\(client)",
            "receive 127.0.0.1:\(client) -> 127.0.0.1:\(port) 1242 1242 127.0.0.1:\(port)",
        ])
    }

    /// ip:::send and receive see the UDP datagram (its payload length is unusual) and the
    /// TCP segment carrying the data (sizes no other test here sends: the ip probes see
    /// every test's packets).
    @Test(arguments: [("udp", 1237, "UDP", 8), ("tcp", 1237, "TCP", 0)])
    func packetsAtTheIPLayer(_ mode: String, _ bytes: Int, _ name: String, _ header: Int) throws {
        let port = Self.freePort()
        let length = header == 8 ? "args[2]->ip_plength == \(bytes + 8)" : "args[2]->ip_plength > \(bytes) && args[2]->ip_plength <= \(bytes + 60)"
        // Each probe's strings in two clauses: the verifier explores every way through a
        // clause, and each address is IPv4's or IPv6's text.
        let program = """
            ip:::send /args[4]->ipv4_protocol == IPPROTO_\(name) && \(length)/ { printf("send %d %s %s %d ", args[2]->ip_ver, args[4]->ipv4_protostr, args[3]->if_name, args[5]->ipv6_ver); }
            ip:::send /args[4]->ipv4_protocol == IPPROTO_\(name) && \(length)/ { printf("%s %s\\n", args[2]->ip_saddr, args[4]->ipv4_daddr); }
            ip:::receive /args[4]->ipv4_protocol == IPPROTO_\(name) && \(length)/ { printf("receive %d %s %s %d ", args[2]->ip_ver, args[4]->ipv4_protostr, args[3]->if_name, args[3]->if_local); }
            ip:::receive /args[4]->ipv4_protocol == IPPROTO_\(name) && \(length)/ { printf("%s %s\\n", args[2]->ip_saddr, args[4]->ipv4_daddr); }
            """
        let (lines, _, result) = try Self.trace(program, mode, port: port, bytes: bytes)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines == ["send 4 \(name) lo 0 127.0.0.1 127.0.0.1", "receive 4 \(name) lo 1 127.0.0.1 127.0.0.1"])
    }

    /// ipv4_flags and ipv4_offset as Oracle's translator gives them (frag_off >> 12 and
    /// & 0x0fff): a TCP segment with DF set has flags 4 (Oracle's ip/tst.ipv4localicmp.sh).
    @Test func ipv4FlagsAsOracleGivesThem() throws {
        let port = Self.freePort()
        // A size no other test here sends (the ip probes see every test's packets).
        let program = """
            ip:::send /args[4]->ipv4_protocol == IPPROTO_TCP && args[2]->ip_plength > 1401 && args[2]->ip_plength <= 1461/
            { printf("flags %d %d\\n", args[4]->ipv4_flags, args[4]->ipv4_offset); }
            """
        let (lines, _, result) = try Self.trace(program, "tcp", port: port, bytes: 1401)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(lines == ["flags 4 0"])
    }

    @Test func listingShowsTranslatedTypes() throws {
        let listing = try Harness.run(["-lv", "-n", "tcp:::state-change", "-n", "ip:::send", "-n", "udp:::receive"], pinned: false)
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("""
            \t\targs[0]: pktinfo_t *
            \t\targs[1]: csinfo_t *
            \t\targs[2]: ipinfo_t *
            \t\targs[3]: tcpsinfo_t *
            \t\targs[4]: tcpinfo_t *
            \t\targs[5]: tcplsinfo_t *
            """))
        #expect(listing.stdout.contains("\t\targs[3]: ifinfo_t *\n\t\targs[4]: ipv4info_t *\n\t\targs[5]: ipv6info_t *\n"))
        #expect(listing.stdout.contains("\t\targs[3]: udpsinfo_t *\n\t\targs[4]: udpinfo_t *\n"))
        let probes = try Harness.run(["-l", "-P", "tcp", "-P", "udp", "-P", "ip"], pinned: false)
        let names = probes.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ").map(String.init) }.map { "\($0[1]):::\($0.last!)" }
        #expect(names == ["tcp:::accept-established", "tcp:::accept-refused", "tcp:::connect-established", "tcp:::connect-refused",
                          "tcp:::connect-request", "tcp:::receive", "tcp:::send", "tcp:::state-change",
                          "udp:::receive", "udp:::send", "ip:::receive", "ip:::send"])
    }

    @Test func badMembersAndArgumentsAreRefused() throws {
        let member = try Harness.run(["-n", "tcp:::send { trace(args[3]->tcps_nosuch); }"], pinned: false)
        #expect(member.status == 1)
        #expect(member.stderr == "dtrace: invalid probe specifier tcp:::send { trace(args[3]->tcps_nosuch); }: in action list: translator does not define conversion for member: tcps_nosuch\n")
        let index = try Harness.run(["-n", "udp:::send { trace(args[9]); }"], pinned: false)
        #expect(index.status == 1)
        #expect(index.stderr == "dtrace: invalid probe specifier udp:::send { trace(args[9]); }: in action list: index 9 is out of range for udp:::send args[ ]\n")
    }
}
