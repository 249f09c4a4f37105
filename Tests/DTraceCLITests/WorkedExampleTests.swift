// DTraceCLITests/WorkedExampleTests: the example provider (ExampleProvider.swift, one
// file) runs end to end through the session API on the real kernel: listed with its
// argument types, matched, compiled with its prologue, attached, counted exactly.

import DTraceConsumer
import DTraceProviders
import DTraceSession
import DTraceSystem
import Foundation
import Testing

@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct WorkedExampleTests {
    func session(_ options: TracingOptions = TracingOptions()) -> (TracingSession, OutputSink, OutputSink) {
        let output = OutputSink(capturing: ()), errors = OutputSink(capturing: ())
        return (TracingSession(options: options, output: output, errors: errors, providers: Providers.all + [ExampleProvider()]), output, errors)
    }

    @Test func aProviderInOneFileRunsInTheKernelEngine() throws {
        var options = TracingOptions()
        options.quiet = true
        let (session, output, errors) = session(options)
        defer { session.releaseTargetOnExit() }
        try session.grabTarget(command: "\(KernelHarness.workload) getpid 3000", processID: nil)
        let program = ProgramSource(kind: .probes(text: "example:::getpid /pid == $target/ { @sum = sum(arg0); @number[arg1] = count(); }", kind: "n"))
        try session.compile([program], operands: [], preprocess: false, cppArguments: [], preprocessor: { text, _ in text })
        try session.matchProbes(listing: false, zeroMatchesAllowed: false)
        #expect(session.enablings.map(\.probe.identity.fullName) == ["example:::getpid"])
        #expect(try session.chooseEngine(checkPlatform: true) == .kernel)
        try session.checkEnablings(zeroMatchesAllowed: false)
        let status = try session.run(.kernel, output: output, showProgram: false)
        output.flush(); errors.flush()
        #expect(status == 0)
        let text = String(decoding: output.captured ?? [], as: UTF8.self)
        // 3000 firings of arg0 = 42; arg1 is getpid's number (39 on x86-64).
        #expect(text == "\n           126000\n               39             3000\n")
        #expect(String(decoding: errors.captured ?? [], as: UTF8.self) == "")
    }

    @Test func theCatalogueListsItWithTheOthers() {
        let catalog = ProbeCatalog(tracefsRoot: try? Tracefs.root(), providers: Providers.all + [ExampleProvider()])
        let probe = catalog.match(.init(provider: "example", module: "", function: "", name: "*")).first
        #expect(probe?.identity.id == 90_000)
        #expect(probe.map(catalog.argumentTypes) == ["int", "long"])
        #expect(catalog.match(.init(provider: "", module: "", function: "", name: "BEGIN")).count == 1)
    }
}
