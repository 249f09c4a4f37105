// DTraceCodegen/DeferredStrings: strings read again at a system call's return. At a
// call's entry its path may lie in a page the process has not touched yet: the kernel
// faults it in during the call, but a BPF program cannot, so copyinstr() of it fails
// ("invalid address"). A copyinstr() at a syscall entry probe whose string only goes
// into the clause's record (printf("%s", copyinstr(arg0)), trace(copyinstr(arg1))) is
// read again when the call returns instead: the entry program leaves the record's slot
// empty with the address and fault details in it, notes the read in a per-thread map and
// marks the record "deferred" (its header's speculation word: reads << 24 | ticket); a
// program at the call's exit (the deferring calls' own syscalls:sys_exit_NAME tracepoints,
// or raw_syscalls' sys_exit; it leaves at once while no thread has a read pending, a count
// kept in globals) reads each noted string and sends it in a completion
// record (the ticket, the slot, the read's result, the bytes), which the consumer puts
// into the held record before it prints it. A read that fails at return too, or whose
// call never returns before tracing ends, is reported as the entry's fault would have
// been. This file owns which reads may be deferred (the analysis), the layout of the
// per-thread map and of completion records, and the sys_exit program.

import DTraceBPF
import DTraceIR

/// A copyinstr() whose string may be read again at the call's return.
public struct DeferredStringSite: Equatable, Sendable {
    /// The copyinstr call's instruction in the clause's function.
    public var instruction: Int
    /// Where its string lands in the clause's record, from the record's first byte.
    public var recordOffset: Int
    /// Where that record starts in scratch.
    public var recordStart: Int
}

public enum DeferredStrings {
    /// Reads a thread's call may defer; past them a read faults as before.
    public static let entriesPerThread = 8
    /// An entry: the address (u64), the ticket (u32), the slot's record offset (u32).
    public static let entrySize = 16
    /// The per-thread map's value: a count (u64), then the entries.
    public static let valueSize = 8 + entriesPerThread * entrySize
    /// Threads with reads pending at once (an LRU map: one that never returns is forgotten).
    public static let threads = 4096
    /// A deferred slot holds, after its empty string's NUL: the address (u64 at +8), the
    /// fault's action (u32 at +16) and DIF position (u32 at +20).
    public static let slotAddressOffset = 8, slotActionOffset = 16, slotPositionOffset = 20
    public static let minimumSlot = 24
    /// errno's EFAULT: the only failure read again.
    static let badAddress: Int32 = -14
    /// Below this an address is not a page that will be faulted in (NULL and its neighbours).
    static let lowestAddress: Int32 = 4096

    /// A completion record after the header: the slot's record offset (u32), the read's
    /// result (i32: the bytes read with the NUL, or a negative errno), then the string.
    public static let completionSlotOffset = RecordHeader.size, completionStatusOffset = RecordHeader.size + 4
    public static let completionStringOffset = RecordHeader.size + 8
    public static func completionSize(stringSize: Int) -> Int { (completionStringOffset + stringSize + 1 + 7) & ~7 }

    /// The header's speculation word of a deferred record: how many reads it waits for
    /// (high 8 bits) and its ticket (low 24 bits).
    public static func pending(_ word: UInt32) -> (reads: Int, ticket: UInt32) { (Int(word >> 24), word & 0xff_ffff) }

