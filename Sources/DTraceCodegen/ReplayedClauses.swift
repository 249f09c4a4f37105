// DTraceCodegen/ReplayedClauses: clauses at a system call's entry run again at its
// return when a copyinstr() in them finds its string in a page the process has not
// touched yet. The kernel faults such a page in during the call, a BPF program cannot,
// so at entry the read fails ("invalid address"). DeferredStrings reads again a string
// that only goes into the clause's record; a string kept in a variable
// (`self->path = copyinstr(arg1)`), used as an aggregation key
// (`@[copyinstr(arg0)] = count()`) or tested is handled here instead: when everything the
// clause does before each of its copyinstr() calls changes nothing but scratch memory,
// and it reads nothing that would differ at the call's return (walltimestamp, vtimestamp,
// stacks, user registers, errno), the entry notes the thread's arguments, its timestamp and this
// clause's bit in a per-thread map and leaves as if it had not fired; a program on the call's own
// syscalls:sys_exit_NAME tracepoint (attached before the return probes) runs the same
// clause with the noted arguments and timestamp — as the entry probe, before the call's return probes
// fire. A read that fails there too is the clause's fault, as at entry. This file owns
// which clauses may be replayed, the per-thread map's layout, the entry's note and the
// replaying program's prologue.

import DTraceBPF
import DTraceIR

/// Where an entry clause notes that it is to be run again: the map and its bit.
public struct ReplaySite: Sendable, Equatable {
    public var map: Int32
    public var bit: Int
    public init(map: Int32, bit: Int) { self.map = map; self.bit = bit }
}

public enum ReplayedClauses {
    /// Enablings that may be replayed (a bit each in the map's value).
    public static let maximumEnablings = 64
    /// Threads with a replay pending at once (an LRU map: one that never returns is forgotten).
    public static let threads = 4096
    /// The arguments an entry notes: a system call has six.
    public static let argumentCount = 6
    /// The map's value: the enablings to run again (a bit each), arg0..arg5, then the
    /// address the read failed at (u64) and the fault's action (u32) and DIF position
    /// (u32) — what is reported for a call that has not returned when tracing ends.
    public static let valueSize = 8 + argumentCount * 8 + 16 + 8
    public static let addressOffset = 8 + argumentCount * 8, actionOffset = addressOffset + 8, positionOffset = addressOffset + 12
    /// Then the entry's timestamp (u64): the replayed clause's timestamp (one per firing).
    public static let timestampOffset = positionOffset + 4

    /// Whether a clause at a system call's entry may be run again at the call's return
    /// when one of its copyinstr() reads finds its page absent: it has such a read, each
    /// one comes before anything that changes more than scratch memory, and it reads no
    /// value that the return would give otherwise.
    public static func replays(_ function: IRFunction, probe: ProbeIdentity) -> Bool {
        guard probe.provider == "syscall", probe.name == "entry", !notReturningAlike.contains(probe.function) else { return false }
        let instructions = function.instructions
        var reads = 0
        for (index, instruction) in instructions.enumerated() {
            guard case .call(let helper, _, _) = instruction else { continue }
            switch helper {
            case .copyInString:
                reads += 1
                guard runsTwiceAlike(instructions[..<index]) else { return false }
            case .readBuiltin(let variable):
                switch variable {
                case .walltimestamp, .vtimestamp, .errno, .stackdepth, .ustackdepth, .caller, .ucaller, .cpu, .cwd, .root: return false
                default: break
                }
            // The call may have changed the memory copyin() reads by its return.
            case .stackID, .readUserRegister, .copyIn: return false
            default: break
            }
        }
        return reads > 0
    }

    /// Calls whose return is not in the process that entered them as it was: a
    /// successful exec returns in a new program (its memory and execname are another's).
    public static let notReturningAlike: Set<String> = ["execve", "execveat"]

    /// Whether instructions run at the entry and again at the return leave the state as
    /// one run would: they change nothing but scratch memory, or they also set variables
    /// (self->ts = timestamp) but read none — the second run writes the same values. A
    /// write through a helper (a string copied) counts unless its destination is known
    /// to be scratch; the address of a global taken counts as reading it.
    static func runsTwiceAlike(_ instructions: ArraySlice<Instruction>) -> Bool {
        var definitions: [Int: [Instruction]] = [:]
        for instruction in instructions {
            if let written = instruction.writtenRegister { definitions[written.index, default: []].append(instruction) }
        }
        func inScratch(_ register: Register) -> Bool {
            guard let only = definitions[register.index], only.count == 1, case .address(_, .scratch, _) = only[0] else { return false }
            return true
        }
        var writes = false, readsVariables = false
        for instruction in instructions {
            switch instruction {
            case .store(_, _, _, _, .mapValue), .store(_, _, _, _, .global), .call(.mapLookupOrCreate, _, _), .call(.mapDelete, _, _): writes = true
            case .load(_, _, _, _, .mapValue), .load(_, _, _, _, .global), .call(.mapLookup, _, _), .address(_, .global, _), .address(_, .mapValue, _):
                readsVariables = true
            case .call(.submitRecord, _, _): return false
            case .call(.stringCopy, _, let arguments), .call(.stringCopyBounded, _, let arguments), .call(.integerToString, _, let arguments),
                 .call(.zeroBytes, _, let arguments), .call(.copyInString, _, let arguments), .call(.copyInKernelString, _, let arguments),
                 .call(.copyInKernel, _, let arguments):
                if let destination = arguments.first, !inScratch(destination) { writes = true }
            default: guard DeferredStrings.changesOnlyTheRecord(instruction) else { return false }
            }
        }
        return !(writes && readsVariables)
    }
}

