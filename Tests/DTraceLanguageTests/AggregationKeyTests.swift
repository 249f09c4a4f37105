// DTraceLanguageTests/AggregationKeyTests: string key slots of aggregations are as narrow as
// the whole program allows (execname and literals have known lengths), never narrower;
// a use the layout did not foresee is refused, not truncated.

import DTraceLanguage
import DTraceLibrary
import Testing

@Suite struct AggregationKeyTests {
    func keySize(_ source: String) throws -> Int {
        let compiled = try Compiler.compile(source: source, options: .standard)
        return compiled.program.aggregations[0].keySize
    }

    @Test func execnameKeysAreSixteenBytes() throws {
        #expect(try keySize("BEGIN { @[execname] = count(); }") == 16)
        #expect(try keySize("BEGIN { @[execname, \"read\"] = count(); @[execname, \"write\"] = count(); }") == 24)
        #expect(try keySize("BEGIN { @[execname, 3] = count(); }") == 24)
    }

    @Test func anyOtherStringKeepsTheFullSlot() throws {
        #expect(try keySize("BEGIN { @[execname] = count(); } END { @[probefunc] = count(); }") == 264)
        #expect(try keySize("BEGIN { @[strjoin(execname, \"x\")] = count(); }") == 264)
        #expect(try keySize("BEGIN { @[\"a\"] = count(); @[\"a\"] = count(); x = \"b\"; @[x] = count(); }") == 264)
    }

    @Test func aTextCompiledLaterCannotWidenANarrowSlot() throws {
        let compiler = Compiler(options: .standard)
        var first = Parser(source: "BEGIN { @[execname] = count(); }")
        let syntax = try first.parseProgram()
        compiler.prescan([syntax])
        try compiler.add(syntax)
        var second = Parser(source: "END { @[probefunc] = count(); }")
        let later = try second.parseProgram()
        #expect(throws: Diagnostic.self) { try compiler.add(later) }
    }
}
