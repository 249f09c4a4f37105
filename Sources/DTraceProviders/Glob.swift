// DTraceProviders/Glob: shell-style globs as DTrace uses them in probe descriptions:
// * ? [set] [!set] and \. An empty pattern matches anything.

public enum Glob {
    public static func hasMeta(_ pattern: String) -> Bool { pattern.contains { "*?[\\".contains($0) } }

    public static func matches(_ pattern: String, _ text: String) -> Bool {
        if pattern.isEmpty { return true }
        // A pattern without metacharacters (most are: fbt::vfs_read:entry) is the name
        // itself: compared whole, as the catalogue does for every probe of a provider.
        if !pattern.utf8.contains(where: { $0 == 0x2a || $0 == 0x3f || $0 == 0x5b || $0 == 0x5c }) { return pattern == text }
        return match(Array(pattern.utf8)[...], Array(text.utf8)[...])
    }

    static func match(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        var starP = -1, starT = -1
        while t < text.endIndex {
            if p < pattern.endIndex {
                let c = pattern[p]
                if c == 0x2a { starP = p; starT = t; p += 1; continue }
                if c == 0x3f { p += 1; t += 1; continue }
                if c == 0x5b, let (matched, next) = matchSet(pattern, p, text[t]) {
                    if matched { p = next; t += 1; continue }
                } else if c == 0x5c, p + 1 < pattern.endIndex {
                    if pattern[p + 1] == text[t] { p += 2; t += 1; continue }
                } else if c == text[t] { p += 1; t += 1; continue }
            }
            if starP >= 0 { p = starP + 1; starT += 1; t = starT; continue }
            return false
        }
        while p < pattern.endIndex && pattern[p] == 0x2a { p += 1 }
        return p == pattern.endIndex
    }

    static func matchSet(_ pattern: ArraySlice<UInt8>, _ start: Int, _ c: UInt8) -> (Bool, Int)? {
        var index = start + 1
        var negate = false
        if index < pattern.endIndex && pattern[index] == 0x21 { negate = true; index += 1 }
        var matched = false
        var first = true
        while index < pattern.endIndex && (pattern[index] != 0x5d || first) {
            first = false
            if index + 2 < pattern.endIndex && pattern[index + 1] == 0x2d && pattern[index + 2] != 0x5d {
                if c >= pattern[index] && c <= pattern[index + 2] { matched = true }
                index += 3
            } else {
                if c == pattern[index] { matched = true }
                index += 1
            }
        }
        guard index < pattern.endIndex else { return nil }
        return (matched != negate, index + 1)
    }
}
