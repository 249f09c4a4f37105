// DTraceX86Tests/ExecutionOracle: real execution of single instructions, what the
// emulator and out-of-line tests compare against. The harness is workload/x86-oracle.c
// (its header describes the protocol), compiled with cc once per test run; a batch of
// cases goes to it on stdin and the outcomes come back on stdout. Here also: the same
// memory layout as an in-memory X86Memory (`OracleMemory`: the code regions readable and
// filled with int3, the data window filled from the case's seed), a seeded random source,
// random register values and addresses aimed into the data window, and the comparison of
// an emulated run with a real one.

@testable import DTraceX86
import Foundation
import Testing

/// The harness's memory layout (workload/x86-oracle.c).
enum OracleLayout {
    static let codeNear: UInt64 = 0x3000_0000
    static let codeFar: UInt64 = 0x9000_0000
    static let codeSize: UInt64 = 0x10_0000
    static let dataBase: UInt64 = 0x4000_0000
    static let dataSize: UInt64 = 0x4000
    static let signalTrap: UInt64 = 5
    static let signalBus: UInt64 = 7
    static let signalSegmentation: UInt64 = 11
}

/// SplitMix64: the harness's data pattern and the tests' seeded random source.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    static func mix(_ value: UInt64) -> UInt64 {
        var x = value &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    mutating func next() -> UInt64 {
        let value = Self.mix(state)
        state = state &+ 0x9E37_79B9_7F4A_7C15
        return value
    }
}

/// One instruction to run: initial registers (rip is where it is placed), its bytes, the
/// data window's seed and patches.
struct OracleCase {
    var registers: X86Registers
    var bytes: [UInt8]
    var seed: UInt64
    var patches: [(address: UInt64, value: UInt64)] = []

    /// The 33 words the harness reads.
    var words: [UInt64] {
        var words: [UInt64] = (0..<16).map { registers[$0] }
        words += [registers.rflags, registers.rip, registers.fsBase, registers.gsBase, seed, UInt64(bytes.count)]
        var padded = bytes + [UInt8](repeating: 0, count: max(0, 16 - bytes.count))
        padded = Array(padded.prefix(16))
        for half in 0..<2 {
            var word: UInt64 = 0
            for index in 0..<8 { word |= UInt64(padded[half * 8 + index]) << UInt64(8 * index) }
            words.append(word)
        }
        let kept = patches.prefix(4)
        words.append(UInt64(kept.count))
        for patch in kept { words += [patch.address, patch.value] }
        words += [UInt64](repeating: 0, count: 8 - 2 * kept.count)
        return words
    }
}

/// How real execution ended.
struct OracleOutcome {
    /// SIGTRAP when the instruction completed (or branched onto int3), else the fault's.
    var signal: UInt64
    var faultAddress: UInt64
    /// The sixteen registers, rflags, and rip (for SIGTRAP, the int3 reached).
    var registers: X86Registers
    /// Data-window bytes that changed.
    var memoryChanges: [UInt64: UInt8]
}

enum OracleFailure: Error, CustomStringConvertible {
    case compilerMissing
    case buildFailed(String)
    case harnessFailed(Int32, String)
    case shortOutput

    var description: String {
        switch self {
        case .compilerMissing: return "no C compiler (cc) to build workload/x86-oracle.c"
        case .buildFailed(let log): return "building the oracle failed: \(log)"
        case .harnessFailed(let status, let log): return "the oracle exited with \(status): \(log)"
        case .shortOutput: return "the oracle's output ended early"
        }
    }
}

enum ExecutionOracle {
    /// The compiled harness, built once per test process.
    static let executable: Result<String, OracleFailure> = build()

