// DTracePtraceTests/BreakpointTableTests: the parts of tracee control that need no
// tracee — the breakpoint table over a memory of bytes (insert, users, remove, restore,
// lift and rearm for vfork, masking for copyin, the text a guardian reads), where the
// scratch page goes in an address space, the register words' order (the emulator's
// too) and wait statuses.

@testable import DTracePtrace
import DTraceELF
import DTraceSystem
import DTraceX86
import Testing

/// 4 KB of code at 0x1000 that the table writes into.
final class FakeCodeMemory: CodeMemory {
    var bytes: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let base: UInt64 = 0x1000
    var writes = 0

    func readCode(at address: UInt64, count: Int) throws(SystemError) -> [UInt8] {
        guard address >= base, address - base + UInt64(count) <= UInt64(bytes.count) else { throw SystemError("read", code: ErrorNumber.badAddress) }
        return Array(bytes[Int(address - base)..<Int(address - base) + count])
    }

    func writeCode(_ newBytes: [UInt8], at address: UInt64) throws(SystemError) {
        guard address >= base, address - base + UInt64(newBytes.count) <= UInt64(bytes.count) else { throw SystemError("write", code: ErrorNumber.badAddress) }
        bytes.replaceSubrange(Int(address - base)..<Int(address - base) + newBytes.count, with: newBytes)
        writes += 1
    }
}

@Suite struct BreakpointTableTests {
    @Test func insertWritesTrapAndRemoveRestores() throws {
        let memory = FakeCodeMemory()
        let original = memory.bytes
        var table = BreakpointTable()
        #expect(try table.insert(at: 0x1010, in: memory))
        #expect(try table.insert(at: 0x1020, in: memory))
        #expect(memory.bytes[0x10] == 0xCC && memory.bytes[0x20] == 0xCC)
        #expect(table.originalByte(at: 0x1010) == original[0x10])
        #expect(table.isArmed(at: 0x1010) && !table.isArmed(at: 0x1011))
        // A second user of one address: the byte stays until the last goes.
        #expect(try !table.insert(at: 0x1010, in: memory))
        #expect(try !table.remove(at: 0x1010, in: memory))
        #expect(memory.bytes[0x10] == 0xCC)
        #expect(try table.remove(at: 0x1010, in: memory))
        #expect(memory.bytes[0x10] == original[0x10])
        #expect(table.removedAddresses.contains(0x1010))
        try table.restoreAll(in: memory)
        #expect(memory.bytes == original)
        #expect(table.isEmpty)
        #expect(table.removedAddresses == [0x1010, 0x1020])
    }

    @Test func readsSeeOriginalBytes() throws {
        let memory = FakeCodeMemory()
        let original = memory.bytes
        var table = BreakpointTable()
        for address: UInt64 in [0x1000, 0x1003, 0x1FFF] { try table.insert(at: address, in: memory) }
        let raw = try memory.readCode(at: 0x1000, count: 8)
        #expect(raw[0] == 0xCC && raw[3] == 0xCC)
        #expect(table.masked(raw, at: 0x1000) == Array(original[0..<8]))
        #expect(table.masked(try memory.readCode(at: 0x1FF0, count: 16), at: 0x1FF0) == Array(original[0xFF0..<0x1000]))
        // A range with many bytes and few breakpoints, and one with no breakpoints.
        #expect(table.masked(memory.bytes, at: 0x1000) == original)
        #expect(table.masked([1, 2, 3], at: 0x5000) == [1, 2, 3])
    }

    @Test func liftAndRearmForVFork() throws {
        let memory = FakeCodeMemory()
        let original = memory.bytes
        var table = BreakpointTable()
        try table.insert(at: 0x1100, in: memory)
        try table.lift(in: memory)
        #expect(memory.bytes == original)
        #expect(!table.isArmed && !table.isArmed(at: 0x1100) && table.contains(0x1100))
        // Inserted while lifted: written at rearm.
        try table.insert(at: 0x1200, in: memory)
        #expect(memory.bytes == original)
        try table.rearm(in: memory)
        #expect(memory.bytes[0x100] == 0xCC && memory.bytes[0x200] == 0xCC)
        // Fork children get the original bytes; the table stays.
        let child = FakeCodeMemory()
        child.bytes = memory.bytes
        try table.writeOriginals(in: child)
        #expect(child.bytes == original)
        #expect(table.count == 2)
        table.forgetAll()
        #expect(table.isEmpty && table.removedAddresses.isEmpty)
    }

