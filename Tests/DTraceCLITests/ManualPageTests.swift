// DTraceCLITests/ManualPageTests: the manual page (docs/dtrace.8) stays complete — every
// option letter the command-line parser accepts and every -x option name TracingOptions
// accepts has its entry — and well-formed (groff reports no warnings); tools/install.sh
// installs the binary and the page under a staging DESTDIR and removes them again.

import DTraceCLI
import DTraceSession
import Foundation
import Testing

enum ManualPage {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let path = repository.appendingPathComponent("docs/dtrace.8").path
    static var lines: [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").components(separatedBy: "\n")
    }

    /// Whether an entry line (.B, .BI or .BR, possibly after .TP or .TQ) starts with `term`,
    /// followed by the end of the line, a space, or the roff escapes of `=value`.
    static func hasEntry(_ term: String, in lines: [String]) -> Bool {
        lines.contains { line in
            for macro in [".B ", ".BI ", ".BR "] where line.hasPrefix(macro + term) {
                let rest = line.dropFirst(macro.count + term.count)
                if rest.isEmpty || rest.hasPrefix(" ") || rest.hasPrefix("\\fR=") { return true }
            }
            return false
        }
    }
}

@Suite struct ManualPageTests {
    @Test func everyOptionLetterHasAnEntry() {
        let lines = ManualPage.lines
        #expect(lines.count > 100, "docs/dtrace.8 is missing or short")
        #expect(DTraceOptionParser.optionLetters.count == 32)
        for letter in DTraceOptionParser.optionLetters {
            #expect(ManualPage.hasEntry("\\-\(letter)", in: lines), "docs/dtrace.8 has no entry for -\(letter)")
        }
        for option in ["\\-32", "\\-64", "\\-\\-help"] {
            #expect(ManualPage.hasEntry(option, in: lines), "docs/dtrace.8 has no entry for \(option)")
        }
    }

    @Test func everyTracingOptionHasAnEntry() {
        let lines = ManualPage.lines
        #expect(TracingOptions.names.count > 40)
        for name in TracingOptions.names {
            #expect(ManualPage.hasEntry(name, in: lines), "docs/dtrace.8 has no entry for -x \(name)")
        }
    }

    @Test func everyProviderHasAnEntry() {
        let lines = ManualPage.lines
        for name in ["dtrace", "profile", "syscall", "sdt", "proc", "sched", "pid", "USDT", "fbt"] {
            #expect(ManualPage.hasEntry(name, in: lines), "docs/dtrace.8 has no entry for the \(name) provider")
        }
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "PROVIDERS", "ENGINES", "PLATFORM REPORT", "EXIT STATUS",
                        "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"] {
            #expect(lines.contains(".SH " + section), "docs/dtrace.8 has no \(section) section")
        }
    }

    /// groff with every warning enabled prints nothing (where groff is installed).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/groff"), "needs groff"))
    func groffReportsNoWarnings() throws {
        let result = try Harness.runProgram("/usr/bin/groff", ["-man", "-Tutf8", "-ww", "-z", ManualPage.path])
        #expect(result.status == 0)
        #expect(result.stderr == "")
    }

    /// tools/install.sh with DESTDIR: the binary at usr/sbin/dtrace, the page gzipped at
    /// usr/share/man/man8/dtrace.8.gz; --uninstall removes both. Nothing outside the
    /// staging directory is touched, and the directory is removed at the end.
    @Test func installScriptStagesAndUninstalls() throws {
        let stage = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-install-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: stage, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: stage) }
        let script = ManualPage.repository.appendingPathComponent("tools/install.sh").path
        let environment = "DESTDIR=\(stage.path)"
        let installed = try Harness.runProgram("/usr/bin/env", [environment, "bash", script, "--binary", Harness.binary])
        #expect(installed.status == 0, "\(installed.stderr)")
        let binary = stage.appendingPathComponent("usr/sbin/dtrace").path
        let page = stage.appendingPathComponent("usr/share/man/man8/dtrace.8.gz").path
        #expect(FileManager.default.isExecutableFile(atPath: binary))
        let version = try Harness.runProgram(binary, ["-V"])
        #expect(version.stdout.hasSuffix(", D 2.0\n"))
        let unpacked = try Harness.runProgram("/bin/sh", ["-c", "gzip -dc '\(page)'"])
        #expect(unpacked.status == 0)
        #expect(unpacked.stdout == (try String(contentsOfFile: ManualPage.path, encoding: .utf8)))
        let removed = try Harness.runProgram("/usr/bin/env", [environment, "bash", script, "--uninstall"])
        #expect(removed.status == 0)
        #expect(!FileManager.default.fileExists(atPath: binary))
        #expect(!FileManager.default.fileExists(atPath: page))
        let refused = try Harness.runProgram("/usr/bin/env", [environment, "bash", script, "--bogus"])
        #expect(refused.status == 2)
    }
}
