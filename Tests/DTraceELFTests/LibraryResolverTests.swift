// DTraceELFTests/LibraryResolverTests: the libraries an executable will load, worked out
// from files — against what ldd (the dynamic linker itself) lists for ls, python3.11,
// postgres and the test runner (DT_RUNPATH, $ORIGIN); LD_LIBRARY_PATH and LD_PRELOAD; a
// 32-bit candidate passed over; missing libraries; ld.so.conf with includes, globs,
// comments and hwcap lines.

@testable import DTraceELF
import DTraceSystem
import Glibc
import Testing

@Suite struct LibraryResolverTests {
    static var hasLdd: Bool { SystemProcess.isExecutable("ldd") }

    /// The real paths ldd lists (the vDSO has none; "not found" is recorded).
    static func lddLibraries(_ executable: String) throws -> (paths: Set<String>, notFound: [String]) {
        let result = try #require(Subprocess.filter(["ldd", executable], input: []), "ldd could not be run")
        #expect(result.status == 0)
        var paths: Set<String> = [], notFound: [String] = []
        for line in String(decoding: result.output, as: UTF8.self).split(separator: "\n") {
            let text = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            var path: Substring?
            if let arrow = text.firstRange(of: " => ") {
                let rest = text[arrow.upperBound...]
                if rest.hasPrefix("not found") { notFound.append(String(text[..<arrow.lowerBound])); continue }
                path = rest.split(separator: " ").first
            } else if text.hasPrefix("/") {
                path = text.split(separator: " ").first
            }
            if let path { paths.insert(SystemFiles.realPath(String(path)) ?? String(path)) }
        }
        return (paths, notFound)
    }

