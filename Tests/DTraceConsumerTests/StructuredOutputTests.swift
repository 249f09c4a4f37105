// DTraceConsumerTests/StructuredOutputTests: the pieces of -x oformat and -x flamegraph —
// JSON values serialized as JSONSerialization reads them back (escapes, integers by size),
// frame names as folded lines hold them, and the SVG flame graph of known stacks: well-formed
// for XMLParser whatever the names, every frame's width its count's share.

@testable import DTraceConsumer
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite struct StructuredOutputTests {
    @Test func jsonValuesRoundTrip() throws {
        let value = JSONValue.object([
            ("text", .string("quote \" backslash \\ newline \n tab \t bell \u{07} del \u{7f} é")),
            ("bytes", .text([0x61, 0xff, 0x62])),
            ("hex", .hex([0x00, 0xab, 0x10])),
            ("numbers", .array([.integer(-5), .unsigned(UInt64.max), .bool(true), .null])),
        ])
        let line = value.serialized
        #expect(!line.contains("\n"))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(parsed["text"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} del \u{7f} é")
        #expect(parsed["bytes"] as? String == "a\u{FFFD}b")
        #expect(parsed["hex"] as? String == "00ab10")
        #expect(line.contains("[-5,18446744073709551615,true,null]"))
        // Members keep their order.
        #expect(line.hasPrefix("{\"text\":"))
    }

    @Test func recordedIntegersBySize() {
        #expect(JSONValue.recorded(-1, size: 4, signed: true) == .integer(-1))
        #expect(JSONValue.recorded(0xffff_ffff, size: 4, signed: true) == .integer(-1))
        #expect(JSONValue.recorded(-1, size: 4, signed: false) == .unsigned(0xffff_ffff))
        #expect(JSONValue.recorded(0x1ff, size: 1, signed: false) == .unsigned(0xff))
        #expect(JSONValue.recorded(-2, size: 8, signed: false) == .unsigned(UInt64.max - 1))
        #expect(JSONValue.recorded(Int64.min, size: 8, signed: true) == .integer(Int64.min))
    }

    @Test func foldedFrameNames() {
        #expect(FoldedStacks.frameName("vmlinux`do_syscall_64+0x5f") == "vmlinux`do_syscall_64")
        #expect(FoldedStacks.frameName("libc.so.6`0x7f00aa") == "libc.so.6`0x7f00aa")
        #expect(FoldedStacks.frameName("a;b\nc") == "a_b c")
        #expect(FoldedStacks.frameName("x+0xzz") == "x+0xzz")
        #expect(FoldedStacks.frameName("") == "[empty]")
        let merged = FoldedStacks.merged([FoldedStack(frames: ["a", "b"], value: 2), FoldedStack(frames: ["c"], value: 1),
                                          FoldedStack(frames: ["a", "b"], value: 5)])
        #expect(merged == [FoldedStack(frames: ["a", "b"], value: 7), FoldedStack(frames: ["c"], value: 1)])
        #expect(merged.first?.line == "a;b 7")
    }

    /// Each frame's title and rect width, from the SVG parsed by XMLParser (nil: not well-formed).
    final class Frames: NSObject, XMLParserDelegate {
        var widths: [String: [Double]] = [:]
        var titles: [String] = []
        var title: String?
        var inTitle = false
        var width = 0.0

        static func parse(_ svg: String) -> Frames? {
            let parser = XMLParser(data: Data(svg.utf8))
            let frames = Frames()
            parser.delegate = frames
            return parser.parse() ? frames : nil
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "title" { inTitle = true; title = "" }
            if name == "rect" { width = Double(attributes["width"] ?? "") ?? -1 }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { if inTitle { title? += string } }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "title" { inTitle = false }
            if name == "g", let title {
                titles.append(title)
                let name = String(title[..<(title.range(of: " (", options: .backwards)?.lowerBound ?? title.endIndex)])
                widths[name, default: []].append(width)
                self.title = nil
            }
        }
    }

    @Test func flameGraphWidthsFollowCounts() throws {
        let stacks = [
            FoldedStack(frames: ["main", "work", "hot"], value: 30),
            FoldedStack(frames: ["main", "work", "cold"], value: 10),
            FoldedStack(frames: ["main", "idle"], value: 20),
            FoldedStack(frames: ["never"], value: 0),
        ]
        let svg = FlameGraph.svg(stacks)
        let frames = try #require(Frames.parse(svg), "the SVG is not well-formed")
        #expect(frames.titles.count == 6)   // all, main, work, hot, cold, idle; "never" has no samples
        #expect(frames.titles.contains("all (60 samples, 100.00%)"))
        #expect(frames.titles.contains("hot (30 samples, 50.00%)"))
        let width = { (name: String) in frames.widths[name]?.first ?? -1 }
        #expect(abs(width("all") - 1180) < 0.01)
        #expect(abs(width("main") - 1180) < 0.01)
        #expect(abs(width("hot") - 3 * width("cold")) < 0.02)
        #expect(abs(width("work") - 2 * width("idle")) < 0.02)
        #expect(abs(width("hot") - 590) < 0.01)
        #expect(frames.widths["never"] == nil)
    }

    @Test func flameGraphNamesAreEscaped() throws {
        let svg = FlameGraph.svg([FoldedStack(frames: ["a<b>&\"c'", "std::vector<int>::push_back", "ctl\u{01}x"], value: 4)], title: "<&>")
        let frames = try #require(Frames.parse(svg), "the SVG is not well-formed")
        #expect(frames.titles.contains("a<b>&\"c' (4 samples, 100.00%)"))
        #expect(frames.titles.contains("std::vector<int>::push_back (4 samples, 100.00%)"))
        #expect(frames.titles.contains("ctl x (4 samples, 100.00%)"))
    }

    @Test func emptyFlameGraphIsStillADocument() throws {
        let svg = FlameGraph.svg([])
        let frames = try #require(Frames.parse(svg))
        #expect(frames.titles.isEmpty)
        #expect(svg.contains("no stack samples"))
    }
}
