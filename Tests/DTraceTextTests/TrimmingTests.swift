// DTraceTextTests/TrimmingTests: trimming with the character sets its users pass —
// spaces alone, spaces and tabs, all white space — on both ends, never inside.

import DTraceText
import Testing

@Suite struct TrimmingTests {
    @Test func trimsOnlyTheGivenCharactersAtBothEnds() {
        #expect("  const char  ".trimming(anyOf: " ") == "const char")
        #expect("\t a b \t".trimming(anyOf: " ") == "\t a b \t")
        #expect("\t a\tb \t".trimming(anyOf: " \t") == "a\tb")
        #expect("\r\n control_d \n".trimming(anyOf: " \t\n\r") == "control_d")
        #expect("xen\r\n".trimming(anyOf: " \t\n\r") == "xen")
        #expect("abc".trimming(anyOf: "") == "abc")
    }

    @Test func emptyAndAllTrimmedTextGiveEmptyText() {
        #expect("".trimming(anyOf: " ") == "")
        #expect(" \t \t".trimming(anyOf: " \t") == "")
    }

    @Test func substringsAndNonASCIITextKeepTheirMiddle() {
        let line = "field: unsigned long  x ;"
        let part = line.split(separator: ":")[1]
        #expect(part.trimming(anyOf: " ;") == "unsigned long  x")
        #expect("  naïve café  ".trimming(anyOf: " ") == "naïve café")
    }
}
