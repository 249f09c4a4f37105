// DTraceText/Trimming: the one trimming of text (white space around tracefs format
// fields, sysfs and procfs values, kernel type names). It lives in DTraceText, a module
// with no dependencies, because its users sit on both sides of the module map: the
// compiler (DTraceLanguage, which must not depend on the system layer) and the system
// layer (DTraceSystem, DTracePlatform, which do not depend on the IR or the compiler).
// Characters are compared as Unicode scalars, so "\r\n" is two characters to trim.

extension StringProtocol {
    /// The text without its leading and trailing characters that are among
    /// `characters` (e.g. " \t" for spaces and tabs).
    public func trimming(anyOf characters: String) -> String {
        let scalars = String(self).unicodeScalars
        func isTrimmed(_ scalar: Unicode.Scalar) -> Bool { characters.unicodeScalars.contains(scalar) }
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, isTrimmed(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isTrimmed(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}