    /// The copyinstr() calls of a clause at a system call's entry that may be read again at
    /// its return: the string's only use is one copy into the record, nothing after the
    /// call changes state but the record, and the record is not speculative.
    public static func sites(in function: IRFunction, probe: ProbeIdentity, stringSize: Int) -> [DeferredStringSite] {
        guard probe.provider == "syscall", probe.name == "entry", stringSize + 1 >= minimumSlot,
              !ReplayedClauses.notReturningAlike.contains(probe.function) else { return [] }
        let instructions = function.instructions
        var definitions: [Int: [Int]] = [:]
        for (index, instruction) in instructions.enumerated() {
            if let written = instruction.writtenRegister { definitions[written.index, default: []].append(index) }
        }
        func scratchOffset(_ register: Register) -> Int? {
            guard let only = definitions[register.index], only.count == 1, case .address(_, .scratch, let offset) = instructions[only[0]] else { return nil }
            return offset
        }
        func constant(_ register: Register) -> Int64? {
            guard let only = definitions[register.index], only.count == 1, case .constant(_, let value) = instructions[only[0]] else { return nil }
            return value
        }
        // The one record, in scratch.
        var record: (start: Int, size: Int)?
        for instruction in instructions {
            switch instruction {
            case .call(.submitRecord, _, let arguments):
                guard record == nil, arguments.count == 2, let start = scratchOffset(arguments[0]), let size = constant(arguments[1]) else { return [] }
                record = (start, Int(size))
            case .call(.speculate, _, _), .call(.speculation, _, _): return []
            default: break
            }
        }
        guard let record else { return [] }
        var found: [DeferredStringSite] = []
        for (index, instruction) in instructions.enumerated() {
            guard case .call(.copyInString, let result, let arguments) = instruction, arguments.count >= 2, scratchOffset(arguments[0]) != nil else { continue }
            let names: Set<Int> = Set([arguments[0].index] + (result.map { [$0.index] } ?? []))
            // Every use of the string: one copy into the record, after the call.
            var copyTarget: Int?
            var otherUse = false
            for (later, other) in instructions.enumerated() where later != index {
                guard other.readRegisters.contains(where: { names.contains($0.index) }) else { continue }
                if later > index, case .call(.stringCopy, _, let copy) = other, copy.count == 2, names.contains(copy[1].index), !names.contains(copy[0].index),
                   copyTarget == nil, let target = scratchOffset(copy[0]) {
                    copyTarget = target
                } else {
                    otherUse = true
                }
            }
            guard !otherUse, let target = copyTarget, target >= record.start, target - record.start + stringSize + 1 <= record.size else { continue }
            guard instructions[(index + 1)...].allSatisfy(changesOnlyTheRecord) else { continue }
            found.append(DeferredStringSite(instruction: index, recordOffset: target - record.start, recordStart: record.start))
        }
        return found
    }

    /// Whether an instruction after a deferred read leaves all state but scratch (the
    /// record) as it was, so that holding the record back changes nothing else.
    static func changesOnlyTheRecord(_ instruction: Instruction) -> Bool {
        switch instruction {
        case .store(_, _, _, _, let space): return space == .scratch
        case .call(let helper, _, _):
            switch helper {
            case .readBuiltin, .readArgument, .readUserRegister, .stringLength, .stringCompare, .stringCopy, .stringCopyBounded,
                 .integerToString, .copyInString, .copyInKernelString, .copyInKernel, .copyIn, .zeroBytes, .mapLookup, .submitRecord:
                return true
            default: return false
            }
        default: return true
        }
    }

