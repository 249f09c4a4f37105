// DTraceSessionTests/RobustnessTests: thousands of mutated and random D programs go through
// the compiler (and, when they compile, their BEGIN clauses through the interpreter):
// each must compile and run, or fail with a diagnostic — never crash or hang.

import DTraceIR
import DTraceLanguage
import DTraceLibrary
import DTraceConsumer
import DTraceProviders
import DTraceSession
import Foundation
import DTraceSystem
import Testing

@Suite struct RobustnessTests {
    static let seeds = [
        "BEGIN { x = 1 + 2 * 3; printf(\"%d\\n\", x); exit(0); }",
        "BEGIN /1/ { @a[\"k\", 1] = count(); @q = quantize(5); a[1, \"s\"] = 2; trace(a[1, \"s\"]); }",
        "int g; BEGIN { self->t = timestamp; this->s = strjoin(\"a\", \"b\"); g = strlen(this->s) ? 1 : 0; }",
        "struct s { int a; char b[4]; }; BEGIN { trace(sizeof (struct s)); trace(offsetof(struct s, b)); }",
        "BEGIN { s = substr(\"hello\", 1, 3); printf(\"%s %c %x\\n\", s, 'a', 255 >> 2); exit(1 << 2); }",
        "tick-1s { printa(\"%s %@d\\n\", @x); } BEGIN { @x[execname] = sum(3); trunc(@x, 1); clear(@x); }",
        "BEGIN { i = 0; i += 2; i--; ++i; trace(i ^^ 0 || !i && ~i); trace(-i % 7); trace(i / (i - i)); }",
        "BEGIN { @l = llquantize(5, 4, 0, 1, 2); @m[1] = llquantize(-7, 10, 0, 18, 10, 3); @n = llquantize(1, 10, 0, 1, 20); }",
    ]

