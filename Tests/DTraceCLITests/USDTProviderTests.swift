// DTraceCLITests/USDTProviderTests: USDT probes end to end on the real kernel — a C program
// with its own provider (header from dtrace -h, is-enabled semaphore, an argument the
// compiler passes RIP-relative in a position-independent executable), through uprobe_multi
// links and through one perf event per probe; Python 3.11's probes (typed -lv listing,
// arguments, exact counts of explicit collections). Needs root; always runs under CI=true.

import DTraceSystem
import Foundation
import Testing

enum USDTHarness {
    /// workload/usdt/app.c built against the header `dtrace -h` writes for its provider.
    static let app: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-usdt-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Removed when the test process exits (a forked child has another PID: removes nothing).
        atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-usdt-tests-\(getpid())")) }
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../workload/usdt").standardized
        let header = directory.appendingPathComponent("provider.h").path
        _ = try? Harness.run(["-h", "-s", sources.appendingPathComponent("provider.d").path, "-o", header], pinned: false)
        let binary = directory.appendingPathComponent("app").path
        _ = try? Harness.runProgram("/usr/bin/env", ["cc", "-O2", "-fPIE", "-pie", "-I", directory.path, "-o", binary, sources.appendingPathComponent("app.c").path])
        return binary
    }()
    static let python = "/usr/bin/python3.11"
}

@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct USDTProviderTests {
    @Test(arguments: ["multi", "perf"])
    func ownProviderWithSemaphoreAndRIPRelativeArgument(_ attachment: String) throws {
        let script = """
        myapp$target:::tick { @ticks = count(); @sum = sum(arg0); @names[copyinstr(arg1)] = count(); }
        myapp$target:::counted { @counted = sum(arg0); }
        END { printa("%@d %@d %@d\\n", @ticks, @sum, @counted); printa("%s %@d\\n", @names); }
        """
        let result = try Harness.run(["-x", "uprobes=\(attachment)", "-qn", script, "-c", "\(USDTHarness.app) 100"], pinned: false)
        // tick fires only while its semaphore is raised; counted sums 7..106.
        #expect(result.stdout == "100 4950 5650\n\(USDTHarness.app) 100\n\n")
        #expect(result.status == 0)
    }

    @Test func ownProviderListedWithNamesAndTypes() throws {
        let result = try Harness.run(["-lv", "-n", "myapp$target:::", "-c", "\(USDTHarness.app) 1"], pinned: false)
        let header = result.stdout.split(separator: "\n").first.map(String.init)
        #expect(header == "   ID   PROVIDER            MODULE                          FUNCTION NAME")
        let probes = result.stdout.split(separator: "\n").filter { $0.contains("myapp") }.map { $0.split(separator: " ").dropFirst(2).joined(separator: " ") }
        #expect(probes.sorted() == ["app main counted", "app main tick"])
        #expect(result.stdout.contains("\t\targs[0]: int32_t\n\t\targs[1]: uint64_t\n"))
        #expect(result.stdout.contains("\t\targs[0]: int64_t\n"))
        #expect(result.status == 0)
    }

    @Test func pythonCollectionsCounted() throws {
        // Explicit full collections (generation 2): five more calls, five more firings.
        func collections(_ count: Int) throws -> Int {
            let script = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-gc-\(getpid())-\(count).py")
            try "import gc\nfor _ in range(\(count)):\n    gc.collect()\n".write(to: script, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: script) }
            let result = try Harness.run(["-qn", "python$target:::gc-start /arg0 == 2/ { @ = count(); }",
                                          "-c", "\(USDTHarness.python) \(script.path)"], pinned: false)
            #expect(result.status == 0, "\(result.stderr)")
            return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        let five = try collections(5), ten = try collections(10)
        #expect(five >= 5 && ten - five == 5, "5 collections: \(five), 10: \(ten)")
    }

    @Test func providerGlobNamesEveryRunningProcessWithTheProvider() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: USDTHarness.python)
        sleeper.arguments = ["-c", "import time; time.sleep(30)"]
        try sleeper.run()
        defer { kill(sleeper.processIdentifier, SIGKILL); sleeper.waitUntilExit() }
        usleep(300_000)
        let result = try Harness.run(["-l", "-n", "pytho*:::gc-start"], pinned: false)
        let providers = result.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        #expect(providers.contains("python\(sleeper.processIdentifier)"), "\(result.stdout)")
        #expect(result.status == 0)
    }

    @Test func pythonProbesListed() throws {
        let result = try Harness.run(["-l", "-n", "python$target:python3.11::function-entry", "-c", "\(USDTHarness.python) -c pass"], pinned: false)
        let lines = result.stdout.split(separator: "\n").dropFirst()
        #expect(lines.count == 1 && lines.first?.hasSuffix(" function-entry") == true && lines.first?.contains("python3.11") == true, "\(result.stdout)")
        #expect(result.status == 0)
    }
}
