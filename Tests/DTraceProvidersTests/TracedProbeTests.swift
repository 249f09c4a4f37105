// DTraceProvidersTests/TracedProbeTests: what the providers tell the ptrace engine — the
// sites of pid, USDT and syscall probes, and their arguments read from a stopped thread
// (a fake one here: registers in user_regs_struct order and a little memory).

import DTraceELF
import DTraceIR
@testable import DTraceProviders
import Testing

struct FakeThread: StoppedThread {
    var registers = [UInt64](repeating: 0, count: 27)
    var memory: [UInt64: [UInt8]] = [:]

    mutating func set(_ savedOffset: Int, _ value: UInt64) { registers[savedOffset / 8] = value }
    mutating func store(_ value: UInt64, at address: UInt64, size: Int = 8) {
        for index in 0..<size { memory[address + UInt64(index)] = [UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))] }
    }
    func read(address: UInt64, count: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        for index in 0..<count {
            guard let byte = memory[address + UInt64(index)]?.first else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}

@Suite struct TracedProbeTests {
    func probe(_ provider: any Provider, _ detail: any Sendable) -> Probe {
        Probe(identity: ProbeIdentity(id: 1, provider: provider.name, module: "m", function: "f", name: "n"), provider: provider, detail: detail)
    }

    @Test func pidEntryReadsRegistersThenTheStack() throws {
        let site = UprobeSite(path: "/bin/x", fileOffset: 0x1234, returns: false, processID: 7)
        let traced = try #require(PidProvider().tracedProbe(for: probe(PidProvider(), UserCodeProbe(site: site, kind: .entry, handling: nil))))
        #expect(traced.sites == [.instruction(path: "/bin/x", fileOffset: 0x1234)])
        var thread = FakeThread()
        for (index, offset) in SavedRegisters.arguments.enumerated() { thread.set(offset, UInt64(index + 1)) }
        thread.set(SavedRegisters.rsp, 0x7000)
        thread.store(0xdead, at: 0x7000)                 // the return address
        for index in 0..<4 { thread.store(UInt64(70 + index), at: 0x7008 + UInt64(8 * index)) }
        #expect(traced.arguments(thread, 0) == [1, 2, 3, 4, 5, 6])
        // arg6..arg9 are read from the stack only when a clause asks for them.
        #expect((6..<10).map { traced.laterArgument?(thread, $0) } == [70, 71, 72, 73])
    }

    @Test func pidReturnGivesZeroAndTheValue() throws {
        let site = UprobeSite(path: "/bin/x", fileOffset: 0x10, returns: true, processID: 7)
        let traced = try #require(PidProvider().tracedProbe(for: probe(PidProvider(), UserCodeProbe(site: site, kind: .return, handling: nil))))
        #expect(traced.sites == [.functionReturn(path: "/bin/x", fileOffset: 0x10)])
        var thread = FakeThread()
        thread.set(SavedRegisters.rax, UInt64(bitPattern: -5))
        #expect(traced.arguments(thread, 0) == [0, -5])
    }

    @Test func usdtArgumentsFromRegistersMemoryAndLinkedAddresses() throws {
        let reads = [
            USDTArgumentRead(source: .register(offset: SavedRegisters.rax, bitOffset: 0), size: 4, isSigned: true),
            USDTArgumentRead(source: .register(offset: SavedRegisters.rax, bitOffset: 8), size: 1, isSigned: false),  // %ah
            USDTArgumentRead(source: .memory(base: SavedRegisters.rbp, index: nil, scale: 1, displacement: -8), size: 8, isSigned: false),
            USDTArgumentRead(source: .linked(address: 0x4020), size: 2, isSigned: true),
            USDTArgumentRead(source: .constant(-3), size: 4, isSigned: true),
        ]
        let detail = StaticUserProbe(sites: [UprobeSite(path: "/bin/x", fileOffset: 0x100, returns: false, processID: 7)], linkAddresses: [0x1100],
                                     arguments: reads, specification: "")
        let traced = try #require(USDTProvider().tracedProbe(for: probe(USDTProvider(), detail)))
        var thread = FakeThread()
        thread.set(SavedRegisters.rax, 0x12_34_ff_ff_ff_fe)   // eax = -2, ah = 0xff
        thread.set(SavedRegisters.rbp, 0x9000)
        thread.store(77, at: 0x9000 - 8)
        // Loaded 0x5550_0000_0000 higher than linked: the site is there now.
        let bias: UInt64 = 0x5550_0000_0000
        thread.set(SavedRegisters.rip, 0x1100 + bias)
        thread.store(0xfffe, at: 0x4020 + bias, size: 2)
        #expect(traced.arguments(thread, 0) == [-2, 0xff, 77, -2, -3])
    }

    @Test func syscallReturnSaysFailureAsMinusOneAndErrno() throws {
        let traced = try #require(SyscallProvider().tracedProbe(for: probe(SyscallProvider(), SyscallProbe(call: "close", isReturn: true))))
        #expect(traced.sites == [.systemCall(number: 3, returns: true)])
        var thread = FakeThread()
        thread.set(SavedRegisters.rax, UInt64(bitPattern: -9))
        #expect(traced.arguments(thread, 0) == [-1, -1])
        #expect(traced.errorNumber(thread) == 9)
        thread.set(SavedRegisters.rax, 0)
        #expect(traced.arguments(thread, 0) == [0, 0] && traced.errorNumber(thread) == 0)
        let entry = try #require(SyscallProvider().tracedProbe(for: probe(SyscallProvider(), SyscallProbe(call: "close", isReturn: false))))
        thread.set(SavedRegisters.rdi, 42)
        thread.set(SavedRegisters.r10, 9)
        #expect(entry.arguments(thread, 0) == [42, 0, 0, 9, 0, 0])
    }

    @Test func kernelOnlyProvidersHaveNoTracedProbes() {
        #expect(SDTProvider().tracedProbe(for: probe(SDTProvider(), TracepointProbe(group: "sched", event: "sched_switch"))) == nil)
    }
}