    /// The program on raw_syscalls' sys_exit: every read its thread's call deferred, read
    /// again and sent as a completion record; then the thread's entry is deleted.
    /// `threadsPending`: the globals map and the offset of its count of threads with reads
    /// pending, which the program tests first (most calls return with none anywhere).
    public static func completionProgram(pending: Int32, records: Int32, threadsPending: (globals: Int32, offset: Int), stringSize: Int) throws(BPFAssemblyError) -> [BPFInstruction] {
        var asm = BPFAssembler()
        let done = asm.newLabel(), leave = asm.newLabel()
        asm.load(.r6, mapValue: threadsPending.globals, offset: Int32(threadsPending.offset))
        asm.load(.r1, from: .r6, offset: 0, size: .double)
        asm.jump(.jeq, .r1, immediate: 0, leave)
        asm.call(.getCurrentPIDTGID)
        asm.alu32(.mov, .r0, .r0)
        asm.store(.r0, to: .frame, offset: -8, size: .double)
        asm.load(.r1, mapDescriptor: pending)
        asm.move(.r2, .frame)
        asm.alu64(.add, .r2, immediate: -8)
        asm.call(.mapLookupElement)
        asm.jump(.jeq, .r0, immediate: 0, leave)
        asm.move(.r7, .r0)
        asm.load(.r8, from: .r7, offset: 0, size: .double)
        let size = completionSize(stringSize: stringSize)
        for entry in 0..<entriesPerThread {
            let base = Int16(8 + entry * entrySize)
            asm.jump(.jle, .r8, immediate: Int32(entry), done)
            asm.load(.r1, mapDescriptor: records)
            asm.load(.r2, constant: Int64(size))
            asm.load(.r3, constant: 0)
            asm.call(.ringbufReserve)
            asm.jump(.jeq, .r0, immediate: 0, done)
            asm.move(.r9, .r0)
            asm.store(immediate: RecordHeader.Kind.deferredString.rawValue, to: .r9, offset: RecordHeader.kindOffset, size: .word)
            asm.store(immediate: 0, to: .r9, offset: RecordHeader.epidOffset, size: .word)
            asm.store(immediate: 0, to: .r9, offset: RecordHeader.cpuOffset, size: .word)
            asm.load(.r1, from: .r7, offset: base + 8, size: .word)
            asm.store(.r1, to: .r9, offset: RecordHeader.speculationOffset, size: .word)
            asm.load(.r1, from: .r7, offset: base + 12, size: .word)
            asm.store(.r1, to: .r9, offset: Int16(completionSlotOffset), size: .word)
            asm.move(.r1, .r9)
            asm.alu64(.add, .r1, immediate: Int32(completionStringOffset))
            asm.load(.r2, constant: Int64(stringSize + 1))
            asm.load(.r3, from: .r7, offset: base, size: .double)
            asm.call(.probeReadUserString)
            asm.store(.r0, to: .r9, offset: Int16(completionStatusOffset), size: .word)
            asm.move(.r1, .r9)
            asm.load(.r2, constant: 0)
            asm.call(.ringbufSubmit)
        }
        asm.bind(done)
        asm.load(.r1, mapDescriptor: pending)
        asm.move(.r2, .frame)
        asm.alu64(.add, .r2, immediate: -8)
        asm.call(.mapDeleteElement)
        asm.jump(.jne, .r0, immediate: 0, leave)
        asm.load(.r1, constant: -1)
        asm.atomicFetchAdd(base: .r6, offset: 0, value: .r1)
        asm.bind(leave)
        asm.load(.r0, constant: 0)
        asm.exit()
        return try asm.assemble()
    }
}

extension BPFCodeGenerator {
    /// copyinstr()'s read (r1 = the destination, r2 = its size), the address kept in the
    /// fault area: to `done` when it reads, to `failed` (a fault) when it fails otherwise
    /// than on a page not yet faulted in; on such a page it goes on, r3 = the address.
    mutating func readUserStringOrGoOn(from source: Register, done: BPFLabel, failed: BPFLabel) {
        let area = Int16(layout.faultAreaOffset)
        load(.r3, source)
        asm.store(.r3, to: .r7, offset: area + 24, size: .double)
        asm.call(.probeReadUserString)
        asm.jump(.jsge, .r0, immediate: 0, done)
        asm.jump(.jne, .r0, immediate: DeferredStrings.badAddress, failed)
        asm.load(.r3, from: .r7, offset: area + 24, size: .double)
        asm.jump(.jlt, .r3, immediate: DeferredStrings.lowestAddress, failed)
    }

