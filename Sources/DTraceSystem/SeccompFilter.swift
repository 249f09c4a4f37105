// DTraceSystem/SeccompFilter: the classic-BPF seccomp program that sends the system calls
// dtrace traces in a ptrace'd -c command to its tracer (SECCOMP_RET_TRACE: a seccomp stop,
// PTRACE_O_TRACESECCOMP) and lets every other call run untouched (SECCOMP_RET_ALLOW), so
// an untraced call costs a few compares instead of two ptrace stops (PTRACE_SYSCALL).
// It is built here, as data (struct sock_filter, 8 bytes each), and installed by the held
// child itself just before it execs (`TargetProcess.release(installing:)`).
//
// The program: seccomp_data.arch must be AUDIT_ARCH_X86_64 (32-bit int 0x80 callers
// number their calls differently: allowed, untraced); a number with the x32 bit
// (0x40000000) is allowed; otherwise the numbers, merged into sorted ranges, are found by
// a binary search whose leaves compare at most `leafRanges` ranges, each leaf with its own
// RET_ALLOW and RET_TRACE. A conditional jump (jt/jf are u8) therefore only ever skips
// an instruction or jumps within its leaf; the way to a right subtree is BPF_JA, whose
// offset is 32 bits. Any set of numbers below 0x40000000 that merges into at most 1300
// ranges (or 2000 separate numbers) fits within the kernel's 4096 instructions; x86-64 has
// ~380 calls, numbered below 470.
//
// Caveats the tracer must keep in mind (the kernel's rules, not ours):
// - With no tracer attached (or one without PTRACE_O_TRACESECCOMP), a RET_TRACE call is not
//   run: it fails with ENOSYS. The filter is kept across exec and inherited by every child
//   and thread, and cannot be removed, so processes that carry it must stay traced.
// - A process without CAP_SYS_ADMIN must set no_new_privs first (the child does so only when
//   the kernel asks: EACCES); set-user-ID and file capabilities then no longer raise privileges
//   at exec.

/// A seccomp filter program for x86-64: SECCOMP_RET_TRACE (with `traceData`) for the
/// system calls in `systemCallNumbers`, SECCOMP_RET_ALLOW for everything else.
public struct SeccompFilter: Equatable, Sendable {
    /// One `struct sock_filter`: u16 code, u8 jt, u8 jf, u32 k (little-endian).
    public struct Instruction: Equatable, Sendable, CustomStringConvertible {
        public var code: UInt16
        public var jumpIfTrue: UInt8
        public var jumpIfFalse: UInt8
        public var constant: UInt32

        public init(code: UInt16, jumpIfTrue: UInt8 = 0, jumpIfFalse: UInt8 = 0, constant: UInt32) {
            self.code = code; self.jumpIfTrue = jumpIfTrue; self.jumpIfFalse = jumpIfFalse; self.constant = constant
        }

        public var description: String {
            "{ 0x\(String(code, radix: 16)), \(jumpIfTrue), \(jumpIfFalse), 0x\(String(constant, radix: 16)) }"
        }
    }

    /// Why a set of numbers makes no filter.
    public enum BuildError: Error, Equatable, Sendable {
        /// Not a system call number of the x86-64 ABI (negative, or with the x32 bit or above).
        case numberOutOfRange(Int)
        /// The program would be longer than the kernel takes (BPF_MAXINSNS).
        case tooLong(instructions: Int)
    }

    // Classic BPF opcodes (linux/filter.h, linux/bpf_common.h).
    public static let loadWordAbsolute: UInt16 = 0x20      // BPF_LD | BPF_W | BPF_ABS
    public static let jumpAlways: UInt16 = 0x05            // BPF_JMP | BPF_JA (k: 32-bit offset)
    public static let jumpIfEqual: UInt16 = 0x15           // BPF_JMP | BPF_JEQ | BPF_K
    public static let jumpIfGreater: UInt16 = 0x25         // BPF_JMP | BPF_JGT | BPF_K
    public static let jumpIfGreaterOrEqual: UInt16 = 0x35  // BPF_JMP | BPF_JGE | BPF_K
    public static let jumpIfAnyBitSet: UInt16 = 0x45       // BPF_JMP | BPF_JSET | BPF_K
    public static let returnConstant: UInt16 = 0x06        // BPF_RET | BPF_K

    // linux/seccomp.h and linux/audit.h.
    public static let returnAllow: UInt32 = 0x7fff_0000    // SECCOMP_RET_ALLOW
    public static let returnTrace: UInt32 = 0x7ff0_0000    // SECCOMP_RET_TRACE (| 16 bits of data)
    public static let architectureX86_64: UInt32 = 0xc000_003e  // AUDIT_ARCH_X86_64
    public static let x32SystemCallBit: UInt32 = 0x4000_0000    // __X32_SYSCALL_BIT
    /// struct seccomp_data: int nr at 0, u32 arch at 4.
    public static let numberOffset: UInt32 = 0
    public static let architectureOffset: UInt32 = 4
    /// BPF_MAXINSNS: the longest program the kernel loads.
    public static let maximumInstructions = 4096
    /// The data dtrace's RET_TRACE carries (PTRACE_GETEVENTMSG at the stop), so that its
    /// stops can be told from those of a filter the program installs itself.
    public static let dtraceTraceData: UInt16 = 0xd7
    /// Ranges compared one after another at a leaf of the search.
    static let leafRanges = 4

