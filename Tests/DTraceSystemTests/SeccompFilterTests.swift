// DTraceSystemTests/SeccompFilterTests: the seccomp filter dtrace's -c command installs
// before exec (`SeccompFilter`) — checked as the kernel checks a classic-BPF program
// (bpf_check_classic and seccomp's opcode list: jumps in range, a return last) and run by
// an interpreter written here, independent of the builder, for every number 0..<1100 and
// the edge values, native and 32-bit, against the set it was built for; its bytes; the sets
// it refuses. Then the gate: a held `TargetProcess` released with a filter of 450 numbers
// (ones no program calls: x86-64 numbers end near 470) runs its command untouched, the
// kernel having taken the full-size program; one the kernel refuses leaves the command
// running without it and says why; a plain release sends none; a child killed while held
// never tried it (and releasing it is no SIGPIPE).

@testable import DTraceSystem
import Glibc
import Testing

/// The kernel's view of a seccomp program, written from linux/filter.h and
/// kernel/seccomp.c rather than from the builder.
enum ClassicSeccompMachine {
    /// Why the kernel would refuse `program`, or nil.
    static func refusal(_ program: [SeccompFilter.Instruction]) -> String? {
        guard !program.isEmpty, program.count <= 4096 else { return "length \(program.count)" }
        for (pc, instruction) in program.enumerated() {
            let left = program.count - pc - 1  // instructions after this one
            switch instruction.code {
            case 0x20:  // BPF_LD | BPF_W | BPF_ABS: an aligned word of struct seccomp_data (64 bytes)
                if instruction.constant % 4 != 0 || instruction.constant >= 64 { return "load at \(instruction.constant), pc \(pc)" }
            case 0x05:  // BPF_JA
                if instruction.constant >= UInt32(left) { return "ja out of range at pc \(pc)" }
            case 0x15, 0x25, 0x35, 0x45:  // jeq, jgt, jge, jset with k
                if Int(instruction.jumpIfTrue) >= left || Int(instruction.jumpIfFalse) >= left { return "jump out of range at pc \(pc)" }
            case 0x06:  // BPF_RET | BPF_K
                break
            default:
                return "opcode 0x\(String(instruction.code, radix: 16)) at pc \(pc)"
            }
        }
        return program.last?.code == 0x06 ? nil : "no return last"
    }

    /// The value the program returns for system call `number` of `architecture`, with the
    /// number of instructions it ran; nil if it runs off its end.
    static func run(_ program: [SeccompFilter.Instruction], number: UInt32, architecture: UInt32) -> (action: UInt32, steps: Int)? {
        var accumulator: UInt32 = 0
        var pc = 0
        var steps = 0
        while pc < program.count {
            let instruction = program[pc]
            steps += 1
            pc += 1
            switch instruction.code {
            case 0x20: accumulator = instruction.constant == 0 ? number : instruction.constant == 4 ? architecture : 0
            case 0x05: pc += Int(instruction.constant)
            case 0x15: pc += Int(accumulator == instruction.constant ? instruction.jumpIfTrue : instruction.jumpIfFalse)
            case 0x25: pc += Int(accumulator > instruction.constant ? instruction.jumpIfTrue : instruction.jumpIfFalse)
            case 0x35: pc += Int(accumulator >= instruction.constant ? instruction.jumpIfTrue : instruction.jumpIfFalse)
            case 0x45: pc += Int(accumulator & instruction.constant != 0 ? instruction.jumpIfTrue : instruction.jumpIfFalse)
            case 0x06: return (instruction.constant, steps)
            default: return nil
            }
        }
        return nil
    }
}

@Suite struct SeccompFilterTests {
    static let allow: UInt32 = 0x7fff_0000
    static let trace: UInt32 = 0x7ff0_0000
    static let x86_64: UInt32 = 0xc000_003e
    static let i386: UInt32 = 0x4000_0003

    /// Sets of numbers by the shape of program they make.
    static let sets: [(name: String, numbers: [Int])] = {
        var generator = SeededRandom(seed: 0x5ecc0)
        return [
            ("none", []),
            ("getpid", [39]),
            ("read, the lowest", [0]),
            ("getpid and write, unsorted, repeated", [39, 1, 39]),
            ("a range", Array(2...9)),
            ("a range and singles", [0, 3, 4, 5, 6, 60, 231, 435]),
            ("four leaves' worth", [1, 3, 5, 7, 9, 11, 13, 15, 17, 20, 21, 22]),
            ("every call 0..<450", Array(0..<450)),
            ("every other number 0..<900", Array(stride(from: 0, to: 900, by: 2))),
            ("every third and fourth", Array(0..<1000).filter { $0 % 4 >= 2 }),
            ("random 40 below 470", (0..<40).map { _ in Int.random(in: 0..<470, using: &generator) }),
            ("random 300 below 1000", (0..<300).map { _ in Int.random(in: 0..<1000, using: &generator) }),
            ("the largest number", [0x3fff_ffff]),
        ]
    }()