    @Test func restoreAllWritesEveryByteEvenAfterAFailure() throws {
        let memory = FakeCodeMemory()
        var table = BreakpointTable()
        try table.insert(at: 0x1001, in: memory)
        try table.insert(at: 0x1100, in: memory)
        memory.bytes.removeLast(4090)   // 0x1100 is now outside the memory
        #expect(throws: SystemError.self) { try table.restoreAll(in: memory) }
        #expect(memory.bytes[1] == FakeCodeMemory().bytes[1])
        #expect(table.isEmpty)
    }

    @Test func serializedForAGuardian() throws {
        let memory = FakeCodeMemory()
        var table = BreakpointTable()
        try table.insert(at: 0x1abc, in: memory)
        try table.insert(at: 0x1002, in: memory)
        let text = table.serialized(processID: 4242, startTime: 98765)
        #expect(text == "dtrace-breakpoints 1\nprocess 4242 98765\n1002 \(String(FakeCodeMemory().bytes[2], radix: 16))\n1abc \(String(FakeCodeMemory().bytes[0xabc], radix: 16))\n")
        let parsed = try #require(BreakpointTable.parse(serialized: text))
        #expect(parsed.processID == 4242 && parsed.startTime == 98765)
        #expect(parsed.breakpoints == table.savedBytes)
        #expect(BreakpointTable.parse(serialized: "garbage") == nil)
        #expect(BreakpointTable.parse(serialized: "dtrace-breakpoints 1\nprocess 1 2\nzz 1\n") == nil)
    }
}

@Suite struct ScratchPlacementTests {
    func mapping(_ start: UInt64, _ end: UInt64, _ path: String = "/bin/x") -> MemoryMapping {
        MemoryMapping(start: start, end: end, permissions: "r-xp", fileOffset: 0, device: "00:01", inode: 1, pathname: path)
    }

    @Test func nearestGapWithinReach() throws {
        let executable = [mapping(0x5555_5555_4000, 0x5555_5555_9000), mapping(0x5555_5555_9000, 0x5555_5557_0000, "[heap]"),
                          mapping(0x7fff_f7d0_0000, 0x7fff_f7f0_0000, "/lib/libc.so.6"), mapping(0x7fff_fffd_0000, 0x7fff_ffff_f000, "[stack]")]
        // Below the executable (the gap above it is the heap's).
        let below = try #require(ScratchPlacement.address(near: 0x5555_5555_5000, size: 4096, mappings: executable))
        #expect(below == 0x5555_5555_4000 - 0x2000)
        // Above libc, not just below the stack.
        let library = try #require(ScratchPlacement.address(near: 0x7fff_f7d8_0000, size: 4096, mappings: executable))
        #expect(library == 0x7fff_f7d0_0000 - 0x2000 || library == 0x7fff_f7f0_0000 + 0x1000)
        #expect(library % 4096 == 0)
        // Nothing within ±2 GB: no address.
        let crowded = [mapping(0x10000, 0x7fff_ffff_f000)]
        #expect(ScratchPlacement.address(near: 0x40_0000, size: 4096, mappings: crowded) == nil)
    }
}

@Suite struct RegisterAndStatusTests {
    @Test func registerWordsInKernelOrder() {
        let words = (0..<27).map { UInt64($0) + 100 }
        let registers = TraceeRegisters(words: words)
        #expect(registers.r15 == 100 && registers.rbp == 104 && registers.rax == 110 && registers.rdi == 114)
        #expect(registers.origRax == 115 && registers.rip == 116 && registers.eflags == 118 && registers.rsp == 119)
        #expect(registers.fsBase == 121 && registers.gs == 126)
        #expect(registers.words == words)
        #expect(TraceeRegisters.ripOffset == 128)
        // The emulator's registers are the same 27 words.
        let x86 = registers.x86Registers
        #expect(x86.rip == 116 && x86.rflags == 118 && x86.fsBase == 121)
        #expect(TraceeRegisters(x86) == registers)
    }

    @Test func waitStatuses() {
        #expect(WaitStatus(rawStatus: 3 << 8) == .exited(code: 3))
        #expect(WaitStatus(rawStatus: 9) == .killed(signal: 9, coreDumped: false))
        #expect(WaitStatus(rawStatus: 0x80 | 11) == .killed(signal: 11, coreDumped: true))
        #expect(WaitStatus(rawStatus: (5 << 8) | 0x7f) == .stopped(signal: 5, event: 0))
        #expect(WaitStatus(rawStatus: (4 << 16) | (5 << 8) | 0x7f) == .stopped(signal: 5, event: 4))
        #expect(WaitStatus(rawStatus: (0x85 << 8) | 0x7f) == .stopped(signal: 0x85, event: 0))
    }
}