    static func build() -> Result<String, OracleFailure> {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../workload/x86-oracle.c").standardized.path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-x86-oracle-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Removed when the test process exits (a forked child has another PID: removes nothing).
        atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-x86-oracle-\(getpid())")) }
        let binary = directory.appendingPathComponent("x86-oracle").path
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-O1", "-fno-stack-protector", "-U_FORTIFY_SOURCE", "-o", binary, source]
        let errors = Pipe()
        compiler.standardError = errors
        do { try compiler.run() } catch { return .failure(.compilerMissing) }
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else {
            return compiler.terminationStatus == 127 ? .failure(.compilerMissing) : .failure(.buildFailed(log))
        }
        return .success(binary)
    }

    /// Runs the cases in one harness process and returns their outcomes in order.
    static func run(_ cases: [OracleCase]) throws -> [OracleOutcome] {
        let binary = try executable.get()
        var input = Data()
        input.reserveCapacity(cases.count * 33 * 8)
        for oracleCase in cases {
            for word in oracleCase.words {
                withUnsafeBytes(of: word.littleEndian) { input.append(contentsOf: $0) }
            }
        }
        let inputFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("dtrace-x86-oracle-\(getpid())-\(UUID().uuidString).in")
        try input.write(to: inputFile)
        defer { try? FileManager.default.removeItem(at: inputFile) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.standardInput = try FileHandle(forReadingFrom: inputFile)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OracleFailure.harnessFailed(process.terminationStatus, log) }

        let bytes = [UInt8](data)
        var position = 0
        func word() throws -> UInt64 {
            guard position + 8 <= bytes.count else { throw OracleFailure.shortOutput }
            var value: UInt64 = 0
            for index in 0..<8 { value |= UInt64(bytes[position + index]) << UInt64(8 * index) }
            position += 8
            return value
        }
        var outcomes: [OracleOutcome] = []
        for _ in cases {
            let signal = try word()
            let faultAddress = try word()
            var registers = X86Registers()
            for number in 0..<16 { registers[number] = try word() }
            registers.rflags = try word()
            registers.rip = try word()
            let count = try word()
            var changes: [UInt64: UInt8] = [:]
            for _ in 0..<count {
                let address = try word()
                changes[address] = UInt8(truncatingIfNeeded: try word())
            }
            outcomes.append(OracleOutcome(signal: signal, faultAddress: faultAddress, registers: registers, memoryChanges: changes))
        }
        return outcomes
    }
}

/// The harness's memory for one case, as an X86Memory: both code regions readable (int3
/// everywhere but the instruction) and not writable, the data window readable and
/// writable (seeded pattern, then patches); nothing else.
final class OracleMemory: X86Memory {
    let seed: UInt64
    let instructionAddress: UInt64
    let instructionBytes: [UInt8]
    var initialPatches: [UInt64: UInt8] = [:]
    var written: [UInt64: UInt8] = [:]
    var reads = 0
    var writes = 0

    init(_ oracleCase: OracleCase) {
        seed = oracleCase.seed
        instructionAddress = oracleCase.registers.rip
        instructionBytes = oracleCase.bytes
        for patch in oracleCase.patches.prefix(4) {
            for index in 0..<8 {
                let address = patch.address &+ UInt64(index)
                if Self.inData(address) { initialPatches[address] = UInt8(truncatingIfNeeded: patch.value >> UInt64(8 * index)) }
            }
        }
    }

    static func inData(_ address: UInt64) -> Bool {
        address >= OracleLayout.dataBase && address - OracleLayout.dataBase < OracleLayout.dataSize
    }

    static func inCode(_ address: UInt64) -> Bool {
        for base in [OracleLayout.codeNear, OracleLayout.codeFar] where address >= base && address - base < OracleLayout.codeSize {
            return true
        }
        return false
    }

    /// The data window's byte before the instruction ran.
    func initialByte(_ address: UInt64) -> UInt8 {
        if let patched = initialPatches[address] { return patched }
        let word = SplitMix64.mix(seed ^ (address >> 3))
        return UInt8(truncatingIfNeeded: word >> ((address & 7) * 8))
    }

    func byte(_ address: UInt64) -> UInt8? {
        if Self.inData(address) { return written[address] ?? initialByte(address) }
        if Self.inCode(address) {
            let offset = address &- instructionAddress
            return offset < UInt64(instructionBytes.count) ? instructionBytes[Int(offset)] : 0xCC
        }
        return nil
    }

