// DTraceLanguageTests/LexerTests: D's tokens as a table — integer literals with their
// C types (suffixes, octal, hex), strings and characters with escapes, punctuators
// longest first, macro arguments and variables, aggregations — and lexical errors
// reported with their line, not trapped on.

import DTraceLanguage
import Testing

func tokens(_ source: String) throws -> [TokenKind] {
    var lexer = Lexer(source)
    var kinds: [TokenKind] = []
    while true {
        let token = try lexer.next()
        if token.kind == .endOfInput { return kinds }
        kinds.append(token.kind)
    }
}

@Suite struct LexerTests {
    static let integers: [(String, UInt64, String)] = [
        ("0", 0, "int"), ("42", 42, "int"), ("0x1F", 31, "int"), ("017", 15, "int"),
        ("42u", 42, "unsigned int"), ("42l", 42, "long"), ("42ul", 42, "unsigned long"), ("4294967296", 4294967296, "long"),
        ("0xffffffff", 4294967295, "unsigned int"), ("0xffffffffffffffff", UInt64.max, "unsigned long"), ("42ll", 42, "long long"),
    ]

    @Test(arguments: integers)
    func integerLiterals(_ text: String, _ value: UInt64, _ typeName: String) throws {
        let kinds = try tokens(text)
        #expect(kinds.count == 1)
        guard case .integer(let got, let type)? = kinds.first else { Issue.record("\(text): \(kinds)"); return }
        #expect(got == value)
        #expect(type == typeName, "\(text): \(type)")
    }

    @Test func stringsAndCharactersWithEscapes() throws {
        #expect(try tokens(#""a\tb\n\\\"c""#) == [.string(Array("a\tb\n\\\"c".utf8))])
        #expect(try tokens(#"'\n'"#) == [.character(10)])
        #expect(try tokens(#"'\0'"#) == [.character(0)])
        #expect(try tokens(#""\x41\101""#) == [.string(Array("AA".utf8))])
    }

    @Test func punctuatorsLongestFirst() throws {
        #expect(try tokens("a <<= b->c ^^ d") == [.identifier("a"), .punctuation("<<="), .identifier("b"), .punctuation("->"), .identifier("c"), .punctuation("^^"), .identifier("d")])
        #expect(try tokens("x+++y") == [.identifier("x"), .punctuation("++"), .punctuation("+"), .identifier("y")])
    }

    @Test func macrosAndAggregations() throws {
        #expect(try tokens("$1 $$2 $target @counts @") == [.macroArgument(1, asString: false), .macroArgument(2, asString: true),
                                                            .macroVariable("target", asString: false), .aggregation("counts"), .aggregation("")])
    }

    @Test func commentsAndInterpreterLine() throws {
        #expect(try tokens("#!/usr/sbin/dtrace -s\n/* a */ x // b\n") == [.identifier("x")])
    }

    @Test func badInputIsADiagnosticWithItsLine() {
        for source in ["\n\n\"unterminated", "x = '", "/* never closed", "0x", "\u{1}"] {
            var lexer = Lexer(source)
            do throws(Diagnostic) {
                while try lexer.next().kind != .endOfInput {}
                Issue.record("no diagnostic for \(source.debugDescription)")
            } catch {
                #expect(error.line >= 1)
            }
        }
    }
}
