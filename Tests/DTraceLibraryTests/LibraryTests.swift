// DTraceLibraryTests/LibraryTests: the registry of the D library — every subroutine
// answers to its names once, has the interpreter's semantics, and either a BPF body or a
// stated reason the kernel engine refuses it — and the worked example (Clamp, one file)
// compiled, interpreted and run in BPF through a session, with identical output.

import DTraceCodegen
import DTraceConsumer
import DTraceIR
import DTraceLanguage
@testable import DTraceLibrary
import DTraceSession
import Foundation
import DTraceSystem
import Testing

@Suite struct LibraryTests {
    /// cpu_chip: CPUs on package 0 need no test; others as runs of consecutive CPUs.
    @Test func chipOfEachCPUFromItsPackage() {
        #expect(CPUInformation.chipExpression([0: 0, 1: 0]) == "0")
        #expect(CPUInformation.chipExpression([0: 0, 1: 0, 2: 1, 3: 1, 5: 1, 4: 2])
                == "(C >= 2 && C <= 3) || C == 5 ? 1 : C == 4 ? 2 : 0")
    }

    @Test func everySubroutineHasBothEnginesOrAReason() {
        var seen = Set<String>()
        for subroutine in Library.standard.subroutines {
            #expect(!subroutine.names.isEmpty)
            for name in subroutine.names { #expect(seen.insert(name).inserted, "\(name) is defined twice") }
            switch subroutine.implementation {
            case .coreIR: break
            case .routine(_, .bpf): break
            case .routine(_, .notInKernel(let reason)): #expect(!reason.isEmpty, "\(subroutine.names) refuses the kernel engine without a reason")
            }
        }
        let library = Library.standard
        for name in seen {
            let interpreted = library.interpreted[name] != nil, inKernel = library.kernel[name] != nil || library.kernelRefusal(name) != nil
            #expect(interpreted == inKernel, "\(name): interpreter and kernel engine disagree on whether it is a routine")
        }
        for name in ["strlen", "strjoin", "substr", "index", "rindex", "strchr", "strrchr", "strstr", "strtok", "basename", "dirname",
                     "cleanpath", "toupper", "tolower", "lltostr", "htons", "ntohs", "htonl", "ntohl", "htonll", "ntohll",
                     "inet_ntoa", "inet_ntoa6", "inet_ntop", "rand", "alloca", "copyin", "copyinstr", "progenyof"] {
            #expect(seen.contains(name), "\(name) is missing from the library")
        }
    }

    @Test func routinesAreCalledByName() throws {
        let compiled = try Compiler.compile(source: "BEGIN { trace(substr(strjoin(\"ab\", \"cd\"), 1, 2)); }", options: .standard)
        let calls = compiled.program.clauses[0].function.instructions.compactMap { instruction -> String? in
            if case .call(.subroutine(let call), _, _) = instruction { return call.description }
            return nil
        }
        #expect(calls == ["strjoin", "substr/1"])
        #expect(throws: Diagnostic.self) { try Compiler.compile(source: "BEGIN { trace(strjoin(\"a\")); }", options: .standard) }
        #expect(throws: Diagnostic.self) { try Compiler.compile(source: "BEGIN { trace(strjoin(\"a\", \"b\")); }") }
    }

    static let withExample = Library(subroutines: Library.standard.subroutines + [Clamp()])

    func run(_ source: String, engine: EngineChoice) throws -> String {
        var options = TracingOptions()
        options.quiet = true
        options.engine = engine
        let output = OutputSink(capturing: ()), errors = OutputSink(capturing: ())
        let session = TracingSession(options: options, output: output, errors: errors, library: Self.withExample)
        try session.compile([ProgramSource(kind: .probes(text: source, kind: "n"))], operands: [], preprocess: false, cppArguments: [],
                            preprocessor: { text, _ in text })
        try session.matchProbes(listing: false, zeroMatchesAllowed: false)
        let status = try session.run(try session.chooseEngine(checkPlatform: false), output: output, showProgram: false)
        output.flush(); errors.flush()
        #expect(status == 0)
        return String(decoding: output.captured ?? [], as: UTF8.self) + String(decoding: errors.captured ?? [], as: UTF8.self)
    }

    static let exampleProgram = "BEGIN { printf(\"%d %d %d\\n\", clamp(15, 0, 10), clamp(-3, 0, 10), clamp(7, 0, 10)); exit(0); }"

    @Test func aSubroutineInOneFileRunsInTheInterpreter() throws {
        #expect(try run(Self.exampleProgram, engine: .user) == "10 0 7\n\n")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["CI"] == "true" || geteuid() == 0, "needs root for BPF; runs always under CI=true"))
    func aSubroutineInOneFileRunsInBPF() throws {
        #expect(try run(Self.exampleProgram, engine: .kernel) == "10 0 7\n\n")
    }
}

@Suite struct AggregatingFunctionTests {
    func function(_ call: String) throws -> AggregatingFunction {
        try Compiler.compile(source: "BEGIN { @ = \(call); }", options: .standard).program.aggregations[0].function
    }

    @Test func everyFunctionHasABPFUpdate() throws {
        var names = Set<String>()
        for definition in Library.standard.aggregatingFunctions { for name in definition.names { #expect(names.insert(name).inserted) } }
        #expect(names == ["count", "sum", "avg", "min", "max", "stddev", "quantize", "lquantize", "llquantize"])
        for call in ["count()", "sum(1)", "avg(1)", "min(1)", "max(1)", "stddev(1)", "quantize(1)", "lquantize(1, 0, 10)", "llquantize(1, 10, 0, 2, 10)"] {
            let made = try function(call)
            #expect(made.behavior is any KernelAggregation, "\(call) has no BPF update")
            #expect(made.initialWords.count == made.wordCount)
        }
    }

    /// Updating per CPU and merging gives what updating one value gives.
    @Test(arguments: ["count()", "sum(1)", "avg(1)", "min(1)", "max(1)", "stddev(1)", "quantize(1)", "lquantize(1, -50, 50, 7)", "llquantize(1, 10, 0, 3, 10)"])
    func mergingPartialValuesEqualsOneValue(_ call: String) throws {
        let made = try function(call)
        let values: [Int64] = [-700, -3, 0, 1, 2, 5, 64, 999, 12345, -1, 77, 1 << 40]
        var whole = made.initialWords, first = made.initialWords, second = made.initialWords
        for (index, value) in values.enumerated() {
            made.update(&whole, value: value, increment: 1)
            if index % 3 == 0 { made.update(&first, value: value, increment: 1) } else { made.update(&second, value: value, increment: 1) }
        }
        var merged = made.initialWords
        made.merge(&merged, first)
        made.merge(&merged, made.initialWords)   // a CPU that saw nothing
        made.merge(&merged, second)
        #expect(merged == whole)
        #expect(made.scalar(merged) == made.scalar(whole))
    }

    @Test func presentations() throws {
        var words = try function("avg(1)").initialWords
        let average = try function("avg(1)")
        for value in [10, 20, 31] as [Int64] { average.update(&words, value: value, increment: 1) }
        #expect(average.presentation(words, normal: 1) == .integer(20, unsigned: false))
        #expect(average.presentation(words, normal: 2) == .integer(10, unsigned: false))
        let minimum = try function("min(1)")
        #expect(minimum.presentation(minimum.initialWords, normal: 1) == .integer(.max, unsigned: false))
        let linear = try function("lquantize(1, 0, 10, 5)")
        guard case .histogram(let labels, _, let whenEmpty, _) = linear.presentation(linear.initialWords, normal: 1) else { Issue.record("not a histogram"); return }
        #expect(labels == ["< 0", "0", "5", ">= 10"])
        #expect(whenEmpty == 0...2)
        let logLinear = try function("llquantize(1, 10, 0, 2, 10)")
        guard case .histogramRows(let empty, let zeroes, _) = logLinear.presentation(logLinear.initialWords, normal: 1) else { Issue.record("not a histogram"); return }
        #expect(empty == ["0", "1", "2"])
        #expect(zeroes == [0, 0, 0])
        var filled = logLinear.initialWords
        for value in [-5, 55, 55, 5000] as [Int64] { logLinear.update(&filled, value: value, increment: 1) }
        guard case .histogramRows(let labels, let counts, _) = logLinear.presentation(filled, normal: 1) else { Issue.record("not a histogram"); return }
        #expect(Array(labels.prefix(7)) == ["-6", "-5", "-4", "-3", "-2", "-1", "0"])
        #expect(Array(labels.suffix(4)) == ["700", "800", "900", ">= 1000"])
        #expect(counts.first == 0 && counts[1] == 1 && counts.last == 1)
    }

    /// llquantize's buckets as DTrace's code computes them, for each way steps can relate
    /// to the factor; parameters that once sent the old bucket walk round forever.
    static let logLinearCases: [(String, [(Int64, Int)])] = [
        ("llquantize(1, 4, 0, 1, 2)", [(-16, 0), (-15, 1), (-4, 2), (-1, 4), (0, 5), (1, 6), (2, 7), (3, 7), (4, 8), (15, 9), (16, 10), (.max, 10), (.min, 0)]),
        ("llquantize(1, 10, 0, 3, 1)", [(-10000, 0), (-9, 4), (0, 5), (9, 6), (10, 7), (9999, 9), (10000, 10)]),
        // Steps above the factor: from 1 to 9 only every other bucket holds an integer.
        ("llquantize(1, 10, 0, 1, 20)", [(1, 38), (2, 40), (9, 54), (10, 56), (14, 56), (15, 57), (99, 73), (100, 74)]),
        ("llquantize(1, 10, 2, 2, 5)", [(99, 6), (100, 7), (199, 7), (200, 8), (999, 11), (1000, 12), (-100, 5)]),
    ]

    @Test(arguments: logLinearCases)
    func logLinearBuckets(_ call: String, _ expected: [(Int64, Int)]) throws {
        let made = try function(call)
        for (value, bucket) in expected {
            var words = made.initialWords
            made.update(&words, value: value, increment: 1)
            #expect(words.firstIndex(of: 1) == bucket, "\(call): \(value)")
        }
    }

    /// llquantize values sort as DTrace sorts them: by their buckets' counts weighed by
    /// the buckets' labels, then by the middle bucket.
    @Test func logLinearOrder() throws {
        let made = try function("llquantize(1, 10, 0, 2, 20)")
        func value(_ updates: [(Int64, Int64)]) -> [Int64] {
            var words = made.initialWords
            for (value, increment) in updates { made.update(&words, value: value, increment: increment) }
            return words
        }
        #expect(made.compare(value([(40, 50)]), value([(150, 2)])) > 0)        // 2000 > 300
        #expect(made.compare(value([(-5, 10)]), value([(1, 1)])) < 0)
        #expect(made.compare(value([(0, 3)]), value([(0, 5)])) < 0)
        #expect(made.compare(value([(0, 5)]), value([(0, 5)])) == 0)
    }
}

@Suite struct ActionTests {
    @Test func everyActionIsDefinedOnce() {
        var names = Set<String>()
        for action in Library.standard.actions { for name in action.names { #expect(names.insert(name).inserted, "\(name) is defined twice") } }
        #expect(names == ["trace", "print", "printf", "system", "freopen", "printa", "exit", "speculate", "commit", "discard", "clear", "trunc",
                          "normalize", "denormalize", "setopt", "tracemem", "bcopy", "copyinto", "raise", "ftruncate", "stack", "ustack",
                          "sym", "mod", "func", "usym", "umod", "uaddr", "ufunc"])
    }

    @Test func actionsRecordTheirOutput() throws {
        let compiled = try Compiler.compile(source: "BEGIN { trace(1); printf(\"%d\\n\", 2); @a = count(); printa(@a); exit(0); }", options: .standard)
        #expect(compiled.program.clauses[0].record.actions.map(\.output.description) == ["trace", "printf(#0)", "printa(-, [0])", "exit"])
        #expect(throws: Diagnostic.self) { try Compiler.compile(source: "BEGIN { trace(1); }") }   // no library: no actions
        // D's actions the library does not define are refused by name.
        #expect(throws: Diagnostic.self) { try Compiler.compile(source: "BEGIN { jstack(); }", options: .standard) }
    }
}