    func read(address: UInt64, count: Int) -> [UInt8]? {
        reads += 1
        var bytes: [UInt8] = []
        for index in 0..<count {
            guard let value = byte(address &+ UInt64(index)) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    func write(address: UInt64, bytes: [UInt8]) -> Bool {
        writes += 1
        for index in bytes.indices where !Self.inData(address &+ UInt64(index)) { return false }
        for (index, value) in bytes.enumerated() { written[address &+ UInt64(index)] = value }
        return true
    }

    /// Data-window bytes that differ from their initial value.
    var changes: [UInt64: UInt8] {
        written.filter { initialByte($0.key) != $0.value }
    }
}

/// Random inputs shaped for probe-site instructions.
struct CaseGenerator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func below(_ bound: UInt64) -> UInt64 { random.next(upperBound: bound) }
    mutating func chance(_ percent: UInt64) -> Bool { below(100) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[Int(below(UInt64(values.count)))] }

    /// A register value: edge values of every operand size, small numbers, random ones.
    mutating func value() -> UInt64 {
        switch below(10) {
        case 0: return pick([0, 1, ~0, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
                             0xFFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0x1_0000_0000])
        case 1: return below(16)
        case 2: return ~below(16)
        case 3: return random.next() & 0xFF
        case 4: return random.next() & 0xFFFF_FFFF
        default: return random.next()
        }
    }

    /// Random status flags (IF and bit 1 set as the harness runs).
    mutating func flags() -> UInt64 {
        0x202 | (random.next() & X86Registers.Flag.arithmetic.rawValue)
    }

    /// An address in the data window with room for `size` bytes, or now and then one
    /// straddling its ends or nowhere mapped (page 0, non-canonical, the kernel's half).
    mutating func target(size: UInt64 = 8) -> UInt64 {
        switch below(100) {
        case 0..<88: return OracleLayout.dataBase + below(OracleLayout.dataSize - size)
        case 88..<91: return OracleLayout.dataBase + OracleLayout.dataSize - 1 - below(size)
        case 91..<94: return OracleLayout.dataBase &- 1 &- below(size)
        case 94..<96: return below(0x1000)
        case 96..<98: return 0x8000_0000_0000_0000 | random.next()
        default: return 0xFFFF_8000_0000_0000 | random.next()
        }
    }

    /// Registers for a case: random values, rsp and rbp in the data window, rip at a
    /// random place in the near code region, FS and GS bases near the data window.
    mutating func registers() -> X86Registers {
        var registers = X86Registers()
        for number in 0..<16 { registers[number] = value() }
        registers.rsp = stackPointer()
        if chance(50) { registers.rbp = stackPointer() }
        registers.rflags = flags()
        registers.rip = OracleLayout.codeNear + 0x1000 + below(OracleLayout.codeSize - 0x2000)
        registers.fsBase = OracleLayout.dataBase &- below(0x10000)
        registers.gsBase = OracleLayout.dataBase &+ below(0x10000)
        return registers
    }

    /// A stack pointer in the data window (mostly 8-aligned), now and then at its edges.
    mutating func stackPointer() -> UInt64 {
        switch below(100) {
        case 0..<90:
            let pointer = OracleLayout.dataBase + 0x40 + below(OracleLayout.dataSize - 0x80)
            return chance(80) ? pointer & ~7 : pointer
        case 90..<95: return OracleLayout.dataBase + below(12)
        default: return OracleLayout.dataBase + OracleLayout.dataSize - below(12)
        }
    }

    /// A REX prefix with W as given and R, X, B random, or (without W) none at all.
    mutating func rex(w: Bool) -> [UInt8] {
        if !w && chance(30) { return [] }
        return [0x40 | (w ? 8 : 0) | UInt8(truncatingIfNeeded: below(8))]
    }

    /// ModRM (with `reg`), SIB and displacement: a register operand (when allowed) or any
    /// memory form — base, base+disp8/disp32, SIB with and without base or index,
    /// RIP-relative.
    mutating func modRM(reg: UInt8, registerForm: Bool = true, memoryForm: Bool = true) -> [UInt8] {
        let regBits = (reg & 7) << 3
        if registerForm && (!memoryForm || chance(35)) {
            return [0xC0 | regBits | UInt8(truncatingIfNeeded: below(8))]
        }
        let mod = UInt8(truncatingIfNeeded: below(3))
        let rm = UInt8(truncatingIfNeeded: below(8))
        var bytes = [mod << 6 | regBits | rm]
        if rm == 4 {
            bytes.append(UInt8(truncatingIfNeeded: random.next()))
        }
        let needsDisp32 = (mod == 0 && rm == 5) || (mod == 0 && rm == 4 && bytes[1] & 7 == 5) || mod == 2
        if needsDisp32 {
            bytes += littleEndian(random.next(), count: 4)
        } else if mod == 1 {
            bytes.append(UInt8(truncatingIfNeeded: random.next()))
        }
        return bytes
    }

    /// An immediate of `count` bytes, often small or at an edge.
    mutating func immediate(count: Int) -> [UInt8] {
        littleEndian(chance(60) ? value() : random.next(), count: count)
    }

    /// Points the instruction's memory operand (if any) at a random target by setting its
    /// base or index register, or rewriting its disp32 (RIP-relative or absolute).
    @discardableResult
    mutating func aim(_ oracleCase: inout OracleCase, size: UInt64 = 8) -> UInt64? {
        guard case .success(let instruction) = X86Decoder.decode(oracleCase.bytes),
              let modRM = instruction.modRM, modRM >> 6 != 3 else { return nil }
        let linear = target(size: size)
        var target = linear
        if instruction.hasPrefix(0x64) { target = target &- oracleCase.registers.fsBase }
        if instruction.hasPrefix(0x65) { target = target &- oracleCase.registers.gsBase }
        let rex = instruction.rex ?? 0
        let displacement = UInt64(bitPattern: instruction.displacement ?? 0)
        if instruction.isRIPRelative {
            let end = oracleCase.registers.rip &+ UInt64(instruction.length)
            if let offset = instruction.displacementOffset, let value = Int32(exactly: Int64(bitPattern: target &- end)) {
                oracleCase.bytes.replaceSubrange(offset..<offset + 4, with: littleEndian(UInt64(UInt32(bitPattern: value)), count: 4))
                return linear
            }
            return nil
        }
        let mod = modRM >> 6
        guard modRM & 7 == 4, let sib = instruction.sib else {
            oracleCase.registers[Int(modRM & 7) | (rex & 1 != 0 ? 8 : 0)] = target &- displacement
            return linear
        }
        let index = Int((sib >> 3) & 7) | (rex & 2 != 0 ? 8 : 0)
        let scale = UInt64(1) << UInt64(sib >> 6)
        let hasBase = !(sib & 7 == 5 && mod == 0)
        let base = Int(sib & 7) | (rex & 1 != 0 ? 8 : 0)
        let hasIndex = index != 4
        if hasIndex && chance(70) { oracleCase.registers[index] = below(64) }
        // Where a division rounds, the operand lands a few bytes below the target.
        let segmentBase = linear &- target
        if hasBase {
            if hasIndex && index == base {
                let value = (target &- displacement) / (scale + 1)
                oracleCase.registers[base] = value
                return value &* (scale + 1) &+ displacement &+ segmentBase
            } else {
                let indexPart = hasIndex ? oracleCase.registers[index] &* scale : 0
                oracleCase.registers[base] = target &- displacement &- indexPart
            }
        } else if hasIndex {
            let value = (target &- displacement) / scale
            oracleCase.registers[index] = value
            return value &* scale &+ displacement &+ segmentBase
        } else if let offset = instruction.displacementOffset, let value = Int32(exactly: Int64(bitPattern: target)) {
            oracleCase.bytes.replaceSubrange(offset..<offset + 4, with: littleEndian(UInt64(UInt32(bitPattern: value)), count: 4))
        } else {
            return nil
        }
        return linear
    }

    /// A case with random registers and seed for `bytes`, its memory operand aimed.
    mutating func makeCase(_ bytes: [UInt8], size: UInt64 = 8) -> OracleCase {
        var oracleCase = OracleCase(registers: registers(), bytes: bytes, seed: random.next())
        aim(&oracleCase, size: size)
        return oracleCase
    }

    /// Legacy prefixes and REX for an operand size of 2, 4 or 8 bytes (16-bit sometimes
    /// with a REX.W that overrides 66), now and then with an ignored segment prefix.
    mutating func sizePrefixes(_ size: Int) -> [UInt8] {
        var prefixes: [UInt8] = chance(10) ? [pick([0x2E, 0x3E, 0x26, 0x36])] : []
        switch size {
        case 2: prefixes += [0x66] + rex(w: false)
        case 8: prefixes += (chance(15) ? [0x66] : []) + rex(w: true)
        default: prefixes += rex(w: false)
        }
        return prefixes
    }
}

func littleEndian(_ value: UInt64, count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
}

/// Emulated against real execution, case by case.
struct DifferentialRun {
    var cases = 0
    var emulated = 0
    var faults = 0
    var notEmulated: [String] = []
    var mismatches: [String] = []

