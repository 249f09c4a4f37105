// DTraceLanguage/Pragmas: the control lines D reads itself — `#pragma D option`,
// `attributes`, `binding`, `depends_on`, `#error`, `#ident`, `#line` — as DTrace's
// dt_pragma reads them. Their form is checked as the lexer meets them (a bad pragma in the
// middle of a declaration is named before the declaration is, as in DTrace); their effects
// (options, the names attributes and bindings apply to) are the compiler's, in order.

import DTraceIR

/// One control line (the text after `#`), read into DTrace's tokens.
struct ControlLine {
    enum Level: Int { case directive, pragma, dPragma }

    /// The line's words: identifiers and numbers as written, strings without quotes.
    let words: [String]
    let line: Int

    init(_ text: String, line: Int) {
        self.line = line
        var words: [String] = []
        var current = "", inString = false
        for character in text {
            if inString {
                if character == "\"" { words.append(current); current = ""; inString = false } else { current.append(character) }
            } else if character == "\"" {
                if !current.isEmpty { words.append(current); current = "" }
                inString = true
            } else if character == " " || character == "\t" {
                if !current.isEmpty { words.append(current); current = "" }
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        self.words = words
    }

    /// The directive DTrace would run and its arguments, or nil for a line it ignores (an
    /// empty line, an unknown `#pragma X`). Throws for what DTrace refuses at once.
    func directive() throws(Diagnostic) -> (name: String, arguments: [String])? {
        var level = Level.directive
        for (index, word) in words.enumerated() {
            if level == .directive && word == "pragma" { level = .pragma; continue }
            if level == .pragma && word == "D" { level = .dPragma; continue }
            if let needed = Self.directives[word], needed.rawValue <= level.rawValue {
                return (word, Array(words[(index + 1)...]))
            }
            switch level {
            case .directive: throw Diagnostic(.controlDirectiveInvalid, "invalid control directive: #\(word)", line: line)
            case .pragma: return nil // K&R: an unknown #pragma is ignored
            case .dPragma: throw Diagnostic(.pragmaInvalid, "invalid D pragma: \(word)", line: line)
            }
        }
        return nil
    }

    /// The directives, and the least level each is recognised at (`#error`, `#pragma
    /// error` and `#pragma D error` alike; `option` only after `#pragma D`).
    static let directives: [String: Level] = [
        "attributes": .dPragma, "binding": .dPragma, "depends_on": .dPragma, "option": .dPragma,
        "error": .directive, "ident": .directive, "line": .directive,
    ]

    /// The checks of a directive's form that need nothing but the line (and whether it
    /// is a library's, which may depend on a library).
    func checkForm(inLibrary: Bool = false) throws(Diagnostic) {
        guard let (name, arguments) = try directive() else { return }
        switch name {
        case "error":
            throw Diagnostic(.pragmaError, "#error: " + arguments.map { $0 + " " }.joined(), line: line)
        case "attributes":
            guard arguments.count >= 2 else {
                throw Diagnostic(.pragmaMalformed, "malformed #pragma attributes <attributes> <ident>", line: line)
            }
            guard Self.isAttributes(arguments[0]) else {
                throw Diagnostic(.pragmaInvalid, "invalid attributes specified by #pragma attributes", line: line)
            }
        case "binding":
            guard arguments.count >= 2 else {
                throw Diagnostic(.pragmaMalformed, "malformed #pragma binding \"version\" <ident>", line: line)
            }
            let parts = arguments[0].split(separator: ".", omittingEmptySubsequences: false)
            guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
                throw Diagnostic(.pragmaInvalid, "invalid version string specified by #pragma binding", line: line)
            }
        case "depends_on":
            guard arguments.count >= 2 else {
                throw Diagnostic(.pragmaMalformed, "malformed #pragma depends_on <class> <name>", line: line)
            }
            switch arguments[0] {
            case "provider", "module": break
            case "library" where inLibrary: break
            case "library": throw Diagnostic(.pragmaDepend, "main program may not explicitly depend on a library", line: line)
            default: throw Diagnostic(.pragmaInvalid, "invalid class \(arguments[0]) specified by #pragma depends_on", line: line)
            }
        default: break
        }
    }

    /// Whether `text` is a stability attribute triple (name[/data[/class]]), as
    /// dtrace_str2attr reads one.
    static func isAttributes(_ text: String) -> Bool {
        let stabilities = ["internal", "private", "obsolete", "external", "unstable", "evolving", "stable", "standard"]
        let classes = ["unknown", "cpu", "platform", "group", "isa", "common"]
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard parts.count <= 3 else { return false }
        for (index, part) in parts.enumerated() where !part.isEmpty {
            if !(index < 2 ? stabilities : classes).contains(part) { return false }
        }
        return true
    }
}

extension Compiler {
    /// A `#pragma` line met at the top level of a program, applied in order.
    func pragma(_ text: String, line: Int) throws(Diagnostic) {
        let control = ControlLine("pragma" + text, line: line)
        guard let (name, arguments) = try control.directive() else { return }
        switch name {
        case "option":
            if arguments.count > 1 { throw Diagnostic(.pragmaMalformed, "superfluous arguments specified for #pragma option", line: line) }
            guard arguments.count == 1 else { throw Diagnostic(.pragmaMalformed, "malformed #pragma D option", line: line) }
            let parts = arguments[0].split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count > 1, let problem = options.optionProblem?(parts[0], parts[1]) {
                throw Diagnostic(.pragmaOptionSet, "failed to set option '\(parts[0])' to '\(parts[1])': \(problem)", line: line)
            }
            program.options.append((parts[0], parts.count > 1 ? parts[1] : nil))
            if parts[0] == "amin", parts.count > 1, let minimum = StabilityAttributes.parse(parts[1]) { options.minimumAttributes = minimum }
            if parts[0] == "specsize", parts.count > 1, let size = CompileOptions.byteSize(parts[1]) { options.speculationSize = Int(clamping: size) }
            if parts[0] == "version", parts.count > 1, case .success(let version) = LanguageVersion.parse(parts[1]) { languageVersion = version }
        case "attributes", "binding":
            // They apply to a name declared before or after; one never declared is an error
            // at the end of the program (attributes of a provider's part apply at once).
            guard arguments.count >= 2 else { return try control.checkForm() }
            let target = arguments[1]
            if name == "attributes" && target == "provider" { return }
            if globals[target] == nil && inlines[target] == nil {
                pendingPragmas.append((name, target, line))
            }
        case "depends_on" where arguments.count >= 2:
            let (kind, dependency) = (arguments[0], arguments[1])
            if kind == "library", let loaded = options.librariesLoaded {
                guard loaded.contains(dependency) else {
                    throw Diagnostic(.pragmaDepend, "program requires library \"\(dependency)\" which failed to load", line: line)
                }
                return
            }
            try control.checkForm(inLibrary: options.librariesLoaded != nil)
            if let present = options.dependencyPresent, !present(kind, dependency) {
                throw Diagnostic(.pragmaDepend, "program requires \(kind) \(dependency)", line: line)
            }
        default:
            try control.checkForm()
        }
    }

    /// The libraries a library's text depends on (`#pragma D depends_on library NAME`).
    public static func libraryDependencies(of syntax: ProgramSyntax) -> [String] {
        syntax.items.compactMap { item in
            guard case .pragma(let text, let line) = item, let (name, arguments) = try? ControlLine("pragma" + text, line: line).directive(),
                  name == "depends_on", arguments.count >= 2, arguments[0] == "library" else { return nil }
            return arguments[1]
        }
    }

    /// Names a top-level declaration gives, which pending pragmas then apply to.
    func notePragmaTargets(_ declaration: Declaration) {
        let names = Set(declaration.declarators.map(\.name))
        pendingPragmas.removeAll { names.contains($0.name) }
    }

    /// At the end of a program: a pragma whose name was never declared.
    func checkUnusedPragmas() throws(Diagnostic) {
        if let unused = pendingPragmas.first {
            throw Diagnostic(.pragmaUnused, "unused #pragma \(unused.directive)", line: unused.line)
        }
    }
}
