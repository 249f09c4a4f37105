// DTraceCLITests/OutputFormatTests: -x oformat=json|folded and -x flamegraph run on the real
// binary — every JSON line parsed with JSONSerialization and its members checked (the user
// engine's BEGIN/END, the kernel engine's syscall probes driven by the workload), folded
// lines, and the flame graph's SVG parsed with XMLParser with its widths measured.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

enum StructuredOutput {
    /// Each line of `text` parsed as one JSON object (a line that is not one fails the test).
    static func objects(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0).compactMap { line in
            let parsed = try? JSONSerialization.jsonObject(with: Data(line.utf8))
            #expect(parsed is [String: Any], "not a JSON object: \(line)", sourceLocation: sourceLocation)
            return parsed as? [String: Any]
        }
    }

    /// The SVG's frames: each <g class="frame">'s title, rect width and text.
    final class FrameCollector: NSObject, XMLParserDelegate {
        struct Frame { var title = ""; var width = 0.0; var x = 0.0; var y = 0.0; var text = "" }
        var frames: [Frame] = []
        var current: Frame?
        var element = ""
        var rectangles = 0

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            element = name
            if name == "g", attributes["class"] == "frame" { current = Frame() }
            if name == "rect" {
                rectangles += 1
                current?.width = Double(attributes["width"] ?? "") ?? -1
                current?.x = Double(attributes["x"] ?? "") ?? -1
                current?.y = Double(attributes["y"] ?? "") ?? -1
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if element == "title" { current?.title += string }
            if element == "text" { current?.text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            element = ""
            if name == "g", let frame = current { frames.append(frame); current = nil }
        }

        /// The frame whose title names `name`.
        func frame(_ name: String) -> Frame? { frames.first { $0.title.hasPrefix(name + " (") } }
    }

    /// Parses the SVG at `path`: nil when it is not well-formed XML.
    static func flameGraph(_ path: String) -> FrameCollector? {
        guard let parser = XMLParser(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        let collector = FrameCollector()
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }
}

@Suite struct OutputFormatTests {
    @Test func jsonLinesFromTheUserEngine() throws {
        let script = """
        BEGIN { printf("hello %d %s\\n", 42, "world"); trace(7); trace("text"); trace(-3);
                @calls["b", 2] = count(); @calls["a", 1] = count(); @calls["b", 2] = count();
                @sizes = quantize(5); @sizes = quantize(100); @sizes = quantize(100); exit(3); }
        END { printa("%s %d %@d\\n", @calls); }
        END { x = *(int *)0; }
        """
        let result = try Harness.run(["-x", "oformat=json", "-x", "engine=user", "-n", script], pinned: false)
        #expect(result.status == 3)
        #expect(!result.stderr.contains("error in dt_clause"))   // the fault is in the output
        let objects = StructuredOutput.objects(result.stdout)
        #expect(objects.count == 5)
        #expect(objects.allSatisfy { $0["version"] as? Int == 1 })
        #expect(objects.map { $0["type"] as? String ?? "" } == ["probe", "probe", "error", "aggregation", "exit"])
        guard objects.count == 5 else { return }

        let begin = objects[0]
        #expect(begin["provider"] as? String == "dtrace" && begin["name"] as? String == "BEGIN" && begin["id"] as? Int == 1)
        #expect(begin["module"] as? String == "" && begin["function"] as? String == "" && begin["cpu"] is Int)
        let actions = begin["actions"] as? [[String: Any]] ?? []
        #expect(actions.map { $0["action"] as? String ?? "" } == ["printf", "trace", "trace", "trace", "exit"])
        if actions.count == 5 {
            #expect(actions[0]["output"] as? String == "hello 42 world\n")
            #expect(actions[0]["format"] as? String == "hello %d %s\n")
            #expect((actions[0]["args"] as? [Any])?.first as? Int == 42 && (actions[0]["args"] as? [Any])?.last as? String == "world")
            #expect(actions[1]["value"] as? Int == 7)
            #expect(actions[2]["value"] as? String == "text")
            #expect(actions[3]["value"] as? Int == -3)
            #expect(actions[4]["status"] as? Int == 3)
        }

        let end = objects[1]
        #expect(end["name"] as? String == "END" && end["id"] as? Int == 2)
        let printa = (end["actions"] as? [[String: Any]])?.first
        #expect(printa?["action"] as? String == "printa")
        #expect(printa?["output"] as? String == "a 1 1\nb 2 2\n")
        let printed = (printa?["aggregations"] as? [[String: Any]])?.first
        #expect(printed?["name"] as? String == "@calls" && printed?["function"] as? String == "count")
        let entries = printed?["entries"] as? [[String: Any]] ?? []
        #expect(entries.count == 2)
        #expect((entries.first?["keys"] as? [Any])?.first as? String == "a" && (entries.first?["keys"] as? [Any])?.last as? Int == 1)
        #expect(entries.first?["value"] as? Int == 1 && entries.last?["value"] as? Int == 2)

        let fault = objects[2]
        #expect(fault["kind"] as? String == "fault" && fault["fault"] as? String == "invalid address")
        #expect(fault["name"] as? String == "END" && fault["clause"] as? Int == 2 && fault["address"] as? Int == 0)
        #expect((fault["message"] as? String)?.hasPrefix("dtrace: error in dt_clause_2 for probe ID 2 (dtrace:::END): invalid address (0x0)") == true)

        // The quantize printa() did not print, at the end: the text's rows as buckets.
        let sizes = objects[3]
        #expect(sizes["name"] as? String == "@sizes" && sizes["function"] as? String == "quantize")
        let buckets = ((sizes["entries"] as? [[String: Any]])?.first?["buckets"] as? [[String: Any]]) ?? []
        let pairs = buckets.map { [$0["value"] as? Int ?? -1, $0["count"] as? Int ?? -1] }
        #expect(pairs == [[2, 0], [4, 1], [8, 0], [16, 0], [32, 0], [64, 2], [128, 0]])
        #expect(objects[4]["status"] as? Int == 3)
    }

    @Test func invalidOutputFormatIsOneLineAndFails() throws {
        let result = try Harness.run(["-x", "oformat=xml", "-n", "BEGIN { exit(0); }"], pinned: false)
        #expect(result.status == 1)
        #expect(result.stderr == "dtrace: failed to set -x oformat: Invalid value for specified option\n")
        #expect(result.stdout == "")
        let pragma = try Harness.run(["-x", "engine=user", "-n", "#pragma D option oformat=yaml\nBEGIN { exit(0); }"], pinned: false)
        #expect(pragma.status == 1)
        #expect(pragma.stderr.contains("oformat"))
    }

    @Test func fatalErrorsAreObjectsToo() throws {
        let result = try Harness.run(["-x", "oformat=json", "-n", "BEGIN { printa(@missing); }"], pinned: false)
        #expect(result.status == 1)
        let objects = StructuredOutput.objects(result.stdout)
        #expect(objects.count == 1)
        #expect(objects.first?["type"] as? String == "error" && objects.first?["kind"] as? String == "fatal")
        #expect((objects.first?["message"] as? String)?.contains("Unknown aggregation") == true)
        #expect(result.stderr.contains("Unknown aggregation"))
    }

    /// print()'s entry: the type pointed to, the pointer, and the text mode's text.
    @Test func printEntryHoldsTheTextAndThePointer() throws {
        let script = "BEGIN { this->p = (int *)alloca(4); *this->p = 7; print(this->p); exit(0); }"
        let json = try Harness.run(["-x", "oformat=json", "-x", "engine=user", "-n", script], pinned: false)
        let text = try Harness.run(["-q", "-x", "engine=user", "-n", script], pinned: false)
        #expect(json.status == 0 && text.status == 0)
        let entry = (StructuredOutput.objects(json.stdout).first?["actions"] as? [[String: Any]])?.first
        #expect(entry?["action"] as? String == "print" && entry?["type"] as? String == "int")
        let address = try #require(entry?["address"] as? Int)
        let output = try #require(entry?["output"] as? String)
        #expect(output == "0x" + String(address, radix: 16) + " = *\n" + String(repeating: " ", count: 44) + "(int)7,")
        #expect(text.stdout == output + "\n\n")
    }

    @Test func textOutputIsUnchangedByTheOption() throws {
        let script = "BEGIN { @[\"k\"] = count(); printf(\"x\\n\"); exit(0); }"
        let plain = try Harness.run(["-q", "-x", "engine=user", "-n", script], pinned: false)
        let text = try Harness.run(["-q", "-x", "engine=user", "-x", "oformat=text", "-n", script], pinned: false)
        #expect(plain.stdout.hasPrefix("x\n\n  k   ") && plain.stdout.hasSuffix("   1\n"))
        #expect(text.stdout == plain.stdout)
    }

    /// DTrace's test mode (_DTRACE_TESTING in the environment): no CPU or ID column, in
    /// the heading or on the probe lines, with -F too.
    @Test func testingModeLeavesOutTheCPUAndIDColumns() throws {
        let script = "BEGIN { trace(1); } BEGIN { exit(0); }"
        let plain = try Harness.runProgram("/usr/bin/env", ["_DTRACE_TESTING=t", Harness.binary, "-x", "engine=user", "-n", script])
        #expect(plain.stdout == "                   FUNCTION:NAME\n                          :BEGIN           1\n                          :BEGIN \n\n")
        let flow = try Harness.runProgram("/usr/bin/env", ["_DTRACE_TESTING=t", Harness.binary, "-x", "engine=user", "-F", "-n", script])
        #expect(flow.stdout.hasPrefix("FUNCTION                                 \n| :BEGIN "))
        let columns = try Harness.run(["-x", "engine=user", "-n", script])
        #expect(columns.stdout.hasPrefix("CPU     ID                    FUNCTION:NAME\n  0      1                           :BEGIN "))
    }

    @Test func foldedAggregationsWithoutStacks() throws {
        let script = """
        BEGIN { @bytes["sh", 4] = sum(10); @bytes["sh", 4] = sum(5); @bytes["cc;x", 1] = sum(40); @total = count(); printf("record\\n"); exit(0); }
        """
        let result = try Harness.run(["-q", "-x", "engine=user", "-x", "oformat=folded", "-n", script], pinned: false)
        #expect(result.status == 0)
        #expect(result.stdout == "record\nsh;4 15\ncc_x;1 40\n@total 1\n")
    }
}

/// The kernel engine's objects: syscall probes of the workload, which makes an exact number
/// of getpid() calls. Root; never skipped under CI=true.
@Suite(.enabled(if: KernelHarness.available, "needs root for BPF; runs always under CI=true"))
struct KernelOutputFormatTests {
    @Test func jsonLinesFromKernelProbes() throws {
        let script = """
        int faulted;
        syscall::getpid:entry /pid == $target/ { @calls[execname, probefunc] = count(); @sizes = lquantize(arg0 & 3, 0, 4, 1); }
        syscall::getpid:entry /pid == $target && faulted == 0/ { faulted = 1; stack(); ustack(); printf("pid %d\\n", pid); trace(*(int *)8); }
        """
        let result = try Harness.run(["-q", "-x", "oformat=json", "-n", script, "-c", "\(KernelHarness.workload) stack 12"], pinned: false)
        #expect(result.status == 0)
        let objects = StructuredOutput.objects(result.stdout)
        #expect(objects.allSatisfy { $0["version"] as? Int == 1 })
        #expect(objects.map { $0["type"] as? String ?? "" } == ["error", "aggregation", "aggregation", "exit"])
        guard objects.count == 4 else { return }
        // The faulting clause's record is dropped: its fault is all there is of it.
        let fault = objects[0]
        #expect(fault["provider"] as? String == "syscall" && fault["function"] as? String == "getpid" && fault["name"] as? String == "entry")
        #expect(fault["address"] as? Int == 8 && fault["fault"] as? String == "invalid address")
        let calls = objects[1]
        #expect(calls["name"] as? String == "@calls")
        let entry = (calls["entries"] as? [[String: Any]])?.first
        #expect(entry?["keys"] as? [String] == ["workload", "getpid"])
        #expect(entry?["value"] as? Int == 12)
        let sizes = objects[2]
        let buckets = ((sizes["entries"] as? [[String: Any]])?.first?["buckets"] as? [[String: Any]]) ?? []
        #expect(buckets.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 12)
        #expect(buckets.allSatisfy { $0["value"] is Int })
    }

    @Test func jsonStacksAndPrintfFromKernelProbes() throws {
        let script = """
        syscall::getpid:entry /pid == $target/ { stack(); ustack(); printf("pid %d\\n", pid); @[ustack()] = count(); exit(0); }
        """
        let result = try Harness.run(["-q", "-x", "oformat=json", "-n", script, "-c", "\(KernelHarness.workload) stack 3"], pinned: false)
        #expect(result.status == 0)
        let objects = StructuredOutput.objects(result.stdout)
        #expect(objects.map { $0["type"] as? String ?? "" } == ["probe", "aggregation", "exit"])
        guard objects.count == 3 else { return }
        let probe = objects[0]
        #expect(probe["provider"] as? String == "syscall" && probe["function"] as? String == "getpid" && probe["name"] as? String == "entry")
        #expect((probe["id"] as? Int ?? 0) > 0 && probe["cpu"] is Int)
        let actions = probe["actions"] as? [[String: Any]] ?? []
        #expect(actions.map { $0["action"] as? String ?? "" } == ["stack", "ustack", "printf", "exit"])
        guard actions.count == 4 else { return }
        let kernelFrames = actions[0]["frames"] as? [String] ?? []
        #expect(kernelFrames.contains { $0.hasPrefix("vmlinux`") })
        let userFrames = actions[1]["frames"] as? [String] ?? []
        #expect(userFrames.first?.hasPrefix("workload`traced_getpid+0x") == true)
        #expect(userFrames.dropFirst().first?.hasPrefix("workload`main+0x") == true)
        let pid = (actions[2]["args"] as? [Int])?.first ?? -1
        #expect(pid > 0 && actions[2]["output"] as? String == "pid \(pid)\n")
        let stackKey = ((objects[1]["entries"] as? [[String: Any]])?.first?["keys"] as? [[String]])?.first
        #expect(stackKey?.first?.hasPrefix("workload`traced_getpid+0x") == true)
    }

    @Test func foldedUserStacks() throws {
        let script = "int n; syscall::getpid:entry /pid == $target/ { n++; @[n % 4 == 0 ? \"one\" : \"three\", ustack()] = count(); }"
        let result = try Harness.run(["-q", "-x", "oformat=folded", "-n", script, "-c", "\(KernelHarness.workload) stack 40"], pinned: false)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        // In DTrace's order (smaller values first); root first: the non-stack key, then the
        // stack from its outermost frame to traced_getpid.
        #expect(lines.first?.hasPrefix("one;") == true && lines.first?.hasSuffix(";workload`main;workload`traced_getpid 10") == true)
        #expect(lines.last?.hasPrefix("three;") == true && lines.last?.hasSuffix(";workload`main;workload`traced_getpid 30") == true)
        #expect(!result.stdout.contains("+0x"))
    }

    @Test func flameGraphOfUserStacks() throws {
        let path = NSTemporaryDirectory() + "dtrace-flamegraph-\(getpid()).svg"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = "int n; syscall::getpid:entry /pid == $target/ { n++; @[n % 4 == 0 ? \"one\" : \"three\", ustack()] = count(); }"
        let result = try Harness.run(["-q", "-x", "flamegraph=\(path)", "-n", script, "-c", "\(KernelHarness.workload) stack 40"], pinned: false)
        #expect(result.status == 0)
        // The text output is still printed.
        #expect(result.stdout.contains("  three"))
        #expect(result.stdout.contains("workload`traced_getpid+0x"))
        let graph = try #require(StructuredOutput.flameGraph(path), "the SVG is not well-formed")
        #expect(graph.rectangles == graph.frames.count)
        let all = try #require(graph.frame("all"))
        let one = try #require(graph.frame("one")), three = try #require(graph.frame("three"))
        #expect(all.title == "all (40 samples, 100.00%)")
        #expect(one.title.hasPrefix("one (10 samples") && three.title.hasPrefix("three (30 samples"))
        #expect(abs(all.width - 1180) < 0.01)
        #expect(abs(three.width - 3 * one.width) < 0.05)
        #expect(abs(one.width + three.width - all.width) < 0.05)
        // Root at the bottom: callers lower (larger y) than their callees.
        #expect(all.y > one.y)
        let leaves = graph.frames.filter { $0.title.hasPrefix("workload`traced_getpid (") }
        #expect(leaves.count == 2)
        #expect(leaves.allSatisfy { $0.y < one.y })
        #expect(graph.frames.contains { $0.text == "three" })
    }
}
