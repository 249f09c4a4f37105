// DTraceSystemTests/SymbolDemanglerTests: Swift names through the Swift runtime's
// swift_demangle, C++ names through the C++ runtime's __cxa_demangle, and names that are
// neither (or only look mangled) left alone.

import DTraceSystem
import Testing

@Suite struct SymbolDemanglerTests {
    @Test(arguments: [
        ("$sSi", "Swift.Int"),
        ("$s4main3fooyyF", "main.foo() -> ()"),
        ("$sSS5countSivg", "Swift.String.count.getter : Swift.Int"),
        ("_ZN2ns4leafEv", "ns::leaf()"),
        ("_ZNKSt9exception4whatEv", "std::exception::what() const"),
        ("_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"),
    ])
    func mangledNames(_ mangled: String, _ demangled: String) {
        #expect(SymbolDemangler.demangle(mangled) == demangled)
    }

    @Test(arguments: ["main", "getpid", "__libc_start_main", "_Z", "_Znot-a-name", "$", "$sNOT A NAME", ""])
    func otherNamesAreLeftAlone(_ name: String) {
        #expect(SymbolDemangler.demangle(name) == nil)
    }
}
