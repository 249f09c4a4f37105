// DTraceCLITests/LoadedLibraryTests: probes in libraries a traced process loads while it
// is traced (dlopen) — pid and USDT descriptions matched again at the dynamic linker's
// events, exact counts for a -c process (which waits there until its new probes are
// enabled) in the kernel engine (both uprobe attachments) and the ptrace engine,
// libraries loaded and unloaded again and again, -p processes, and DTrace's refusal
// without -Z. A library built here
// (and one with its own provider, through dtrace -h) is opened by a program built here.
// Needs root (BPF, uprobes); always runs under CI=true.

import Foundation
import Testing

@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct LoadedLibraryTests {
    /// The programs and libraries, built once.
    struct Built {
        let directory: URL
        /// `opener LIBRARY ROUNDS BEFORE_MS AFTER_MS`: waits BEFORE_MS, then ROUNDS times
        /// opens LIBRARY, waits AFTER_MS, calls its dyn_twice(i) for i in 0..<100 and closes
        /// it; prints the sum of what dyn_twice returned.
        let opener: String
        /// `twice LIBRARY`: opens LIBRARY twice, the second time in a namespace of its own
        /// (dlmopen: a second copy mapped), and calls each copy's dyn_twice(i) for i in 0..<100.
        let twice: String
        /// dyn_twice(a) calls dyn_add(a, a) (through the PLT: both are probed).
        let plainLibrary: String
        /// dyn_twice(a) fires dynprov:::tick(a) and returns a + a.
        let providerLibrary: String
    }

    static let built: Result<Built, BuildFailure> = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-dlopen-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
            try """
                #include <dlfcn.h>
                #include <stdio.h>
                #include <stdlib.h>
                #include <unistd.h>
                int main(int argc, char **argv) {
                    if (argc != 5) return 2;
                    int rounds = atoi(argv[2]);
                    long total = 0;
                    usleep(atoi(argv[3]) * 1000);
                    for (int round = 0; round < rounds; round++) {
                        void *library = dlopen(argv[1], RTLD_NOW);
                        if (!library) { fprintf(stderr, "%s\\n", dlerror()); return 1; }
                        usleep(atoi(argv[4]) * 1000);
                        int (*twice)(int) = (int (*)(int))dlsym(library, "dyn_twice");
                        for (int i = 0; i < 100; i++) total += twice(i);
                        dlclose(library);
                    }
                    printf("%ld\\n", total);
                    return 0;
                }
                """.write(toFile: path("opener.c"), atomically: true, encoding: .utf8)
            try """
                #define _GNU_SOURCE
                #include <dlfcn.h>
                #include <stdio.h>
                int main(int argc, char **argv) {
                    void *first = dlopen(argv[1], RTLD_NOW), *second = dlmopen(LM_ID_NEWLM, argv[1], RTLD_NOW);
                    if (!first || !second) { fprintf(stderr, "%s\\n", dlerror()); return 1; }
                    int (*one)(int) = (int (*)(int))dlsym(first, "dyn_twice"), (*two)(int) = (int (*)(int))dlsym(second, "dyn_twice");
                    long total = 0;
                    for (int i = 0; i < 100; i++) total += one(i) + two(i);
                    printf("%ld %d\\n", total, one != two);
                    return 0;
                }
                """.write(toFile: path("twice.c"), atomically: true, encoding: .utf8)
            try """
                int dyn_add(int a, int b) { return a + b; }
                int dyn_twice(int a) { return dyn_add(a, a); }
                """.write(toFile: path("plain.c"), atomically: true, encoding: .utf8)
            try "provider dynprov { probe tick(int); };\n".write(toFile: path("dynprov.d"), atomically: true, encoding: .utf8)
            try """
                #include "dynprov.h"
                int dyn_twice(int a) { DYNPROV_TICK(a); return a + a; }
                """.write(toFile: path("provider.c"), atomically: true, encoding: .utf8)
            let header = try Harness.run(["-h", "-s", path("dynprov.d"), "-o", path("dynprov.h")], pinned: false)
            guard header.status == 0 else { return .failure(BuildFailure(reason: "dtrace -h: \(header.stderr)")) }
            for (output, arguments) in [("opener", ["-O1", "-o", path("opener"), path("opener.c")]),
                                        ("twice", ["-O1", "-o", path("twice"), path("twice.c")]),
                                        ("libplain.so", ["-O1", "-fPIC", "-shared", "-o", path("libplain.so"), path("plain.c")]),
                                        ("libprovider.so", ["-O1", "-fPIC", "-shared", "-I", directory.path, "-o", path("libprovider.so"), path("provider.c")])] {
                let compiled = try Harness.runProgram("/usr/bin/env", ["cc"] + arguments)
                guard compiled.status == 0 else { return .failure(BuildFailure(reason: "cc \(output): \(compiled.stderr)")) }
            }
            return .success(Built(directory: directory, opener: path("opener"), twice: path("twice"), plainLibrary: path("libplain.so"), providerLibrary: path("libprovider.so")))
        } catch {
            return .failure(BuildFailure(reason: "\(error)"))
        }
    }()

    struct BuildFailure: Error { var reason: String }

    /// The opener running on its own (for -p), its output to `output`.
    static func startOpener(_ built: Built, _ arguments: [String], output: Any) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: built.opener)
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
        return process
    }

    /// The sum of dyn_twice(i) over i in 0..<100, `rounds` times.
    static func total(rounds: Int) -> Int { rounds * 9900 }

    /// A library opened after tracing began: its functions' entry and return probes fire
    /// for every call, none missed (the process waits at the linker's event until they
    /// are enabled), through uprobe_multi links and perf uprobes alike, and in the ptrace
    /// engine.
    @Test(arguments: ["uprobes=multi", "uprobes=perf", "engine=ptrace"])
    func libraryOpenedLaterIsProbed(_ option: String) throws {
        let built = try Self.built.get()
        let script = """
            pid$target:libplain.so::entry { @calls[probefunc] = count(); }
            pid$target:libplain.so:dyn_add:return { @returned = sum(arg1); }
            END { printa("%s %@d\\n", @calls); printa("returned %@d\\n", @returned); }
            """
        let result = try Harness.run(["-Z", "-x", option, "-qn", script, "-c", "\(built.opener) \(built.plainLibrary) 1 0 0"], pinned: false)
        #expect(result.stdout == "\(Self.total(rounds: 1))\ndyn_add 100\ndyn_twice 100\nreturned \(Self.total(rounds: 1))\n\n", "\(result.stderr)")
        #expect(result.stderr == "")
        #expect(result.status == 0)
    }

    /// User addresses in a library opened later are named from it, even once the process
    /// has closed it and ended (its mappings are read at the linker's event); so are a
    /// short-lived command's (read while it waits to start).
    @Test func addressesAreNamedAfterTheProcessEnds() throws {
        let built = try Self.built.get()
        let opened = try Harness.run(["-Z", "-qn", "pid$target:libplain.so:dyn_add:entry /arg0 == 7/ { ustack(2); usym(uregs[R_PC]); }",
                                      "-c", "\(built.opener) \(built.plainLibrary) 1 0 0"], pinned: false)
        #expect(opened.stdout.contains("libplain.so`dyn_add\n              libplain.so`dyn_twice+0x"), "\(opened.stdout)")
        #expect(opened.stdout.contains("  libplain.so`dyn_add "), "\(opened.stdout)")
        #expect(opened.status == 0)
        let short = try Harness.run(["-qn", "pid$target:libc.so.6:exit:entry { ustack(1); }", "-c", "/bin/true"], pinned: false)
        #expect(short.stdout == "\n              libc.so.6`exit\n\n", "\(short.stdout)")
        #expect(short.status == 0)
    }

    /// Opened and closed again and again: the probes found at the first opening stay
    /// with the file, and every call of every round counts. A description of every
    /// object (`pid$target:::entry`) takes in the library too. (The ptrace engine forgets
    /// the breakpoints of the code unmapped and places them again.)
    @Test(arguments: ["kernel", "ptrace"])
    func libraryOpenedAndClosedAgainAndAgain(_ engine: String) throws {
        let built = try Self.built.get()
        let rounds = 40
        let script = """
            pid$target:::entry /probemod == "libplain.so"/ { @calls[probefunc] = count(); }
            END { printa("%s %@d\\n", @calls); }
            """
        let result = try Harness.run(["-x", "engine=\(engine)", "-qn", script, "-c", "\(built.opener) \(built.plainLibrary) \(rounds) 0 0"], pinned: false)
        #expect(result.stdout == "\(Self.total(rounds: rounds))\ndyn_add \(100 * rounds)\ndyn_twice \(100 * rounds)\n\n", "\(result.stderr)")
        #expect(result.status == 0)
    }

    /// A USDT provider in a library opened later: its probe fires with its argument.
    @Test(arguments: ["kernel", "ptrace"])
    func providerInALibraryOpenedLater(_ engine: String) throws {
        let built = try Self.built.get()
        let script = "dynprov$target:::tick { @fired = count(); @arguments = sum(arg0); } END { printa(\"%@d %@d\\n\", @fired, @arguments); }"
        let result = try Harness.run(["-Z", "-x", "engine=\(engine)", "-qn", script, "-c", "\(built.opener) \(built.providerLibrary) 1 0 0"], pinned: false)
        #expect(result.stdout == "\(Self.total(rounds: 1))\n100 4950\n\n", "\(result.stderr)")
        #expect(result.status == 0)
    }

    /// A running process (-p) opening a library: its probes are enabled within moments
    /// (the process is not stopped for them), so calls made a while later all count.
    @Test func runningProcessOpeningALibrary() throws {
        let built = try Self.built.get()
        let process = try Self.startOpener(built, [built.plainLibrary, "1", "2500", "500"], output: FileHandle.nullDevice)
        defer { if process.isRunning { process.terminate() } }
        let script = "pid$target:libplain.so:dyn_twice:entry { @calls = count(); @arguments = sum(arg0); } END { printa(\"%@d %@d\\n\", @calls, @arguments); }"
        let result = try Harness.run(["-Z", "-qn", script, "-p", "\(process.processIdentifier)"], pinned: false)
        process.waitUntilExit()
        #expect(result.stdout == "100 4950\n\n", "\(result.stderr)")
        #expect(result.status == 0)
        #expect(process.terminationStatus == 0)
    }

    /// The ptrace engine holds a -p process's thread at the linker's event too: a library
    /// opened and closed again at once, round after round, counts every call.
    @Test func runningProcessOpeningAndClosingAtOnceUnderPtrace() throws {
        let built = try Self.built.get()
        let rounds = 20
        let output = Pipe()
        let process = try Self.startOpener(built, [built.plainLibrary, "\(rounds)", "2500", "0"], output: output)
        defer { if process.isRunning { process.terminate() } }
        let script = "pid$target:libplain.so::entry { @calls[probefunc] = count(); } END { printa(\"%s %@d\\n\", @calls); }"
        let result = try Harness.run(["-Z", "-x", "engine=ptrace", "-qn", script, "-p", "\(process.processIdentifier)"], pinned: false)
        process.waitUntilExit()
        #expect(result.stdout == "dyn_add \(100 * rounds)\ndyn_twice \(100 * rounds)\n\n", "\(result.stderr)")
        #expect(result.status == 0)
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "\(Self.total(rounds: rounds))\n")
    }

    /// A library mapped twice (dlmopen): both copies' calls count, in both engines.
    @Test(arguments: ["kernel", "ptrace"])
    func libraryMappedTwice(_ engine: String) throws {
        let built = try Self.built.get()
        let script = "pid$target:libplain.so:dyn_twice:entry { @calls = count(); @arguments = sum(arg0); } END { printa(\"%@d %@d\\n\", @calls, @arguments); }"
        let result = try Harness.run(["-Z", "-x", "engine=\(engine)", "-qn", script, "-c", "\(built.twice) \(built.plainLibrary)"], pinned: false)
        #expect(result.stdout == "\(2 * Self.total(rounds: 1)) 1\n200 9900\n\n", "\(result.stderr)")
        #expect(result.status == 0)
    }

    /// Without -Z a description of a library not loaded yet matches nothing, as in DTrace.
    @Test func libraryNotLoadedYetNeedsZ() throws {
        let built = try Self.built.get()
        let result = try Harness.run(["-qn", "pid$target:libplain.so::entry { @ = count(); }", "-c", "\(built.opener) \(built.plainLibrary) 1 0 0"], pinned: false)
        #expect(result.stderr.hasSuffix(":libplain.so::entry does not match any probes\n"), "\(result.stderr)")
        #expect(result.status == 1)
    }
}