    static let fragments = ["(", ")", "{", "}", "/", "*", "+", "-", ";", ",", "[", "]", "\"", "'", "@", "$1", "->", "self", "this",
                            "x", "1", "0x", "BEGIN", "END", "tick-1s", "printf(\"%d\", ", "trace(", "count()", "=", "==", "?", ":",
                            "#pragma D option quiet\n", "int", "struct", "string", "sizeof", "stringof", "\\", "/*", "*/", "\n"]

    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
    }

    static func mutate(_ source: String, _ generator: inout Generator) -> String {
        var characters = Array(source)
        for _ in 0..<(1 + generator.next(4)) {
            switch generator.next(4) {
            case 0 where !characters.isEmpty: characters.remove(at: generator.next(characters.count))
            case 1: characters.insert(contentsOf: fragments[generator.next(fragments.count)], at: generator.next(characters.count + 1))
            case 2 where !characters.isEmpty:
                let at = generator.next(characters.count)
                characters.replaceSubrange(at...at, with: fragments[generator.next(fragments.count)])
            default:
                let a = generator.next(characters.count + 1), b = generator.next(characters.count + 1)
                characters.insert(contentsOf: characters[min(a, b)..<max(a, b)].prefix(40), at: generator.next(characters.count + 1))
            }
        }
        return String(characters)
    }

    /// Compiles (and runs BEGIN of) one program on a thread with a generous stack.
    static func exercise(_ source: String) -> String {
        var outcome = "compiled"
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            do {
                let compiled = try Compiler.compile(source: source, options: .standard)
                let catalog = ProbeCatalog()
                var enablings: [Enabling] = []
                for (index, clause) in compiled.program.clauses.enumerated() where clause.probes.contains(where: { $0.name == "BEGIN" }) {
                    if let begin = catalog.probe(named: "BEGIN") { enablings.append(Enabling(epid: enablings.count + 1, clause: index, probe: begin)) }
                }
                let sink = OutputSink(capturing: ())
                let consumer = Consumer(program: compiled.program, options: OutputOptions(), output: sink)
                let engine = UserEngine(program: compiled.program, enablings: enablings, consumer: consumer, errors: OutputSink(capturing: ()),
                                        dynamicVariableBytes: 1 << 16, speculations: 1, aggregationBytes: 4 << 20, subroutines: Library.standard.interpreted)
                if let begin = catalog.probe(named: "BEGIN") { engine.fire(begin) }
                consumer.printRemainingAggregations()
            } catch {
                outcome = ((error as? Diagnostic)?.message ?? "").isEmpty ? "empty diagnostic" : "diagnostic"
            }
            done.signal()
        }
        thread.stackSize = 64 << 20
        thread.start()
        if done.wait(timeout: .now() + 10) == .timedOut { return "hang" }
        return outcome
    }

    @Test func mutatedProgramsNeverCrashOrHang() {
        var generator = Generator(state: 0x5eed)
        var outcomes: [String: Int] = [:]
        for iteration in 0..<3000 {
            let seed = Self.seeds[iteration % Self.seeds.count]
            let source = Self.mutate(seed, &generator)
            let outcome = Self.exercise(source)
            #expect(outcome != "hang", "hang on: \(source)")
            #expect(outcome != "empty diagnostic", "empty diagnostic on: \(source)")
            outcomes[outcome, default: 0] += 1
        }
        #expect((outcomes["compiled"] ?? 0) > 100)
        #expect((outcomes["diagnostic"] ?? 0) > 100)
    }

    /// llquantize() over its parameters' space: each call compiles, to DTrace's number of
    /// buckets (bounded whatever the parameters), and runs, or is refused with a
    /// D_LLQUANT_* diagnostic. Steps below the factor and wide magnitude ranges once made
    /// dtrace allocate tens of gigabytes or hang.
    @Test func llquantizeParametersNeverCrashOrHang() throws {
        let crashed: [(Int64, Int64, Int64, Int64)] = [(4, 0, 1, 2), (10, 0, 3, 1), (10, 2, 5, 5), (2, 0, 62, 2), (10, 0, 18, 10),
                                                      (255, 0, 7, 65025), (2, 14, 62, 32768), (65535, 0, 3, 65535)]
        var generator = Generator(state: 0x11a)
        let factors: [Int64] = [-1, 0, 1, 2, 3, 4, 5, 10, 16, 100, 255, 1000, 65535, 65536]
        let magnitudes: [Int64] = [-1, 0, 1, 2, 3, 5, 9, 18, 19, 31, 62, 63, 64, 65535, 65536]
        let steps: [Int64] = [-1, 0, 1, 2, 3, 4, 5, 8, 10, 16, 20, 25, 30, 32, 64, 100, 1000, 4096, 65025, 65535, 65536]
        var random: [(Int64, Int64, Int64, Int64)] = []
        for _ in 0..<150 {
            let low = magnitudes[generator.next(magnitudes.count)]
            random.append((factors[generator.next(factors.count)], low, low + magnitudes[generator.next(6)], steps[generator.next(steps.count)]))
        }
        var compiled = 0
        for (factor, low, high, step) in crashed + random {
            let call = "llquantize(VALUE, \(factor), \(low), \(high), \(step))"
            // Each key's values near one another: the rows printed between them stay few.
            let source = "BEGIN { " + [("0", "-12345"), ("0", "12345"), ("1", "9223372036854775807"), ("2", "-9223372036854775807 - 1")].map { key, value in
                "@a[\(key)] = \(call.replacingOccurrences(of: "VALUE", with: value)); "
            }.joined() + "}"
            let outcome = Self.exercise(source)
            #expect(outcome == "compiled" || outcome == "diagnostic", "\(outcome) on: \(source)")
            do {
                let function = try Compiler.compile(source: source, options: .standard).program.aggregations[0].function
                compiled += 1
                #expect(function.wordCount == Int((high - low + 1) * (step - step / factor) * 2 + 3), "bucket count of \(call)")
                #expect(function.wordCount < 2_000_000, "\(call)")
            } catch {
                #expect(error.message.hasPrefix("llquantize"), "\(call): \(error.message)")
                #expect(error.tag.hasPrefix("D_LLQUANT_"), "\(call): \(error.tag)")
            }
        }
        #expect(compiled >= crashed.count)
    }

    @Test func randomBytesNeverCrash() {
        var generator = Generator(state: 42)
        for _ in 0..<1000 {
            let length = generator.next(200)
            let text = String((0..<length).map { _ in Character(UnicodeScalar(UInt8(generator.next(128)))) })
            #expect(Self.exercise(text) != "hang")
        }
    }

    @Test func deepNestingIsRefused() {
        let deep = "BEGIN { x = " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + "; }"
        #expect(Self.exercise(deep) == "diagnostic")
        let long = "BEGIN { x = 1" + String(repeating: " + 1", count: 20000) + "; }"
        #expect(Self.exercise(long) == "diagnostic")
        let unary = "BEGIN { x = " + String(repeating: "-", count: 10000) + "1; }"
        #expect(Self.exercise(unary) == "diagnostic")
        // Declarations nest too: structs in members, prototypes in parameters.
        let structs = String(repeating: "struct a { ", count: 20000) + "int x;" + String(repeating: "} y;", count: 20000) + " BEGIN { }"
        #expect(Self.exercise(structs) == "diagnostic")
        let prototypes = String(repeating: "int f(", count: 20000) + "int" + String(repeating: ")", count: 20000) + "; BEGIN { }"
        #expect(Self.exercise(prototypes) == "diagnostic")
    }
}
