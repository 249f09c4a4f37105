// DTraceSessionTests/TracingOptionsTests: options validated and typed once, as
// dtrace_setopt() takes them — flags set by any value but the negatives, sizes with
// suffixes, rates as periods, the output format and flame graph path, unknown names and bad
// values refused.

import DTraceConsumer
import DTraceSession
import Testing

@Suite struct TracingOptionsTests {
    func options(_ settings: [(String, String?)]) throws -> TracingOptions {
        var options = TracingOptions()
        for (name, value) in settings { try options.set(name, value) }
        return options
    }

    @Test func flagsAreSetByAnyValueButTheNegatives() throws {
        #expect(try options([("quiet", nil)]).quiet)
        #expect(try options([("quiet", "0")]).quiet)          // dtrace(1M): 0 is a value, so set
        #expect(try options([("quiet", "yes")]).quiet)
        for negative in ["no", "off", "false", "unset", "disabled", ""] { #expect(try !options([("quiet", negative)]).quiet, "\(negative)") }
        #expect(try !options([("aggsortkey", nil), ("aggsortkey", "no")]).sortByKey)
    }

    @Test func valuesAreTyped() throws {
        let typed = try options([("bufsize", "8m"), ("strsize", "64"), ("switchrate", "10hz"), ("nspec", "4"), ("engine", "user")])
        #expect(typed.bufferSize == 8 << 20)
        #expect(typed.stringSize == 64)
        #expect(typed.switchPeriod == 100_000_000)
        #expect(typed.speculationLimit == 4)
        #expect(typed.engine == .user)
        #expect(try options([("bufsize", "1")]).bufferSize == 4096)   // at least a page
    }

    /// printsize as Oracle's DTrace takes it: rounded up to a multiple of 8; no value, 0 or
    /// more than 64k mean 8k; unset, print() shows everything.
    @Test func printSizeAsOracleTakesIt() throws {
        #expect(TracingOptions().outputOptions.printSize == nil)
        #expect(try options([("printsize", "8")]).outputOptions.printSize == 8)
        #expect(try options([("printsize", "5")]).printSize == 8)
        #expect(try options([("printsize", "1k")]).printSize == 1024)
        for fallback: String? in [nil, "0", "65537", "1m"] { #expect(try options([("printsize", fallback)]).printSize == 8192, "\(fallback ?? "nil")") }
        for bad in ["", "eight", "-8"] { #expect(throws: OptionError.self, "\(bad)") { try options([("printsize", bad)]) } }
    }

    @Test func outputFormatAndFlameGraph() throws {
        #expect(TracingOptions().outputFormat == .text)
        #expect(try options([("oformat", "json")]).outputOptions.format == .json)
        #expect(try options([("oformat", "folded")]).outputFormat == .folded)
        #expect(try options([("flamegraph", "/tmp/x.svg")]).flameGraphPath == "/tmp/x.svg")
        for bad in ["xml", "JSON", "", "html"] { #expect(throws: OptionError.self, "\(bad)") { try options([("oformat", bad)]) } }
        #expect(throws: OptionError.self) { try options([("oformat", nil)]) }
        #expect(throws: OptionError.self) { try options([("flamegraph", "")]) }
    }

    @Test func badNamesAndValuesAreRefused() {
        #expect(throws: OptionError.self) { try options([("nosuchoption", nil)]) }
        #expect(throws: OptionError.self) { try options([("bufsize", "lots")]) }
        #expect(throws: OptionError.self) { try options([("engine", "gdb")]) }
        #expect(throws: OptionError.self) { try options([("switchrate", "")]) }
        #expect(throws: OptionError.self) { try options([("syscallprobes", "fast")]) }
    }
}
