// DTraceLanguage/LibraryNames: which of the D library's declaration files a script needs,
// without parsing them: the names each file declares (typedef and inline names, struct,
// union and enum tags, enumerators), found by a scan of its tokens, and the identifiers a
// script's text uses. Files a script names nothing of are never parsed (start-up stays
// quick); anything the compiler then cannot resolve loads the rest.

enum LibraryNames {
    /// The identifiers in `text` (in comments and strings too: a name too many only loads
    /// a file that was not needed).
    static func identifiers(in text: String) -> Set<String> {
        var names = Set<String>()
        var current: [UInt8] = []
        for byte in text.utf8 {
            if isIdentifierByte(byte) || (!current.isEmpty && byte >= 0x30 && byte <= 0x39) {
                current.append(byte)
            } else if !current.isEmpty {
                names.insert(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { names.insert(String(decoding: current, as: UTF8.self)) }
        return names
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte == 0x5f
    }

    /// The names a declaration file declares at its top level.
    static func declared(in text: String) -> Set<String> {
        // Tokens: identifiers and single punctuation bytes (numbers and spaces dropped).
        var tokens: [String] = []
        var current: [UInt8] = []
        for byte in text.utf8 {
            if isIdentifierByte(byte) || (!current.isEmpty && byte >= 0x30 && byte <= 0x39) { current.append(byte); continue }
            if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)); current.removeAll(keepingCapacity: true) }
            if "{};=,<>[".utf8.contains(byte) { tokens.append(String(UnicodeScalar(byte))) }
        }
        if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)) }
        var names = Set<String>()
        var depth = 0, index = 0
        var pending: String?          // "inline" or "typedef": the declaration being read
        var lastIdentifier: String?
        var enumDepth: Int?
        while index < tokens.count {
            let token = tokens[index]
            switch token {
            case "{":
                if index > 0, ["struct", "union", "enum"].contains(tokens[index - 1]) || (index > 1 && ["struct", "union", "enum"].contains(tokens[index - 2])) {
                    if index > 1, tokens[index - 2] == "enum" || tokens[index - 1] == "enum" { enumDepth = depth + 1 }
                }
                depth += 1
            case "}":
                if enumDepth == depth { enumDepth = nil }
                depth -= 1
            case "[" where depth == 0 && pending == "inline":
                // An inline with parameters (fds[int fd]): its name is before them.
                if let lastIdentifier { names.insert(lastIdentifier) }
                pending = nil
            case "=" where depth == 0 && pending == "inline":
                if let lastIdentifier { names.insert(lastIdentifier) }
                pending = nil
            case ";" where depth == 0:
                if pending == "typedef", let lastIdentifier { names.insert(lastIdentifier) }
                pending = nil
            case "inline", "typedef":
                if depth == 0 { pending = token }
            case "struct", "union", "enum":
                if index + 1 < tokens.count, let first = tokens[index + 1].utf8.first, isIdentifierByte(first) { names.insert(tokens[index + 1]) }
            default:
                if let first = token.utf8.first, isIdentifierByte(first) {
                    lastIdentifier = token
                    if enumDepth != nil && depth == enumDepth { names.insert(token) }
                }
            }
            index += 1
        }
        return names
    }
}