    @Test(arguments: sets.indices) func programIsValidAndDecidesEveryNumber(_ index: Int) throws {
        let (name, numbers) = Self.sets[index]
        let filter = try SeccompFilter(tracing: numbers)
        let program = filter.instructions
        #expect(ClassicSeccompMachine.refusal(program) == nil, "\(name)")
        #expect(filter.systemCallNumbers == Array(Set(numbers)).sorted())
        let traced = Set(numbers.map { UInt32($0) })
        let probes: [UInt32] = Array(0..<1100) + [0x3fff_fffe, 0x3fff_ffff, 0x4000_0000, 0x4000_0000 | 39, 0x4000_0000 | 1,
                                                  0x7fff_ffff, 0x8000_0000, 0xffff_ffff]
        var mostSteps = 0
        for number in probes {
            let native = try #require(ClassicSeccompMachine.run(program, number: number, architecture: Self.x86_64), "\(name): \(number)")
            let expected = traced.contains(number) ? Self.trace | UInt32(SeccompFilter.dtraceTraceData) : Self.allow
            #expect(native.action == expected, "\(name): number \(number)")
            mostSteps = max(mostSteps, native.steps)
            // 32-bit callers number their calls otherwise: never traced.
            #expect(ClassicSeccompMachine.run(program, number: number, architecture: Self.i386)?.action == Self.allow, "\(name): i386 \(number)")
        }
        // The search is logarithmic: a few compares more than the prologue's five even for 450 numbers.
        #expect(mostSteps <= 6 + 2 * 8 + 2 * SeccompFilter.leafRanges + 1, "\(name): \(mostSteps) steps")
    }

    @Test func bytesAreSockFilterStructures() throws {
        let filter = try SeccompFilter(tracing: [39], traceData: 0x1234)
        let bytes = filter.bytes
        #expect(bytes.count == filter.instructions.count * 8)
        // ld [4] (arch); jeq AUDIT_ARCH_X86_64, 1, 0
        #expect(Array(bytes[0..<16]) == [0x20, 0, 0, 0, 4, 0, 0, 0, 0x15, 0, 1, 0, 0x3e, 0, 0, 0xc0])
        // The leaf: jeq 39 → its RET_TRACE, then RET_ALLOW, RET_TRACE | data.
        #expect(Array(bytes.suffix(24)) == [0x15, 0, 1, 0, 39, 0, 0, 0,
                                              0x06, 0, 0, 0, 0, 0, 0xff, 0x7f,
                                              0x06, 0, 0, 0, 0x34, 0x12, 0xf0, 0x7f])
    }

    @Test func numbersThatMakeNoFilterAreRefused() {
        #expect(throws: SeccompFilter.BuildError.numberOutOfRange(-1)) { try SeccompFilter(tracing: [1, -1]) }
        #expect(throws: SeccompFilter.BuildError.numberOutOfRange(0x4000_0000)) { try SeccompFilter(tracing: [0x4000_0000]) }
        // 5000 numbers that merge into nothing are more than 4096 instructions.
        do {
            _ = try SeccompFilter(tracing: stride(from: 0, to: 10_000, by: 2))
            Issue.record("5000 separate numbers made a filter")
        } catch {
            guard case .tooLong(let count) = error else { Issue.record("\(error)"); return }
            #expect(count > 4096)
        }
        // What the builder's opening comment promises fits: 1300 ranges, 2000 single numbers.
        let ranges = try? SeccompFilter(tracing: (0..<1300).flatMap { [3 * $0, 3 * $0 + 1] })
        #expect(ranges.map { ClassicSeccompMachine.refusal($0.instructions) == nil } == true)
        let singles = try? SeccompFilter(tracing: stride(from: 0, to: 4000, by: 2))
        #expect(singles.map { ClassicSeccompMachine.refusal($0.instructions) == nil } == true)
    }

    /// Waits up to 5 s for the target's end; its ending.
    static func ending(of target: TargetProcess) -> String? {
        for _ in 0..<500 where target.ending == nil { usleep(10_000) }
        return target.ending
    }

    @Test func kernelTakesAFullSizeFilterAndTheCommandRuns() throws {
        // 450 numbers the kernel has no calls for: nothing `true` does is traced, so it runs
        // untraced and exits 0 with the filter in place.
        let filter = try SeccompFilter(tracing: stride(from: 600, to: 1500, by: 2))
        #expect(filter.instructions.count > 450)
        let target = try TargetProcess.spawn("true")
        #expect(target.systemCallFilterState() == .notSent)
        target.release(installing: filter)
        #expect(Self.ending(of: target) == "has exited")
        #expect(target.systemCallFilterState() == .installed)
    }

    @Test func aFilterTheKernelRefusesLeavesTheCommandRunning() throws {
        // A jump past the end: seccomp(2) says EINVAL; the command runs anyway, unfiltered.
        let broken = SeccompFilter(uncheckedInstructions: [
            SeccompFilter.Instruction(code: SeccompFilter.jumpIfEqual, jumpIfTrue: 5, jumpIfFalse: 0, constant: 39),
            SeccompFilter.Instruction(code: SeccompFilter.returnConstant, constant: SeccompFilter.returnAllow),
        ])
        #expect(ClassicSeccompMachine.refusal(broken.instructions) != nil)
        let target = try TargetProcess.spawn("false")
        target.release(installing: broken)
        #expect(Self.ending(of: target) == "exited with status 1")
        #expect(target.systemCallFilterState() == .refused(errorNumber: EINVAL))
    }

    @Test func plainReleaseSendsNoFilter() throws {
        let target = try TargetProcess.spawn("true")
        target.release()
        #expect(Self.ending(of: target) == "has exited")
        #expect(target.systemCallFilterState() == .notSent)
    }

    @Test func aChildKilledWhileHeldNeverTriedTheFilter() throws {
        let target = try TargetProcess.spawn("true")
        target.abandon()
        target.release(installing: try SeccompFilter(tracing: [39]))
        // The gate's reader is gone: EPIPE, not SIGPIPE for the test process.
        #expect(target.systemCallFilterState() == .childEnded)
        #expect(target.ending == "terminated by SIGKILL")
    }
}