    /// Runs `cases` on the oracle and the emulator. Every case must be emulated (or fault)
    /// unless `mayDecline` says the emulator may decline it. Flags in `undefinedFlags` are
    /// not compared.
    static func run(_ cases: [OracleCase], undefinedFlags: (X86Instruction) -> UInt64 = { _ in 0 },
                     mayDecline: (X86Instruction) -> Bool = { _ in false }) throws -> DifferentialRun {
        var run = DifferentialRun()
        var accepted: [(OracleCase, X86Instruction, EmulationResult, X86Registers, OracleMemory)] = []
        for oracleCase in cases {
            guard case .success(let instruction) = X86Decoder.decode(oracleCase.bytes),
                  instruction.length == oracleCase.bytes.count else {
                run.mismatches.append("\(hexString(oracleCase.bytes)): does not decode as one instruction")
                continue
            }
            let memory = OracleMemory(oracleCase)
            var registers = oracleCase.registers
            let result = X86Emulator.emulate(instruction, at: oracleCase.registers.rip, registers: &registers, memory: memory)
            if result == .notEmulated {
                if !mayDecline(instruction) { run.notEmulated.append(hexString(oracleCase.bytes)) }
                continue
            }
            accepted.append((oracleCase, instruction, result, registers, memory))
        }
        let outcomes = try ExecutionOracle.run(accepted.map { $0.0 })
        for (index, real) in outcomes.enumerated() {
            let (oracleCase, instruction, result, registers, memory) = accepted[index]
            run.cases += 1
            if let mismatch = compare(oracleCase, instruction, result, registers, memory, real, undefinedFlags(instruction)) {
                run.mismatches.append(mismatch)
            }
            if case .fault = result { run.faults += 1 } else { run.emulated += 1 }
        }
        return run
    }