extension BPFCodeGenerator {
    /// copyinstr()'s read in a clause that may be replayed (r1 = the destination, r2 = its
    /// size): as `readStringWithFault`, but a read that fails with EFAULT at an address
    /// that is not near NULL notes the thread's arguments and the clause's bit in the map
    /// and leaves the clause, which runs again at the call's return.
    mutating func readStringOrReplay(from source: Register, replay: ReplaySite) {
        let failed = asm.newLabel(), done = asm.newLabel()
        let area = Int16(layout.faultAreaOffset)
        readUserStringOrGoOn(from: source, done: done, failed: failed)
        // The thread's entry (made when it has none), its bit set and the arguments and
        // the firing's timestamp kept.
        firingTimestamp()
        asm.call(.getCurrentPIDTGID)
        asm.alu32(.mov, .r0, .r0)
        asm.store(.r0, to: .r7, offset: Int16(layout.deferKeyOffset), size: .double)
        lookup(map: replay.map, keyInScratchAt: layout.deferKeyOffset, creatingFrom: layout.deferZeroOffset)
        lookup(map: replay.map, keyInScratchAt: layout.deferKeyOffset)
        asm.jump(.jeq, .r0, immediate: 0, failed)
        asm.load(.r1, from: .r0, offset: 0, size: .double)
        asm.load(.r2, constant: Int64(bitPattern: UInt64(1) << UInt64(replay.bit)))
        asm.alu64(.or, .r1, .r2)
        asm.store(.r1, to: .r0, offset: 0, size: .double)
        let context = layout.probeContextOffset
        for index in 0..<ReplayedClauses.argumentCount {
            asm.load(.r1, from: .r7, offset: Int16(context + 8 * index), size: .double)
            asm.store(.r1, to: .r0, offset: Int16(8 + 8 * index), size: .double)
        }
        let action = currentInstruction < function.actionOfInstruction.count ? function.actionOfInstruction[currentInstruction] : 0
        let position = function.compiledPositions.map { $0[currentInstruction] } ?? currentInstruction
        asm.load(.r1, from: .r7, offset: area + 24, size: .double)
        asm.store(.r1, to: .r0, offset: Int16(ReplayedClauses.addressOffset), size: .double)
        asm.store(immediate: Int32(action), to: .r0, offset: Int16(ReplayedClauses.actionOffset), size: .word)
        asm.store(immediate: Int32(position * 4), to: .r0, offset: Int16(ReplayedClauses.positionOffset), size: .word)
        asm.load(.r1, from: .r7, offset: Int16(layout.probeContextOffset + 8 * ProbeContextSlots.timestamp), size: .double)
        asm.store(.r1, to: .r0, offset: Int16(ReplayedClauses.timestampOffset), size: .double)
        asm.jump(exitLabel)
        asm.bind(failed)
        fault(.badAddress, from: .alreadyStored)
        asm.bind(done)
    }
}

/// The prologue of a replaying program, on the call's syscalls:sys_exit_NAME tracepoint:
/// it runs only for a thread whose entry noted this enabling's bit (cleared as it goes),
/// and gives the clause the arguments and the timestamp the entry noted.
public struct ReplayPrologue: ProbePrologue {
    public let replay: ReplaySite
    public let argumentCount: Int

    public init(replay: ReplaySite, argumentCount: Int) {
        self.replay = replay; self.argumentCount = min(argumentCount, ReplayedClauses.argumentCount)
    }

    /// r0 = this thread's entry in the map (0 when it has none), its key put in the
    /// frame at `keyAt`.
    func lookUpThread(_ code: inout PrologueCode, keyAt slot: Int16) {
        code.asm.call(.getCurrentPIDTGID)
        code.asm.alu32(.mov, .r0, .r0)
        code.asm.store(.r0, to: .frame, offset: slot, size: .double)
        code.asm.load(.r1, mapDescriptor: replay.map)
        code.asm.move(.r2, .frame)
        code.asm.alu64(.add, .r2, immediate: Int32(slot))
        code.asm.call(.mapLookupElement)
    }

    public func emitFilter(_ code: inout PrologueCode) {
        lookUpThread(&code, keyAt: PrologueCode.filterKey)
        code.asm.jump(.jeq, .r0, immediate: 0, code.exit)
        code.asm.load(.r1, from: .r0, offset: 0, size: .double)
        code.asm.load(.r2, constant: Int64(bitPattern: UInt64(1) << UInt64(replay.bit)))
        code.asm.move(.r3, .r1)
        code.asm.alu64(.and, .r3, .r2)
        code.asm.jump(.jeq, .r3, immediate: 0, code.exit)
        code.asm.alu64(.xor, .r1, .r2)
        code.asm.store(.r1, to: .r0, offset: 0, size: .double)
    }

    public func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        // The key in the frame's temporary: the filter's slot is a lookup site's by now.
        lookUpThread(&code, keyAt: PrologueCode.frameTemporary)
        code.asm.jump(.jeq, .r0, immediate: 0, code.exit)
        for index in 0..<argumentCount where demand.needsArgument(index) {
            code.asm.load(.r1, from: .r0, offset: Int16(8 + 8 * index), size: .double)
            code.storeArgument(index, from: .r1)
        }
        code.asm.load(.r1, from: .r0, offset: Int16(ReplayedClauses.timestampOffset), size: .double)
        code.asm.store(.r1, to: .r7, offset: code.timestampSlot, size: .double)
    }
}
