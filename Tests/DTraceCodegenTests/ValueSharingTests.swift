// DTraceCodegenTests/ValueSharingTests: the kernel engine's sharing of repeated reads
// (DTraceIR's ValueSharing) checked against the reference interpreter: compiled clauses
// that test kernel pointers before reading through them, run as written and as shared
// on a fake kernel memory — whole, with NULL pointers on each way, and with an
// unreadable pointer —, must record the same aggregations and records and fault alike,
// with fewer reads of traced memory where a read repeats; and every clause of the
// conformance corpus that compiles on its own, run both ways, does the same.

import DTraceIR
import DTraceLanguage
import DTraceLibrary
import Foundation
import Testing

/// A firing's world for the interpreter: arguments, traced memory as 8-byte words at
/// addresses, and what the clause recorded.
final class FakeKernel: InterpreterEnvironment {
    var arguments: [Int64]
    var words: [Int64: Int64]
    var reads = 0
    var events: [String] = []

    init(arguments: [Int64], words: [Int64: Int64]) { self.arguments = arguments; self.words = words }

    func builtinValue(_ variable: BuiltinVariable) -> Int64 {
        switch variable {
        case .arg0: return arguments[0]
        case .arg1: return arguments[1]
        default: return 0
        }
    }
    func builtinString(_ variable: BuiltinVariable) -> [UInt8] { [] }
    func argument(_ index: Int64) -> Int64 { index >= 0 && index < arguments.count ? arguments[Int(index)] : 0 }
    func userRegister(_ index: Int64) -> Int64 { 0 }
    func aggregate(_ aggregation: Int, key: [UInt8], value: Int64, increment: Int64) { events.append("agg \(aggregation) \(key) \(value) \(increment)") }
    func submitRecord(epid: Int, bytes: [UInt8]) { events.append("record \(epid) \(bytes)") }
    func newSpeculation() -> Int64 { 0 }
    func speculate(_ id: Int64) -> Bool { false }
    func countSpeculativeDrop() {}
    func commit(_ id: Int64) throws(Fault) {}
    func discard(_ id: Int64) throws(Fault) {}
    func exit(status: Int64) { events.append("exit \(status)") }
    func raise(signal: Int64) {}
    func randomValue() -> Int64 { 4 }
    func readTracee(address: Int64, size: Int) -> [UInt8]? {
        reads += 1
        let word = address & ~7
        guard let value = words[word], address + Int64(size) <= word + 8 else { return nil }
        let bytes = withUnsafeBytes(of: value.littleEndian) { Array($0) }
        let start = Int(address - word)
        return Array(bytes[start..<(start + size)])
    }
}

/// A kernel with one structure, struct node { struct node *next; long value; }.
final class NodeKernelTypes: KernelTypeSource {
    let node = CompositeType(name: "node", isUnion: false)
    init() {
        node.isKernel = true
        node.members = [("next", .pointer(.composite(node)), 0), ("value", .integer(name: "long", size: 8, signed: true), 8)]
        node.size = 16
        node.alignment = 8
        node.isComplete = true
    }
    func kernelType(named name: String) -> DType? { name == "struct node" ? .composite(node) : nil }
    func deferredType(named name: String) -> CompositeType { node }
}

@Suite struct ValueSharingTests {
    /// Kernel nodes at 0x1000 -> 0x2000 -> 0x3000.
    static let chain: [Int64: Int64] = [0x1000: 0x2000, 0x1008: 11, 0x2000: 0x3000, 0x2008: 22, 0x3000: 0, 0x3008: 33]

    static let clauses = [
        // A translator's way of testing before reading (io's device, tcp's socket).
        "BEGIN { this->n = (struct node *)arg0; @[this->n && this->n->next ? this->n->next->value : -1] = count(); printf(\"%d %d\", this->n && this->n->next ? this->n->next->value : -2, this->n->value); }",
        "BEGIN { this->n = (struct node *)arg0; @a = sum(this->n->next->next ? this->n->next->next->value : this->n->next ? this->n->next->value : 7); @b = max(this->n->next->value + this->n->next->value * 2); }",
        "BEGIN { this->n = (struct node *)arg0; trace(this->n->value || this->n->next->value ? 5 : this->n->next->value); trace(arg1 + 0); trace((arg1 << 0) - 0); }",
        "BEGIN /((struct node *)arg0)->next/ { this->n = (struct node *)arg0; @[this->n->next->value, this->n->next->next->value] = sum(this->n->next->next->value); }",
    ]

    static let worlds: [(arguments: [Int64], words: [Int64: Int64])] = [
        ([0x1000, 3], chain),
        ([0x2000, 5], chain),
        ([0x3000, 7], chain),
        ([0x1000, 3], chain.merging([0x2000: 0x9000]) { $1 }),  // a pointer to nothing readable
        ([0, 1], chain),                                        // a NULL argument
        ([0x1000, 9], chain.merging([0x1008: 0]) { $1 }),       // a zero value (|| reads on)
        ([0x1000, 9], chain.merging([0x1008: 0, 0x2008: 0]) { $1 }),
    ]