    func agreesWithLdd(_ executable: String) throws {
        if Fixture.packages[executable] != nil { try Fixture.require(executable) }
        let resolution = try LibraryResolver().libraries(forExecutable: executable).get()
        #expect(resolution.missing.isEmpty, "\(resolution.missing)")
        #expect(resolution.libraries.first?.reason == .interpreter)
        #expect(resolution.libraries.allSatisfy { SystemFiles.realPath($0.path) == $0.path })
        let resolved = Set(resolution.libraries.map(\.path))
        #expect(resolved.count == resolution.libraries.count)
        guard Self.hasLdd else { return }
        let ldd = try Self.lddLibraries(executable)
        #expect(ldd.notFound.isEmpty)
        #expect(resolved == ldd.paths, "only resolved: \(resolved.subtracting(ldd.paths)), only ldd: \(ldd.paths.subtracting(resolved))")
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.ls))) func lsAgreesWithLdd() throws { try agreesWithLdd(Fixture.ls) }
    @Test(.enabled(if: Fixture.shouldRun(Fixture.python))) func pythonAgreesWithLdd() throws { try agreesWithLdd(Fixture.python) }
    @Test(.enabled(if: Fixture.shouldRun(Fixture.postgres))) func postgresAgreesWithLdd() throws { try agreesWithLdd(Fixture.postgres) }

    /// The test runner finds the Swift runtime through DT_RUNPATH, whose libraries find
    /// each other through DT_RUNPATH $ORIGIN.
    @Test func testRunnerAgreesWithLdd() throws {
        let runner = try #require(ProcessMappings.executablePath(pid: ProcessIdentity.processID))
        let object = try ELFObject.load(path: runner).get()
        #expect(object.dynamic.runPathText != nil, "the runner has no DT_RUNPATH to test with")
        try agreesWithLdd(runner)
        let resolution = try LibraryResolver().libraries(forExecutable: runner).get()
        let swiftCore = try #require(resolution.libraries.first { $0.name == "libswiftCore.so" })
        #expect(object.runPath.contains(ELFModuleName.directory(of: swiftCore.path)))
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.ls))) func lsInDetail() throws {
        try Fixture.require(Fixture.ls)
        let resolution = try LibraryResolver(environment: [:]).libraries(forExecutable: Fixture.ls).get()
        #expect(resolution.executable == SystemFiles.realPath(Fixture.ls))
        let libc = try #require(resolution.libraries.first { $0.name == "libc.so.6" })
        #expect(libc.moduleName == "libc.so.6")
        #expect(libc.reason == .needed(by: resolution.executable))
        #expect(libc.path == SystemFiles.realPath(Fixture.libc))
        // ld-linux is the interpreter and, as libc's DT_NEEDED, is not loaded twice.
        #expect(resolution.libraries.filter { $0.moduleName == "ld-linux-x86-64.so.2" }.count == 1)
    }

    /// A fresh directory, removed with its files after `body`.
    static func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let directory = try Fixture.makeTemporaryDirectory("dtrace-resolver")
        defer {
            for path in SystemFiles.glob(directory + "/*/*") + SystemFiles.glob(directory + "/*") { unlink(path); rmdir(path) }
            rmdir(directory)
        }
        try body(directory)
    }

    static func write(_ text: String, to path: String) { write(Array(text.utf8), to: path) }
    static func write(_ bytes: [UInt8], to path: String) {
        guard let stream = fopen(path, "wb") else { return }
        fwrite(bytes, 1, bytes.count, stream)
        fclose(stream)
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.python))) func libraryPathAndPreload() throws {
        try Fixture.require(Fixture.python)
        let libz = try #require(LibraryResolver(environment: [:]).libraries(forExecutable: Fixture.python).get().libraries.first { $0.name == "libz.so.1" })
        try Self.withTemporaryDirectory { directory in
            // A copy of libz in LD_LIBRARY_PATH is found before the system's.
            Self.write(try Fixture.contents(libz.path), to: directory + "/libz.so.1")
            // A 32-bit "library" of the same name earlier in the path is passed over.
            mkdir(directory + "/wrong", 0o755)
            Self.write(ELFObjectTests.header(elfClass: 1), to: directory + "/wrong/libz.so.1")
            let environment = ["LD_LIBRARY_PATH": directory + "/wrong:" + directory, "LD_PRELOAD": libz.path + " libnonexistent-dtrace.so"]
            let resolution = try LibraryResolver(environment: environment).libraries(forExecutable: Fixture.python).get()
            #expect(resolution.libraries.first?.reason == .interpreter)
            #expect(resolution.libraries.dropFirst().first == ResolvedLibrary(name: libz.path, path: libz.path, reason: .preload))
            // The preloaded libz satisfies python's DT_NEEDED libz.so.1 (same soname).
            #expect(!resolution.libraries.contains { $0.path == directory + "/libz.so.1" })
            #expect(resolution.missing == [MissingLibrary(name: "libnonexistent-dtrace.so", neededBy: "LD_PRELOAD")])
            let withoutPreload = try LibraryResolver(environment: ["LD_LIBRARY_PATH": directory + "/wrong:" + directory])
                .libraries(forExecutable: Fixture.python).get()
            #expect(withoutPreload.libraries.first { $0.name == "libz.so.1" }?.path == SystemFiles.realPath(directory + "/libz.so.1"))
        }
    }

    @Test func configurationFiles() throws {
        try Self.withTemporaryDirectory { directory in
            mkdir(directory + "/conf.d", 0o755)
            Self.write("""
            # comment
            /first/dir   # trailing comment
            include conf.d/*.conf
            hwcap 1 nosegneg
            /second:/third,/fourth/
            /first/dir
            include \(directory)/missing/*.conf
            include \(directory)/ld.so.conf
            """, to: directory + "/ld.so.conf")
            Self.write("/b-dir\n", to: directory + "/conf.d/b.conf")
            Self.write("/a-dir\n/lib32=libc6\n", to: directory + "/conf.d/a.conf")
            Self.write("/not-a-conf\n", to: directory + "/conf.d/readme.txt")
            let resolver = LibraryResolver(environment: [:], configurationFile: directory + "/ld.so.conf")
            #expect(resolver.configuredDirectories() == ["/first/dir", "/a-dir", "/lib32", "/b-dir", "/second", "/third", "/fourth"])
            #expect(LibraryResolver(environment: [:], configurationFile: directory + "/none").configuredDirectories().isEmpty)
        }
    }

    @Test func refusesWhatIsNotAnExecutable() {
        #expect(LibraryResolver().libraries(forExecutable: "/nonexistent/program").failureDescription == "cannot open: No such file or directory")
        #expect(LibraryResolver().libraries(forExecutable: "/etc/ld.so.conf").failureDescription == "not an ELF file")
    }

    @Test func missingLibrariesAreReported() throws {
        // The synthetic object has an interpreter and needs libraries; with none of them
        // present they are reported missing, not guessed.
        try Self.withTemporaryDirectory { directory in
            Self.write(SyntheticELF.bytes(), to: directory + "/program")
            let resolution = try LibraryResolver(environment: [:], configurationFile: "/nonexistent", preloadFile: "/nonexistent",
                                                 defaultDirectories: [directory]).libraries(forExecutable: directory + "/program").get()
            #expect(resolution.missing.map(\.name) == ["libfoo.so.1", "libc.so.6"])
            #expect(resolution.libraries.map(\.reason) == [.interpreter])
        }
    }
}