    /// The traced numbers, ascending, each once.
    public let systemCallNumbers: [Int]
    public let traceData: UInt16
    public let instructions: [Instruction]

    /// The filter for `numbers` (duplicates and order do not matter; an empty set allows
    /// every call).
    public init(tracing numbers: some Sequence<Int>, traceData: UInt16 = SeccompFilter.dtraceTraceData) throws(BuildError) {
        let sorted = Array(Set(numbers)).sorted()
        if let bad = sorted.first(where: { $0 < 0 || $0 >= Int(Self.x32SystemCallBit) }) { throw .numberOutOfRange(bad) }
        var ranges: [ClosedRange<UInt32>] = []
        for number in sorted.map({ UInt32($0) }) {
            if let last = ranges.last, last.upperBound &+ 1 == number {
                ranges[ranges.count - 1] = last.lowerBound...number
            } else {
                ranges.append(number...number)
            }
        }
        let trace = Self.returnTrace | UInt32(traceData)
        var program: [Instruction] = [
            Instruction(code: Self.loadWordAbsolute, constant: Self.architectureOffset),
            Instruction(code: Self.jumpIfEqual, jumpIfTrue: 1, jumpIfFalse: 0, constant: Self.architectureX86_64),
            Instruction(code: Self.returnConstant, constant: Self.returnAllow),
            Instruction(code: Self.loadWordAbsolute, constant: Self.numberOffset),
            Instruction(code: Self.jumpIfAnyBitSet, jumpIfTrue: 0, jumpIfFalse: 1, constant: Self.x32SystemCallBit),
            Instruction(code: Self.returnConstant, constant: Self.returnAllow),
        ]
        program += Self.search(ranges[...], trace: trace)
        guard program.count <= Self.maximumInstructions else { throw .tooLong(instructions: program.count) }
        systemCallNumbers = sorted
        self.traceData = traceData
        instructions = program
    }

    /// Any program, as it is: for tests of what happens when the kernel refuses one.
    init(uncheckedInstructions: [Instruction], systemCallNumbers: [Int] = [], traceData: UInt16 = SeccompFilter.dtraceTraceData) {
        instructions = uncheckedInstructions
        self.systemCallNumbers = systemCallNumbers
        self.traceData = traceData
    }

    /// The program as the kernel reads it: `instructions.count` sock_filter structures.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(instructions.count * 8)
        for instruction in instructions {
            bytes += [UInt8(truncatingIfNeeded: instruction.code), UInt8(truncatingIfNeeded: instruction.code >> 8),
                      instruction.jumpIfTrue, instruction.jumpIfFalse]
            bytes += (0..<4).map { UInt8(truncatingIfNeeded: instruction.constant >> (8 * $0)) }
        }
        return bytes
    }

    /// Code that ends in a return whatever the accumulator (the call number) holds, with
    /// every jump inside it.
    private static func search(_ ranges: ArraySlice<ClosedRange<UInt32>>, trace: UInt32) -> [Instruction] {
        if ranges.count <= leafRanges { return leaf(ranges, trace: trace) }
        // Halves made of whole leaves: every leaf but the last compares `leafRanges` ranges.
        let leaves = (ranges.count + leafRanges - 1) / leafRanges
        let middle = ranges.startIndex + leafRanges * ((leaves + 1) / 2)
        let left = search(ranges[..<middle], trace: trace)
        let right = search(ranges[middle...], trace: trace)
        // number >= the right half's first value: take the BPF_JA to the right half;
        // otherwise skip it into the left half, which follows.
        return [Instruction(code: jumpIfGreaterOrEqual, jumpIfTrue: 0, jumpIfFalse: 1, constant: ranges[middle].lowerBound),
                Instruction(code: jumpAlways, constant: UInt32(left.count))] + left + right
    }

    /// At most `leafRanges` ranges compared in turn, then RET_ALLOW, then RET_TRACE.
    private static func leaf(_ ranges: ArraySlice<ClosedRange<UInt32>>, trace: UInt32) -> [Instruction] {
        let compares = ranges.reduce(0) { $0 + ($1.count == 1 ? 1 : 2) }
        let allowIndex = compares, traceIndex = compares + 1
        func offset(from index: Int, to target: Int) -> UInt8 { UInt8(target - index - 1) }
        var code: [Instruction] = []
        for range in ranges {
            let index = code.count
            if range.count == 1 {
                code.append(Instruction(code: jumpIfEqual, jumpIfTrue: offset(from: index, to: traceIndex), jumpIfFalse: 0,
                                        constant: range.lowerBound))
            } else {
                // Below the range: below every later one too. Above it: try the next one.
                code.append(Instruction(code: jumpIfGreaterOrEqual, jumpIfTrue: 0, jumpIfFalse: offset(from: index, to: allowIndex),
                                        constant: range.lowerBound))
                code.append(Instruction(code: jumpIfGreater, jumpIfTrue: 0, jumpIfFalse: offset(from: index + 1, to: traceIndex),
                                        constant: range.upperBound))
            }
        }
        code.append(Instruction(code: returnConstant, constant: returnAllow))
        code.append(Instruction(code: returnConstant, constant: trace))
        return code
    }
}