    func compile(_ source: String) throws -> CompiledProgram {
        var options = CompileOptions.standard
        options.kernelTypes = NodeKernelTypes()
        return try Compiler.compile(source: source, options: options)
    }

    func run(_ function: IRFunction, _ program: IRProgram, _ world: (arguments: [Int64], words: [Int64: Int64])) -> (events: [String], fault: FaultKind?, reads: Int) {
        let kernel = FakeKernel(arguments: world.arguments, words: world.words)
        let machine = Machine(program: program)
        machine.beginFiring()
        var fault: FaultKind?
        do { _ = try Interpreter().run(function, epid: 1, machine: machine, environment: kernel) } catch { fault = error.kind }
        return (kernel.events, fault, kernel.reads)
    }

    @Test(arguments: clauses)
    func sharedClausesDoWhatTheyDidWithFewerReads(_ clause: String) throws {
        let compiled = try compile(clause)
        let written = compiled.program.clauses[0].function
        let shared = written.sharingRepeatedValues(tracedMemoryMayChange: false)
        try shared.validate()
        #expect(shared.instructions.count < written.instructions.count)
        var fewer = false
        for world in Self.worlds {
            let before = run(written, compiled.program, world)
            let after = run(shared, compiled.program, world)
            #expect(after.events == before.events, "\(clause) with \(world.arguments)")
            #expect(after.fault == before.fault, "\(clause) with \(world.arguments)")
            #expect(after.reads <= before.reads)
            if after.reads < before.reads { fewer = true }
        }
        #expect(fewer, "no read was shared in \(clause)")
    }

    /// Every clause of the conformance corpus, run as written and as shared by the
    /// interpreter (with the library's subroutines), records and faults alike.
    @Test func conformanceClausesBehaveAlikeShared() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DTraceCLITests/Conformance")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".d") }.sorted()
        #expect(names.count > 100)
        let interpreter = Interpreter(subroutines: Library.standard.interpreted)
        var compared = 0
        for name in names {
            guard let source = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8),
                  !source.contains("#include"), let compiled = try? compile(source) else { continue }
            for clause in compiled.program.clauses {
                let shared = clause.function.sharingRepeatedValues(tracedMemoryMayChange: compiled.program.usesDestructiveActions)
                try shared.validate()
                var outcomes: [(events: [String], fault: Fault?)] = []
                for function in [clause.function, shared] {
                    let kernel = FakeKernel(arguments: [0x1000, 3], words: Self.chain)
                    let machine = Machine(program: compiled.program)
                    machine.beginFiring()
                    var fault: Fault?
                    do { _ = try interpreter.run(function, epid: 1, machine: machine, environment: kernel) } catch { fault = error }
                    outcomes.append((kernel.events, fault))
                }
                #expect(outcomes[0].events == outcomes[1].events, "\(name), clause \(clause.index)")
                #expect(outcomes[0].fault?.kind == outcomes[1].fault?.kind && outcomes[0].fault?.address == outcomes[1].fault?.address
                        && outcomes[0].fault?.action == outcomes[1].fault?.action, "\(name), clause \(clause.index)")
                compared += 1
            }
        }
        #expect(compared > 200)
    }

    @Test func readsAreNotSharedWhereTracedMemoryMayChange() throws {
        let compiled = try compile(Self.clauses[0])
        let written = compiled.program.clauses[0].function
        let loads = { (function: IRFunction) in
            function.instructions.filter { if case .load(_, _, _, _, .tracee) = $0 { return true } else { return false } }.count
        }
        #expect(loads(written.sharingRepeatedValues(tracedMemoryMayChange: true)) == loads(written))
        #expect(loads(written.sharingRepeatedValues(tracedMemoryMayChange: false)) < loads(written))
    }

    @Test func aRegisterWrittenTwiceIsNotShared() throws {
        // r1 is written on both ways of a branch: its second test is not the first's.
        let r = (0..<6).map(Register.init)
        let function = IRFunction(instructions: [
            .call(.readBuiltin(.arg0), result: r[0], arguments: []),
            .constant(r[1], 1),
            .branchIfZero(r[0], Label(1)),
            .constant(r[1], 2),
            .label(Label(1)),
            .compare(.equal, r[2], r[1], r[0]),
            .compare(.equal, r[3], r[1], r[0]),
            .arithmetic(.add, r[4], r[2], r[3]),
            .call(.exit, result: nil, arguments: [r[4]]),
        ], actionOfInstruction: Array(repeating: 0, count: 9), registerCount: 6)
        let shared = function.sharingRepeatedValues(tracedMemoryMayChange: false)
        #expect(shared.instructions == function.instructions)
    }
}