    static func describe(_ registers: X86Registers) -> String {
        let names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
        return (0..<16).map { "\(names[$0])=\(String(registers[$0], radix: 16))" }.joined(separator: " ")
            + " rflags=\(String(registers.rflags, radix: 16)) rip=\(String(registers.rip, radix: 16))"
    }

    static func compare(_ oracleCase: OracleCase, _ instruction: X86Instruction, _ result: EmulationResult,
                        _ emulated: X86Registers, _ memory: OracleMemory, _ real: OracleOutcome, _ undefinedFlags: UInt64) -> String? {
        let header = "\(hexString(oracleCase.bytes)) at \(String(oracleCase.registers.rip, radix: 16)), seed \(oracleCase.seed)\n"
            + "  before:   \(describe(oracleCase.registers)) fs=\(String(oracleCase.registers.fsBase, radix: 16)) gs=\(String(oracleCase.registers.gsBase, radix: 16))\n"
        let realFaulted = real.signal == OracleLayout.signalSegmentation || real.signal == OracleLayout.signalBus
        var problems: [String] = []
        switch result {
        case .fault(let address):
            if !realFaulted || real.registers.rip != oracleCase.registers.rip {
                problems.append("emulator faults at \(String(address, radix: 16)); real run ended with signal \(real.signal) at rip \(String(real.registers.rip, radix: 16))")
            }
            for number in 0..<16 where real.registers[number] != oracleCase.registers[number] {
                problems.append("real fault changed register \(number)")
            }
            // A call whose target faults may leave its return address written below rsp
            // while reporting the fault at the call (seen on this project's CI machine, a
            // virtual CPU): only that slot may change.
            let pushSlot = oracleCase.registers.rsp &- 8
            if !real.memoryChanges.keys.allSatisfy({ $0 >= pushSlot && $0 < oracleCase.registers.rsp }) {
                problems.append("real fault changed memory")
            }
        case .emulated:
            let completed = real.signal == OracleLayout.signalTrap && real.registers.rip == emulated.rip
            // A branch onto memory that is not executable faults there, with the branch done.
            let fetchFault = realFaulted && emulated.rip != oracleCase.registers.rip
                && real.registers.rip == emulated.rip && real.faultAddress == emulated.rip
            if !completed && !fetchFault {
                problems.append("emulated rip \(String(emulated.rip, radix: 16)); real run ended with signal \(real.signal) at rip \(String(real.registers.rip, radix: 16)) (si_addr \(String(real.faultAddress, radix: 16)))")
            }
            for number in 0..<16 where real.registers[number] != emulated[number] {
                problems.append("register \(number): emulated \(String(emulated[number], radix: 16)), real \(String(real.registers[number], radix: 16))")
            }
            let compared = (X86Registers.Flag.arithmetic.rawValue | X86Registers.Flag.direction.rawValue) & ~undefinedFlags
            if (real.registers.rflags ^ emulated.rflags) & compared != 0 {
                problems.append("rflags: emulated \(String(emulated.rflags & compared, radix: 16)), real \(String(real.registers.rflags & compared, radix: 16))")
            }
            let emulatedChanges = memory.changes
            if emulatedChanges != real.memoryChanges {
                let show: ([UInt64: UInt8]) -> String = { changes in
                    changes.sorted { $0.key < $1.key }.map { "\(String($0.key, radix: 16)):\(String($0.value, radix: 16))" }.joined(separator: " ")
                }
                problems.append("memory: emulated [\(show(emulatedChanges))], real [\(show(real.memoryChanges))]")
            }
        case .notEmulated:
            return nil
        }
        guard !problems.isEmpty else { return nil }
        return header + "  emulated: \(describe(emulated)) result \(result)\n  real:     \(describe(real.registers)) signal \(real.signal)\n  "
            + problems.joined(separator: "\n  ")
    }

    /// Records the run's problems as test issues (the first few in full).
    func check(_ name: String, minimumCases: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        print("\(name): \(cases) cases compared with real execution (\(emulated) emulated, \(faults) faults), \(mismatches.count) mismatches, \(notEmulated.count) declined")
        #expect(cases >= minimumCases, "\(name): only \(cases) cases ran", sourceLocation: sourceLocation)
        for mismatch in mismatches.prefix(5) {
            Issue.record("\(name): \(mismatch)", sourceLocation: sourceLocation)
        }
        if mismatches.count > 5 { Issue.record("\(name): \(mismatches.count - 5) more mismatches", sourceLocation: sourceLocation) }
        if !notEmulated.isEmpty {
            Issue.record("\(name): \(notEmulated.count) not emulated, e.g. \(notEmulated.prefix(5).joined(separator: "; "))", sourceLocation: sourceLocation)
        }
    }
}
