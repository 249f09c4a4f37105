// DTraceSessionTests/ClauseSplitTests: a clause over descriptions whose probes give their
// arguments differently is compiled once per group of them when it names args (each
// group's args typed as its probes give them), and once when it does not (many probes,
// one program).

import DTraceSession
import DTraceSystem
import Testing

@Suite struct ClauseSplitTests {
    func clauseCount(_ script: String) throws -> Int {
        let session = TracingSession(options: TracingOptions(), output: OutputSink(capturing: ()), errors: OutputSink(capturing: ()))
        try session.compile([ProgramSource(kind: .probes(text: script, kind: "n"))], operands: [], preprocess: false, cppArguments: [], preprocessor: { text, _ in text })
        return session.program.clauses.count
    }

    @Test func splitOnlyWhenArgsAreNamed() throws {
        #expect(try clauseCount("sdt:sched::sched_process_exec, sdt:sched::sched_process_exit { @ = count(); }") == 1)
        #expect(try clauseCount("sdt:sched::sched_process_exec, sdt:sched::sched_process_exit { @[args->pid] = count(); }") == 2)
        #expect(try clauseCount("tcp:::send, tcp:::receive /args[4]->tcp_dport == 22/ { @ = count(); }") == 2)
        #expect(try clauseCount("tcp:::send, tcp:::receive { @[probename] = count(); }") == 1)
    }
}
