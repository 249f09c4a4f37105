// DTraceLanguageTests/VariableTableTests: the variable table `-S` prints after each clause,
// checked against Oracle's DTrace test suite (test/unittest/variables/{gvar,lvar,tvar,bvar}:
// tst.alignment-*, tst.undecl-offset, tst.offset-blank; test/unittest/disasm/tst.vartab-bvar)
// — rows as those tests compare them, without the ID and RANGE columns — and the columns,
// ids and flags of the whole table.

import DTraceIR
import DTraceLanguage
import DTraceLibrary
import Testing

@Suite struct VariableTableTests {
    /// The tables of a program's clauses, as `-S` prints them.
    static func tables(_ source: String) throws -> [String] {
        let program = try Compiler.compile(source: source, options: .standard).program
        return program.clauses.map { VariableTable.listing($0.variables, instructionCount: $0.function.instructions.count) }
    }

    /// A table's rows as Oracle's tests compare them (their gawk script): NAME, OFFSET, KND,
    /// SCP, FLAG and TYPE, in the columns "%-16s %-6s %-3s %-3s %-4s %s".
    static func comparedRows(_ table: String) -> [String] {
        func left(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        func column(_ line: String, _ start: Int, _ width: Int) -> String {
            let characters = Array(line)
            guard start < characters.count else { return "" }
            return String(characters[start..<min(start + width, characters.count)].filter { $0 != " " })
        }
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("NAME") }) else { return [] }
        return lines[(header + 1)...].prefix { !$0.isEmpty }.map { line in
            // NAME 0-15, ID 17-20, OFFSET 22-27, KND 29-31, SCP 33-35, RANGE 37-47, FLAG 49-52, TYPE 54-.
            let type = String(Array(line)[54...])
            return [left(column(line, 0, 16), 16), left(column(line, 22, 6), 6), left(column(line, 29, 3), 3), left(column(line, 33, 3), 3),
                    left(column(line, 49, 4), 4), type].joined(separator: " ")
        }
    }

    static func row(_ name: String, _ offset: String, _ kind: String, _ scope: String, _ flags: String, _ type: String) -> String {
        func left(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        return [left(name, 16), left(offset, 6), left(kind, 3), left(scope, 3), left(flags, 4), type].joined(separator: " ")
    }

    /// Oracle's tst.alignment-* cases: a one-byte variable declared first, then `var` of the
    /// type, which the clause reads or writes — its offset, flags and type.
    static let alignmentCases: [(declaration: String, statement: String, offset: Int, flags: String, type: String)] = [
        ("char var", "var = 0x12", 1, "w", "D type (integer) (size 1)"),
        ("short var", "var = 0x1234", 2, "w", "D type (integer) (size 2)"),
        ("int var", "var = 0x12345678", 4, "w", "D type (integer) (size 4)"),
        ("long var", "var = 0x12345678", 8, "w", "D type (integer) (size 8)"),
        ("char *var", "var = 0", 8, "w", "D type (pointer) (size 8)"),
        ("short var[5]", "var[3] = 0x1234", 2, "r", "D type (array) by ref (size 10)"),
        ("struct { short u, v; } var", "var.u = 0x1234", 8, "r", "D type (struct) by ref (size 4)"),
        ("struct { int u; long v; short w; } var", "var.w = 0x1234", 8, "r", "D type (struct) by ref (size 18)"),
    ]

    @Test(arguments: alignmentCases)
    func globalsAreAlignedAfterEachOther(_ example: (declaration: String, statement: String, offset: Int, flags: String, type: String)) throws {
        let tables = try Self.tables("char dummy;\n\(example.declaration);\n\nBEGIN\n{\n\t\(example.statement);\n\texit(0);\n}\n")
        #expect(tables.map(Self.comparedRows) == [[Self.row("var", String(example.offset), "scl", "glb", example.flags, example.type)]])
    }

    @Test(arguments: alignmentCases)
    func clauseLocalsAreAlignedAfterEachOther(_ example: (declaration: String, statement: String, offset: Int, flags: String, type: String)) throws {
        let tables = try Self.tables("this char dummy;\nthis \(example.declaration);\n\nBEGIN\n{\n\tthis->\(example.statement);\n\texit(0);\n}\n")
        #expect(tables.map(Self.comparedRows) == [[Self.row("var", String(example.offset), "scl", "loc", example.flags, example.type)]])
    }

    @Test(arguments: alignmentCases)
    func threadLocalsAreAtOffsetZero(_ example: (declaration: String, statement: String, offset: Int, flags: String, type: String)) throws {
        let tables = try Self.tables("self char dummy;\nself \(example.declaration);\n\nBEGIN\n{\n\tself->\(example.statement);\n\texit(0);\n}\n")
        #expect(tables.map(Self.comparedRows) == [[Self.row("var", "0", "scl", "tls", example.flags, example.type)]])
    }

    /// tst.undecl-offset: a variable never declared takes its storage, sized by its type,
    /// when first assigned.
    @Test func undeclaredVariablesAreStoredWhenFirstAssigned() throws {
        let tables = try Self.tables("BEGIN\n{\n\ta = \"\";\n\tb = a;\n\texit(0);\n}\n")
        #expect(tables.map(Self.comparedRows) == [[
            Self.row("a", "0", "scl", "glb", "r/w", "string (unknown) by ref (size 256)"),
            Self.row("b", "256", "scl", "glb", "w", "string (unknown) by ref (size 256)"),
        ]])
    }

    /// tst.offset-blank and tst.vartab-bvar: built-in variables have no offset; they are
    /// listed by DTrace's ids (so in this order) with DTrace's types.
    @Test func builtinVariablesHaveNoOffset() throws {
        #expect(try Self.tables("BEGIN\n{\n\ttrace(pid);\n\texit(0);\n}\n").map(Self.comparedRows) == [[
            Self.row("pid", "", "scl", "glb", "r", "D type (integer) (size 4)"),
        ]])
        let names = ["arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "arg7", "arg8", "arg9", "args[0]", "caller", "curcpu", "curthread",
                     "epid", "errno", "execname", "gid", "id", "ipl", "pid", "ppid", "probefunc", "probemod", "probename", "probeprov", "stackdepth",
                     "tid", "timestamp", "ucaller", "uid", "ustackdepth", "vtimestamp", "walltimestamp"]
        let source = "BEGIN\n{\n" + names.map { "\ttrace(\($0));\n" }.joined() + "\texit(0);\n}\n"
        func scalar(_ name: String, _ type: String) -> String { Self.row(name, "", "scl", "glb", "r", type) }
        let integer8 = "D type (integer) (size 8)", integer4 = "D type (integer) (size 4)", pointer = "D type (pointer) (size 8)"
        let string = "string (unknown) by ref (size 256)"
        #expect(try Self.tables(source).map(Self.comparedRows) == [[
            Self.row("args", "", "arr", "glb", "r", "any (unknown) by ref (size 0)"),
            scalar("curthread", pointer), scalar("timestamp", integer8), scalar("vtimestamp", integer8), scalar("ipl", integer4),
            scalar("epid", integer8), scalar("id", integer4),
        ] + (0...9).map { scalar("arg\($0)", integer8) } + [
            scalar("stackdepth", integer4), scalar("caller", integer8), scalar("probeprov", string), scalar("probemod", string),
            scalar("probefunc", string), scalar("probename", string), scalar("pid", integer4), scalar("tid", integer4), scalar("execname", string),
            scalar("walltimestamp", integer8), scalar("ustackdepth", integer4), scalar("ucaller", integer8), scalar("ppid", integer4),
            scalar("uid", integer4), scalar("gid", integer4), scalar("errno", integer4), scalar("curcpu", pointer),
        ]])
        #expect(try Self.tables("BEGIN { trace(uregs[0]); }").map(Self.comparedRows) == [[
            Self.row("uregs", "", "arr", "glb", "r", "D type (integer) (size 8)"),
        ]])
    }

    /// The whole table: a blank line, DTrace's column heads, rows with the ids in hex and
    /// the clause's instruction range, a blank line that ends it; none without variables.
    @Test func tableColumnsAndIds() throws {
        let program = try Compiler.compile(source: "char dummy; short var; BEGIN { var = 0x1234; this->t = var; self->s = \"\"; }",
                                           options: .standard).program
        let clause = program.clauses[0]
        let last = clause.function.instructions.count - 1
        #expect(VariableTable.listing(clause.variables, instructionCount: clause.function.instructions.count) == """

            NAME             ID   OFFSET KND SCP RANGE       FLAG TYPE
            s                500  0      scl tls [0-\(last)]\(String(repeating: " ", count: 8 - String(last).count))w    string (unknown) by ref (size 256)
            var              501  2      scl glb [0-\(last)]\(String(repeating: " ", count: 8 - String(last).count))r/w  D type (integer) (size 2)
            t                0    0      scl loc [0-\(last)]\(String(repeating: " ", count: 8 - String(last).count))w    D type (integer) (size 2)


            """)
        #expect(try Self.tables("BEGIN { trace(1); exit(0); }") == [""])
    }

    /// Compound assignments and ++ read and write; an element of an associative array is
    /// the array's; aggregations are listed in every clause once defined, without flags; code
    /// that is not emitted (sizeof's operand) uses nothing.
    @Test func flagsAndKinds() throws {
        let tables = try Self.tables("""
            int a[int];
            BEGIN { x = 1; x += 2; y++; a[1] = 2; self->t[1] = "s"; @c = count(); }
            END { trace(a[1]); trace(sizeof (x)); }
            """)
        #expect(tables.map(Self.comparedRows) == [
            [Self.row("t", "0", "arr", "tls", "w", "string (unknown) by ref (size 256)"),
             Self.row("c", "0", "agg", "glb", "", "any (unknown) by ref (size 0)"),
             Self.row("a", "0", "arr", "glb", "w", "D type (integer) (size 4)"),
             Self.row("x", "4", "scl", "glb", "r/w", "D type (integer) (size 4)"),
             Self.row("y", "8", "scl", "glb", "r/w", "D type (integer) (size 8)")],
            [Self.row("c", "0", "agg", "glb", "", "any (unknown) by ref (size 0)"),
             Self.row("a", "0", "arr", "glb", "r", "D type (integer) (size 4)")],
        ])
    }

    /// As DTrace's type library sizes a struct the program declares: where its last member
    /// ends, with no padding after it.
    @Test func structsHaveNoTailPadding() throws {
        let program = try Compiler.compile(source: """
            struct s { int u; long v; short w; };
            union u { char c[3]; short s; };
            BEGIN { @a = sum(sizeof (struct s)); @b = sum(sizeof (union u)); @c = sum(offsetof (struct s, w)); }
            """, options: .standard).program
        let constants = program.clauses[0].function.instructions.compactMap { instruction -> Int64? in
            if case .constant(_, let value) = instruction { return value }
            return nil
        }
        #expect(constants.contains(18) && constants.contains(3) && constants.contains(16))
    }
}
