// DTraceConsumerTests/UserSymbolsTests: naming user addresses — /proc/PID/maps parsing and
// this very process's libc named through its own maps. (The ELF symbol reader underneath
// is tested in DTraceELFTests.)

@testable import DTraceConsumer
import Glibc
import Testing

@Suite struct UserSymbolsTests {
    @Test func processMapsText() {
        let text = """
        55d4c6a4e000-55d4c6a50000 r--p 00000000 fe:01 1234                       /usr/bin/cat
        55d4c6a50000-55d4c6a55000 r-xp 00002000 fe:01 1234                       /usr/bin/cat
        7f0000000000-7f0000021000 rw-p 00000000 00:00 0
        7f1000000000-7f1000001000 r-xp 00000000 fe:01 99                         /tmp/a dir/lib one.so (deleted)
        7ffd1c1f0000-7ffd1c212000 rw-p 00000000 00:00 0                          [stack]
        garbage line
        """
        let mappings = UserSymbols.parseMaps(text)
        #expect(mappings.count == 3)
        #expect(mappings[1] == UserSymbols.Mapping(start: 0x55d4c6a50000, end: 0x55d4c6a55000, fileOffset: 0x2000, path: "/usr/bin/cat", fileKey: "fe:01:1234"))
        #expect(mappings[2].path == "/tmp/a dir/lib one.so")
    }

    @Test func thisProcessNamesItsOwnLibc() throws {
        let handle = try #require(dlopen(nil, RTLD_NOW))
        defer { dlclose(handle) }
        let address = UInt64(UInt(bitPattern: try #require(dlsym(handle, "getpid") as UnsafeMutableRawPointer?)))
        let symbols = UserSymbols()
        let pid = getpid()
        #expect(symbols.symbolText(pid, address) == "libc.so.6`getpid")
        #expect(symbols.addressText(pid, address + 3) == "libc.so.6`getpid+0x3")
        #expect(symbols.moduleText(pid, address) == "libc.so.6")
        #expect(symbols.addressText(pid, 0x10) == "0x10")
        #expect(symbols.moduleText(pid, 0x10) == "0x10")
        // A process that does not exist names nothing.
        #expect(symbols.addressText(Int32.max, address) == "0x" + String(address, radix: 16))
    }

    /// Noting a process reads its maps only: a file's symbols are read when one of its
    /// addresses is first named (after tracing, for aggregation keys), once per file.
    @Test func symbolsAreReadWhenFirstNeeded() throws {
        let handle = try #require(dlopen(nil, RTLD_NOW))
        defer { dlclose(handle) }
        let address = UInt64(UInt(bitPattern: try #require(dlsym(handle, "getpid") as UnsafeMutableRawPointer?)))
        let symbols = UserSymbols()
        symbols.remember(getpid())
        #expect(symbols.mappings[getpid()]?.isEmpty == false)
        #expect(symbols.filesByKey.isEmpty, "no symbol table read while the process is only noted")
        #expect(symbols.symbolText(getpid(), address) == "libc.so.6`getpid")
        #expect(symbols.filesByKey.count == 1, "only libc's, the file the address is in")
    }
}

/// Swift and C++ names are shown demangled — checked on this test process's own runtime
/// libraries (libswiftCore for Swift, libstdc++, which the Swift runtime loads, for C++) —
/// unless -x mangled turned demangling off.
@Suite struct UserSymbolDemanglingTests {
    func address(of name: String) throws -> UInt64 {
        let handle = try #require(dlopen(nil, RTLD_NOW))
        defer { dlclose(handle) }
        return UInt64(UInt(bitPattern: try #require(dlsym(handle, name) as UnsafeMutableRawPointer?, "\(name) is not loaded")))
    }

    @Test func swiftFramesAreDemangled() throws {
        let address = try address(of: "$sSS5countSivg")
        let symbols = UserSymbols()
        let pid = getpid()
        #expect(symbols.symbolText(pid, address) == "libswiftCore.so`Swift.String.count.getter : Swift.Int")
        #expect(symbols.addressText(pid, address + 2) == "libswiftCore.so`Swift.String.count.getter : Swift.Int+0x2")
        symbols.demangles = false
        #expect(symbols.symbolText(pid, address) == "libswiftCore.so`$sSS5countSivg")
    }

    @Test func cPlusPlusFramesAreDemangled() throws {
        let address = try address(of: "_ZNKSt9exception4whatEv")
        let symbols = UserSymbols()
        let pid = getpid()
        // The module is the library's real name (libstdc++.so.6.0.N).
        let module = symbols.moduleText(pid, address)
        #expect(module.hasPrefix("libstdc++.so.6"))
        #expect(symbols.symbolText(pid, address) == module + "`std::exception::what() const")
        #expect(symbols.addressText(pid, address + 1) == module + "`std::exception::what() const+0x1")
        symbols.demangles = false
        #expect(symbols.addressText(pid, address + 1) == module + "`_ZNKSt9exception4whatEv+0x1")
    }

    /// A C function keeps its name, demangling on or off.
    @Test func cNamesAreUnchanged() throws {
        let address = try address(of: "getpid")
        #expect(UserSymbols().symbolText(getpid(), address) == "libc.so.6`getpid")
    }
}
