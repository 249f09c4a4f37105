// DTraceLanguageTests/ArgumentRecordTests: tracepoint fields (as tracefs names their
// types) typed as D sees them through args->.

import DTraceLanguage
import Testing

@Suite struct ArgumentRecordTests {
    @Test func fieldsTypedForArgs() {
        func type(_ typeName: String, size: Int, signed: Bool = false) -> String {
            ArgumentRecord.type(of: ArgumentRecord.Field(name: "f", typeName: typeName, offset: 0, size: size, signed: signed)).description
        }
        #expect(type("pid_t", size: 4, signed: true) == "pid_t")
        #expect(type("char[16]", size: 16) == "char [16]")
        #expect(type("u64[4]", size: 32) == "u64 [4]")
        #expect(type("const char *", size: 8) == "char *")
        #expect(type("__data_loc char[]", size: 4) == "uint32_t")
        #expect(type("char[]", size: 0) == "char [1]")
    }
}
