// DTraceELFTests/USDTProbesTests: USDT notes — the synthetic object's (prelink correction,
// semaphore file offset in a segment at another delta, symbols resolved, a note of
// another owner skipped), python3.11's (provider python, semaphores in .probes, register
// and memory arguments) and PostgreSQL's (arguments relative to %rip through symbols).

@testable import DTraceELF
import DTraceSystem
import Testing

@Suite struct USDTProbesTests {
    @Test func syntheticNotes() throws {
        let object = try ELFObject.parse(bytes: SyntheticELF.bytes()).get()
        let text = try #require(object.section(named: ".text"))
        let probes = try #require(object.section(named: ".probes"))
        let usdt = object.usdtProbes
        #expect(usdt.map { "\($0.provider):\($0.name)" } == ["synth:start", "synth:done"])
        let start = try #require(usdt.first)
        // Written 0x100 low; .stapsdt.base's address moves them back.
        #expect(start.address == text.address + 4)
        #expect(start.fileOffset == text.fileOffset + 4)
        #expect(start.semaphoreAddress == probes.address)
        #expect(start.semaphoreFileOffset == probes.fileOffset)
        #expect(probes.address != probes.fileOffset)
        #expect(start.argumentText == "-4@%edi 8@counter+8(%rip) 4@$7 8@missing(%rip)")
        #expect(start.arguments.count == 4)
        #expect(start.arguments[0] == .success(USDTArgument(text: "-4@%edi", size: 4, isSigned: true, operand: .register(X86Register.named("edi")!))))
        guard case .success(let counter) = start.arguments[1], case .memory(let memory) = counter.operand else {
            Issue.record("counter+8(%rip) not parsed"); return
        }
        #expect(memory.symbol == "counter")
        #expect(memory.symbolAddress == probes.address + 8)
        #expect(memory.staticAddress(probeAddress: start.address) == probes.address + 16)
        #expect(start.arguments[2] == .success(USDTArgument(text: "4@$7", size: 4, isSigned: false, operand: .constant(7))))
        #expect(start.arguments[3] == .failure(.unresolvedSymbol(argument: "8@missing(%rip)", symbol: "missing")))
        let done = usdt[1]
        #expect(done.semaphoreAddress == nil && done.semaphoreFileOffset == nil)
        #expect(done.arguments.isEmpty)
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.python))) func pythonProbes() throws {
        try Fixture.require(Fixture.python)
        let python = try ELFObject.load(path: Fixture.python).get()
        let probes = python.usdtProbes
        #expect(probes.count >= 8)
        #expect(probes.allSatisfy { $0.provider == "python" })
        let names = Set(probes.map(\.name))
        for expected in ["function__entry", "function__return", "line", "gc__start", "gc__done", "import__find__load__start", "audit"] {
            #expect(names.contains(expected), "\(expected)")
        }
        let section = try #require(python.section(named: ".probes"))
        for probe in probes {
            // Every probe has a semaphore in .probes, whose file offset is the section's.
            let semaphore = try #require(probe.semaphoreAddress, "\(probe.name)")
            #expect(semaphore >= section.address && semaphore < section.address + section.size)
            #expect(probe.semaphoreFileOffset == section.fileOffset + (semaphore - section.address))
            #expect(python.address(ofFileOffset: probe.fileOffset) == probe.address)
            #expect(probe.arguments.allSatisfy { if case .success = $0 { return true } else { return false } }, "\(probe.name): \(probe.argumentText)")
        }
        // function__entry(filename, funcname, lineno): two pointers and a signed int.
        let entry = try #require(probes.first { $0.name == "function__entry" })
        let arguments = entry.arguments.compactMap { try? $0.get() }
        #expect(arguments.map(\.size) == [8, 8, 4])
        #expect(arguments.map(\.isSigned) == [false, false, true])
        // The code at the probe is a NOP (0x90) the uprobe replaces.
        let file = try #require(RandomAccessFile(path: Fixture.python))
        #expect(file.read(offset: Int(entry.fileOffset), count: 1) == [0x90])
        // gc__start reads memory: -4@112(%rsp) on this build (when built the same way).
        if let gcStart = probes.first(where: { $0.name == "gc__start" }), case .success(let argument)? = gcStart.arguments.first,
           case .memory(let memory) = argument.operand {
            #expect(memory.base?.register == .rsp)
        }
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.postgres))) func postgresProbes() throws {
        try Fixture.require(Fixture.postgres)
        let postgres = try ELFObject.load(path: Fixture.postgres).get()
        let probes = postgres.usdtProbes
        #expect(probes.count > 50)
        #expect(probes.allSatisfy { $0.provider == "postgresql" })
        // Every argument of every probe parses and resolves.
        for probe in probes {
            for argument in probe.arguments {
                if case .failure(let error) = argument { Issue.record("\(probe.name): \(error)") }
            }
            #expect(postgres.address(ofFileOffset: probe.fileOffset) == probe.address)
        }
        // checkpoint__done's arguments are fields of CheckpointStats and NBuffers, through %rip.
        let ripRelative = probes.flatMap { probe in
            probe.arguments.compactMap { result -> USDTMemoryOperand? in
                guard case .success(let argument) = result, case .memory(let memory) = argument.operand, memory.isRIPRelative else { return nil }
                return memory
            }
        }
        #expect(!ripRelative.isEmpty, "no sym(%rip) arguments in \(Fixture.postgres)")
        let nbuffers = try #require(postgres.symbolAddress(named: "NBuffers"))
        #expect(ripRelative.contains { $0.symbol == "NBuffers" && $0.symbolAddress == nbuffers && $0.displacement == 0 })
        let stats = try #require(postgres.symbolAddress(named: "CheckpointStats"))
        #expect(ripRelative.contains { $0.symbol == "CheckpointStats" && $0.displacement == 40 && $0.staticAddress(probeAddress: 0) == stats + 40 })
    }
}
