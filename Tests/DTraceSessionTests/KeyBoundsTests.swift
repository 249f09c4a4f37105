// DTraceSessionTests/KeyBoundsTests: a session compiles a program again when the values
// it compiled bound its string aggregation keys more narrowly than its text told (a ?: of
// literals, a dotted quad from inet_ntoa, a char array): those key slots are then that narrow — what
// hashing a key and aggsize count — and the others keep strsize. Keys that are an address's
// text in every use (a translator's ip_daddr, inet_ntop() of kernel memory) hold the address.

import DTraceIR
import DTraceSession
import DTraceSystem
import Testing

@Suite struct KeyBoundsTests {
    func keySizes(_ script: String) throws -> [String: Int] {
        let session = TracingSession(options: TracingOptions(), output: OutputSink(capturing: ()), errors: OutputSink(capturing: ()))
        try session.compile([ProgramSource(kind: .probes(text: script, kind: "n"))], operands: [], preprocess: false, cppArguments: [], preprocessor: { text, _ in text })
        return Dictionary(uniqueKeysWithValues: session.program.aggregations.map { ($0.name, $0.keySize) })
    }

    @Test func valuesOfKnownLengthNarrowTheirKeys() throws {
        let sizes = try keySizes("""
            BEGIN {
                this->p = (ipaddr_t *)alloca(4);
                @quad[pid > 0 ? "a" : "bb", inet_ntoa(this->p)] = count();
                @six[inet_ntoa6((struct in6_addr *)this->p)] = count();
                @name[probename] = count();
                @mixed[pid > 0 ? "a" : probename] = count();
                @command[execname] = count();
            }
            """)
        #expect(sizes["quad"] == 8 + 16)
        #expect(sizes["six"] == 48)
        #expect(sizes["name"] == 264)
        #expect(sizes["mixed"] == 264)
        #expect(sizes["command"] == 16)
    }

    /// A char array's string has at most its characters and a NUL: a kernel name field, a
    /// D structure's member, and the io provider's device names (read through a 47-character view).
    @Test func charArraysNarrowTheirKeys() throws {
        let sizes = try keySizes("""
            struct name { char n[20]; };
            sdt:sched::sched_switch { @comm[args->prev_comm] = count(); @through[stringof(((struct name *)arg0)->n)] = count(); }
            io:::start { @device[args[1]->dev_statname] = count(); @path[args[1]->dev_pathname] = count(); }
            """)
        #expect(sizes["comm"] == 24)
        #expect(sizes["through"] == 24)
        #expect(sizes["device"] == 48)
        #expect(sizes["path"] == 264, "strjoin's result is not bounded")
    }

    @Test func everyUseOfAnAggregationCounts() throws {
        let sizes = try keySizes("BEGIN { @a[\"x\"] = count(); } END { @a[probename] = count(); } tick-1s { @b[\"x\"] = count(); } END { @b[\"yyyyyyyyyyyy\"] = count(); }")
        #expect(sizes["a"] == 264)
        #expect(sizes["b"] == 16)
    }

    func keyFields(_ script: String) throws -> [String: [ValueType]] {
        let session = TracingSession(options: TracingOptions(), output: OutputSink(capturing: ()), errors: OutputSink(capturing: ()))
        try session.compile([ProgramSource(kind: .probes(text: script, kind: "n"))], operands: [], preprocess: false, cppArguments: [], preprocessor: { text, _ in text })
        return Dictionary(uniqueKeysWithValues: session.program.aggregations.map { ($0.name, $0.keyFields.map(\.type)) })
    }

    @Test func addressTextKeysHoldTheAddress() throws {
        let fields = try keyFields("""
            tcp:::send { @daddr[args[2]->ip_daddr] = count(); @pair[args[3]->tcps_laddr, args[4]->tcp_dport] = count(); @mixed[args[2]->ip_daddr] = count(); }
            tcp:::send { @second[execname, args[2]->ip_daddr] = count(); }
            tcp:::receive { @mixed[probename] = count(); }
            sdt:sched::sched_switch {
                @ntop[inet_ntop(AF_INET6, &((struct sock *)arg0)->__sk_common.skc_v6_daddr)] = count();
                @long[arg1 ? inet_ntoa6(&((struct sock *)arg0)->__sk_common.skc_v6_daddr) : "an address no one could find at all"] = count();
            }
            BEGIN { this->p = (ipaddr_t *)alloca(4); @scratch[inet_ntoa(this->p)] = count(); }
            """)
        #expect(fields["daddr"] == [.addressText(size: 24)])
        #expect(fields["pair"] == [.addressText(size: 24), .integer(size: 2, signed: false)])
        #expect(fields["ntop"] == [.addressText(size: 24)])
        #expect(fields["long"] == [.addressText(size: 48)], "8 bytes, then the literal's 35 and a NUL")
        #expect(fields["mixed"] == [.string(size: 264)], "one use is not an address")
        #expect(fields["second"] == [.string(size: 16), .addressText(size: 24)], "an address after another key")
        #expect(fields["scratch"] == [.string(size: 16)], "alloca() memory is not the kernel's")
    }

    /// Kernel text keys (a ?: of literals and kernel char arrays, in every use) are read
    /// straight into their slots: one bounded read, no string copied after it.
    @Test func kernelTextKeysAreReadIntoTheirSlots() throws {
        let session = TracingSession(options: TracingOptions(), output: OutputSink(capturing: ()), errors: OutputSink(capturing: ()))
        try session.compile([ProgramSource(kind: .probes(text: """
            io:::start { @device[args[1]->dev_statname] = count(); }
            io:::done { @mixed[args[1]->dev_statname] = count(); @mixed[execname] = count(); }
            """, kind: "n"))], operands: [], preprocess: false, cppArguments: [], preprocessor: { text, _ in text })
        func calls(_ clause: Int) -> [(Helper, Int)] {
            session.program.clauses[clause].function.instructions.compactMap { if case .call(let helper, _, let arguments) = $0 { return (helper, arguments.count) }; return nil }
        }
        #expect(calls(0).contains { $0.0 == .copyInKernelString && $0.1 == 3 })
        #expect(!calls(0).contains { if case .stringCopyBounded = $0.0 { return true }; return false })
        #expect(!calls(1).contains { $0.0 == .copyInKernelString && $0.1 == 3 }, "one use is not kernel text")
        #expect(session.program.aggregations.first { $0.name == "device" }?.keyFields == [RecordField(offset: 0, type: .string(size: 48))])
    }
}
