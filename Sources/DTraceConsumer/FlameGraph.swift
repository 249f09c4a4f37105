// DTraceConsumer/FlameGraph: -x flamegraph=PATH.svg — folded stacks drawn as an SVG flame
// graph laid out as flamegraph.pl lays it out: an "all" frame at the bottom, each frame
// above its caller, siblings in alphabetical order, every frame as wide as its count's share
// of the total. Each frame is a <g class="frame"> holding a <title> ("name (N samples,
// P%)"), a <rect> and a <text> (the name, cut to fit). Entries whose value is not positive
// are left out; frames narrower than 0.1 pixel are not drawn.

import DTraceSystem

public enum FlameGraph {
    static let imageWidth = 1200.0
    static let frameHeight = 16.0
    static let fontSize = 12.0
    static let fontWidth = 0.59
    static let horizontalPad = 10.0
    static let topPad = fontSize * 3
    static let bottomPad = fontSize * 2 + 10
    static let minimumWidth = 0.1

    final class Node {
        let name: String
        var value: Int64 = 0
        var children: [String: Node] = [:]
        init(_ name: String) { self.name = name }

        var depth: Int { 1 + (children.values.map(\.depth).max() ?? 0) }
    }

    /// The SVG document for the stacks (frames root first).
    public static func svg(_ stacks: [FoldedStack], title: String = "Flame Graph") -> String {
        let root = Node("all")
        for stack in stacks where stack.value > 0 && !stack.frames.isEmpty {
            root.value &+= stack.value
            var node = root
            for frame in stack.frames {
                let child = node.children[frame] ?? { let made = Node(frame); node.children[frame] = made; return made }()
                child.value &+= stack.value
                node = child
            }
        }
        let depth = root.depth
        let height = Double(depth) * frameHeight + topPad + bottomPad
        var text = "<?xml version=\"1.0\" standalone=\"no\"?>\n"
        text += "<svg version=\"1.1\" width=\"\(number(imageWidth))\" height=\"\(number(height))\" viewBox=\"0 0 \(number(imageWidth)) \(number(height))\" "
        text += "xmlns=\"http://www.w3.org/2000/svg\" font-family=\"Verdana\" font-size=\"\(number(fontSize))\">\n"
        text += "<text x=\"\(number(imageWidth / 2))\" y=\"\(number(fontSize * 2))\" text-anchor=\"middle\" font-size=\"\(number(fontSize + 5))\">\(escaped(title))</text>\n"
        if root.value == 0 {
            text += "<text x=\"\(number(imageWidth / 2))\" y=\"\(number(topPad + fontSize))\" text-anchor=\"middle\">no stack samples</text>\n"
        } else {
            let scale = (imageWidth - 2 * horizontalPad) / Double(root.value)
            draw(root, start: 0, level: 0, total: root.value, scale: scale, height: height, into: &text)
        }
        return text + "</svg>\n"
    }

    /// A frame and, above it, its callees; `start` counts samples from the left.
    static func draw(_ node: Node, start: Int64, level: Int, total: Int64, scale: Double, height: Double, into text: inout String) {
        let x = horizontalPad + Double(start) * scale
        let width = Double(node.value) * scale
        guard width >= minimumWidth else { return }
        let y = height - bottomPad - Double(level + 1) * frameHeight + 1
        let share = Double(node.value) * 100 / Double(total)
        let label = escaped(node.name)
        text += "<g class=\"frame\"><title>\(label) (\(node.value) samples, \(CFormat.render("%.2f", [share]))%)</title>"
        text += "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(width))\" height=\"\(number(frameHeight - 1))\" fill=\"\(color(node.name))\" rx=\"2\" ry=\"2\"/>"
        text += "<text x=\"\(number(x + 3))\" y=\"\(number(y + frameHeight - 5))\">\(escaped(fitted(node.name, width: width)))</text></g>\n"
        var offset = start
        for name in node.children.keys.sorted() {
            let child = node.children[name]!
            draw(child, start: offset, level: level + 1, total: total, scale: scale, height: height, into: &text)
            offset += child.value
        }
    }

    /// The name as much as fits in `width` pixels ("..." ending a cut one; nothing under three characters).
    static func fitted(_ name: String, width: Double) -> String {
        let characters = Int((width - 6) / (fontSize * fontWidth))
        if characters < 3 { return "" }
        if name.count <= characters { return name }
        return String(name.prefix(characters - 2)) + ".."
    }

    /// flamegraph.pl's "hot" palette, chosen by the name so a function keeps its colour.
    static func color(_ name: String) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        let a = Double(hash & 0xff) / 255, b = Double((hash >> 8) & 0xff) / 255, c = Double((hash >> 16) & 0xff) / 255
        return "rgb(\(205 + Int(50 * c)),\(Int(230 * a)),\(Int(55 * b)))"
    }

    /// A coordinate with two decimals.
    static func number(_ value: Double) -> String { CFormat.render("%.2f", [value]) }

    /// Text for XML character data and attribute values.
    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default:
                // XML 1.0 has no control characters but tab, line feed and carriage return.
                if let ascii = character.asciiValue, ascii < 0x20 && ascii != 0x09 && ascii != 0x0a && ascii != 0x0d { result += " " }
                else { result.append(character) }
            }
        }
        return result
    }
}
