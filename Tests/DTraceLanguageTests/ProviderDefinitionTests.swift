// DTraceLanguageTests/ProviderDefinitionTests: provider definitions as dtrace -h reads
// them — probes with anonymous, named, void and translated parameters, several providers,
// comments, pragmas and skipped C declarations — DTrace's errors with their lines, and
// the header written for them, compared whole with Golden/provider.h.

import DTraceLanguage
import Foundation
import Testing

@Suite struct ProviderDefinitionTests {
    @Test func probesParametersAndProviders() throws {
        let source = """
        #pragma D attributes Evolving/Evolving/Common provider myprov provider
        /* a comment
           over two lines */
        typedef struct foo { int a; } foo_t;
        provider myprov {
            probe query__start(char *, int);   // C++-style comment
            probe done();
        #pragma D attributes Evolving/Evolving/Common provider myprov args
            probe with_names(int count, const char *name);
            probe translated(struct foo *p) : (struct bar *p);
            probe nothing(void);
            probe kinds(uint32_t, const size_t, unsigned long, struct foo, char buf[16], char **argv, foo_t id);
        };
        provider second { probe only(long long); };
        """
        let providers = try ProviderDefinitionParser.parse(source)
        #expect(providers.map(\.name) == ["myprov", "second"])
        let probes = providers[0].probes
        #expect(probes.map(\.identifier) == ["query__start", "done", "with_names", "translated", "nothing", "kinds"])
        #expect(probes.map(\.name) == ["query-start", "done", "with_names", "translated", "nothing", "kinds"])
        #expect(probes.map(\.line) == [6, 7, 9, 10, 11, 12])
        #expect(probes[0].parameters == [ProbeParameter(type: "char *"), ProbeParameter(type: "int")])
        #expect(probes[1].parameters == [])
        #expect(probes[2].parameters == [ProbeParameter(type: "int", name: "count"), ProbeParameter(type: "const char *", name: "name")])
        #expect(probes[3].parameters == [ProbeParameter(type: "struct foo *", name: "p")])
        #expect(probes[3].translatedParameters == [ProbeParameter(type: "struct bar *", name: "p")])
        #expect(probes[4].parameters == [])
        #expect(probes[5].parameters == [
            ProbeParameter(type: "uint32_t"), ProbeParameter(type: "const size_t"), ProbeParameter(type: "unsigned long"),
            ProbeParameter(type: "struct foo"), ProbeParameter(type: "char [16]", name: "buf"), ProbeParameter(type: "char **", name: "argv"),
            ProbeParameter(type: "foo_t", name: "id"),
        ])
        #expect(providers[1].probes.map(\.parameters) == [[ProbeParameter(type: "long long")]])
    }

    @Test func providerDefinedAgainWithTheSameInterface() throws {
        let providers = try ProviderDefinitionParser.parse("provider p { probe a(int); probe b(); };\nprovider p { probe a(int); };")
        #expect(providers.count == 1)
        #expect(providers[0].probes.map(\.name) == ["a", "b"])
        #expect(try ProviderDefinitionParser.parse("provider p { };").first?.probes == [])
        #expect(try ProviderDefinitionParser.parse("").isEmpty)
    }

    @Test func twelveArgumentsIsTheMost() throws {
        let twelve = Array(repeating: "int", count: 12).joined(separator: ", ")
        #expect(try ProviderDefinitionParser.parse("provider p { probe wide(\(twelve)); };").first?.probes.first?.parameters.count == 12)
    }

    static let errors: [(String, String)] = [
        ("provider p {\n  probe a(int);\n  probe a(long);\n};", "line 3: probe redeclared: p:::a"),
        ("provider p {\n  probe a__b(int);\n  probe a__b();\n};", "line 3: probe redeclared: p:::a-b"),
        ("provider p {\n  probe a(int)\n};", "line 3: syntax error near \"}\""),
        ("provider p {\n  probe a(int);\n}\n", "line 4: syntax error near end of input"),
        ("provider p {\n  probe a(int;\n};", "line 2: syntax error near \";\""),
        ("provider p {\n  probe a(int,);\n};", "line 2: syntax error near \")\""),
        ("provider p {\n  probe a(, int);\n};", "line 2: syntax error near \",\""),
        ("provider p {\n  probe a(int]);\n};", "line 2: syntax error near \"]\""),
        ("provider p {\n  probe a(\"s\");\n};", "line 2: syntax error near \"\"s\"\""),
        ("provider p {\n  probe 3(int);\n};", "line 2: syntax error near \"3\""),
        ("provider p {\n  a(int);\n};", "line 2: syntax error near \"a\""),
        ("provider {\n};", "line 1: syntax error near \"{\""),
        ("provider p2 {\n};", "line 1: provider name may not end with a digit: p2"),
        ("provider \(String(repeating: "p", count: 64)) {\n};", "line 1: provider name may not exceed 63 characters: \(String(repeating: "p", count: 64))"),
        ("provider p {\n  probe \(String(repeating: "a", count: 64))();\n};", "line 2: probe name may not exceed 63 characters: ::\(String(repeating: "a", count: 64))"),
        ("provider p {\n  probe wide(\(Array(repeating: "int", count: 13).joined(separator: ", ")));\n};",
         "line 2: probe p:::wide input prototype exceeds 12 parameters: 13 params used (the most <sys/sdt.h> probes can take)"),
        ("provider p {\n  probe a(void, int);\n};", "line 2: void must be sole parameter"),
        ("provider p {\n  probe a(void x);\n};", "line 2: void parameter may not have a name: x"),
        ("provider p {\n  probe a(int x, char *x);\n};", "line 2: parameter is already declared in probe input prototype: x, parameter #2"),
        ("provider p {\n  probe a(int x) : (int y);\n};", "line 2: parameter is not declared in probe output prototype: y, parameter #1"),
        ("provider p {\n  probe a(int x) : (int);\n};", "line 2: parameter declaration requires a name: parameter #1"),
        ("provider p {\n  probe a(int, ...);\n};", "line 2: probe input prototype may not use a variable-length argument list"),
        ("provider p { probe a(int); };\nprovider p {\n  probe a(long);\n};", "line 3: probe p:::a prototype argument #1 mismatch: long now, int before"),
        ("provider p { probe a(int); };\nprovider p {\n  probe a();\n};", "line 3: probe p:::a prototype mismatch: 0 args now, 1 arg before"),
        ("provider p { probe a(int); };\nprovider p {\n  probe b();\n};", "line 3: provider interface mismatch: p: probe p:::b is defined now but was not before"),
        ("BEGIN { exit(0); }", "line 1: syntax error near \"BEGIN\""),
        ("#include <stdio.h>\nprovider p { };", "line 1: invalid control directive: #include"),
        ("/* never closed\nprovider p { };", "line 2: end-of-file encountered before matching */"),
        ("typedef struct foo { int a;\nprovider p { };", "line 2: syntax error near end of input"),
    ]

    @Test(arguments: errors)
    func errorsNameTheirLine(_ source: String, _ message: String) {
        do {
            let providers = try ProviderDefinitionParser.parse(source)
            Issue.record("accepted: \(providers)")
        } catch {
            #expect(error.rendered(withTags: false, showLine: true) == message)
        }
    }

    @Test func errorTags() {
        do {
            _ = try ProviderDefinitionParser.parse("provider p {\n  probe a(void, int);\n};")
            Issue.record("accepted")
        } catch {
            #expect(error.rendered(withTags: true, showLine: true) == "[D_DECL_PROTO_VOID] line 2: void must be sole parameter")
        }
    }

    @Test func namesInTheHeader() throws {
        let probe = ProbeDefinition(identifier: "query__start", parameters: [], line: 1)
        #expect(ProviderHeader.macroName(provider: "myprov", probe: probe) == "MYPROV_QUERY_START")
        #expect(ProviderHeader.semaphoreName(provider: "myprov", probe: probe) == "myprov_query__start_semaphore")
        #expect(ProviderHeader.macroName(provider: "p", probe: ProbeDefinition(identifier: "a___b", parameters: [], line: 1)) == "P_A__B")
        #expect(ProviderHeader.guardName(forFile: "provider.h") == "_PROVIDER_H")
        #expect(ProviderHeader.guardName(forFile: "build/probes-gen.h") == "_PROBES_GEN_H")
        #expect(ProviderHeader.guardName(forFile: "my.provider.hpp") == "_MY_PROVIDER_HPP")
    }

    /// The whole header for the brief's provider, against the reviewed golden file (a C
    /// program built with it is checked end to end in DTraceCLITests/ProviderBuildTests).
    @Test func headerMatchesGolden() throws {
        let providers = try ProviderDefinitionParser.parse("""
        provider myprov {
            probe query__start(char *, int);
            probe done();
        };
        """)
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/provider.h")
        let expected = try String(contentsOf: golden, encoding: .utf8)
        let text = ProviderHeader.text(for: providers, fileName: "provider.h")
        #expect(text == expected)
    }

    @Test func headerHasOneProbeMacroPerArgumentCount() throws {
        let providers = try ProviderDefinitionParser.parse("provider a { probe x(int); probe y(int); }; provider b { probe z(int, int, int); };")
        let text = ProviderHeader.text(for: providers, fileName: "ab.h")
        let definitions = text.split(separator: "\n").filter { $0.hasPrefix("#define\tDTRACE_PROBE") }.map { $0.prefix { $0 != "(" } }
        #expect(definitions == ["#define\tDTRACE_PROBE1", "#define\tDTRACE_PROBE3"])
        #expect(text.contains("#define\tB_Z(arg0, arg1, arg2) \\\n\tDTRACE_PROBE3 (b, z, arg0, arg1, arg2)\n"))
        #expect(text.hasSuffix("#endif\t/* _AB_H */\n"))
    }
}