    /// copyinstr()'s read at a deferrable site (r1 = the destination, r2 = its size): as
    /// `readStringWithFault`, but a read that fails with EFAULT at an address that is not
    /// near NULL is noted for the call's return instead, its destination left empty and
    /// the record's slot given the address and the fault's details.
    mutating func readStringOrDefer(from source: Register, site deferred: DeferredStringSite) {
        let failed = asm.newLabel(), done = asm.newLabel(), haveTicket = asm.newLabel(), haveEntry = asm.newLabel()
        let area = Int16(layout.faultAreaOffset)
        asm.store(.r1, to: .frame, offset: Self.temporary, size: .double)
        readUserStringOrGoOn(from: source, done: done, failed: failed)
        // This clause's ticket: the CPU (8 bits) and its count of deferring clauses (16).
        asm.load(.r1, from: .r7, offset: Int16(layout.deferTicketOffset), size: .double)
        asm.jump(.jne, .r1, immediate: 0, haveTicket)
        asm.call(.getSMPProcessorID)
        asm.alu64(.and, .r0, immediate: 0xff)
        asm.alu64(.lsh, .r0, immediate: 16)
        asm.load(.r1, from: .r7, offset: Int16(layout.deferCounterOffset), size: .double)
        asm.alu64(.add, .r1, immediate: 1)
        asm.store(.r1, to: .r7, offset: Int16(layout.deferCounterOffset), size: .double)
        asm.alu64(.and, .r1, immediate: 0xffff)
        asm.alu64(.or, .r0, .r1)
        asm.skip(1, if: .jne, .r0, immediate: 0)
        asm.load(.r0, constant: 1)
        asm.store(.r0, to: .r7, offset: Int16(layout.deferTicketOffset), size: .double)
        asm.bind(haveTicket)
        // The thread's entry, made when it has none.
        asm.call(.getCurrentPIDTGID)
        asm.alu32(.mov, .r0, .r0)
        asm.store(.r0, to: .r7, offset: Int16(layout.deferKeyOffset), size: .double)
        lookup(map: maps.pendingStrings, keyInScratchAt: layout.deferKeyOffset)
        asm.jump(.jne, .r0, immediate: 0, haveEntry)
        lookup(map: maps.pendingStrings, keyInScratchAt: layout.deferKeyOffset, creatingFrom: layout.deferZeroOffset)
        let counted = asm.newLabel()
        asm.jump(.jne, .r0, immediate: 0, counted)             // another CPU made it (not this thread's)
        asm.load(.r1, constant: 1)
        asm.atomicFetchAdd(base: .r8, offset: Int16(layout.pendingStringThreadsOffset), value: .r1)
        asm.bind(counted)
        lookup(map: maps.pendingStrings, keyInScratchAt: layout.deferKeyOffset)
        asm.jump(.jeq, .r0, immediate: 0, failed)
        asm.bind(haveEntry)
        asm.load(.r1, from: .r0, offset: 0, size: .double)
        asm.jump(.jge, .r1, immediate: Int32(DeferredStrings.entriesPerThread), failed)
        asm.move(.r2, .r1)
        asm.alu64(.add, .r2, immediate: 1)
        asm.store(.r2, to: .r0, offset: 0, size: .double)
        asm.alu64(.and, .r1, immediate: Int32(DeferredStrings.entriesPerThread - 1))
        asm.alu64(.lsh, .r1, immediate: 4)                      // entrySize
        asm.alu64(.add, .r0, .r1)
        asm.load(.r3, from: .r7, offset: area + 24, size: .double)
        asm.store(.r3, to: .r0, offset: 8, size: .double)
        asm.load(.r1, from: .r7, offset: Int16(layout.deferTicketOffset), size: .double)
        asm.store(.r1, to: .r0, offset: 16, size: .word)
        asm.store(immediate: Int32(deferred.recordOffset), to: .r0, offset: 20, size: .word)
        asm.load(.r1, from: .r7, offset: Int16(layout.deferCountOffset), size: .double)
        asm.alu64(.add, .r1, immediate: 1)
        asm.store(.r1, to: .r7, offset: Int16(layout.deferCountOffset), size: .double)
        // The slot: an empty string, then the address and the fault's details.
        let slot = Int16(deferred.recordStart + deferred.recordOffset)
        asm.store(.r3, to: .r7, offset: slot + Int16(DeferredStrings.slotAddressOffset), size: .double)
        let action = currentInstruction < function.actionOfInstruction.count ? function.actionOfInstruction[currentInstruction] : 0
        let position = function.compiledPositions.map { $0[currentInstruction] } ?? currentInstruction
        asm.store(immediate: Int32(action), to: .r7, offset: slot + Int16(DeferredStrings.slotActionOffset), size: .word)
        asm.store(immediate: Int32(position * 4), to: .r7, offset: slot + Int16(DeferredStrings.slotPositionOffset), size: .word)
        asm.load(.r1, from: .frame, offset: Self.temporary, size: .double)
        asm.store(immediate: 0, to: .r1, offset: 0, size: .byte)
        asm.jump(done)
        asm.bind(failed)
        fault(.badAddress, from: .alreadyStored)
        asm.bind(done)
    }
}
