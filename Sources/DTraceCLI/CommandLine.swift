// DTraceCLI/CommandLine: dtrace(1)'s options parsed with getopt's habits — clustered
// flags (-qn), option arguments attached or separate (-xfoo=1, -x foo=1), repeated
// -n/-s kept in order, operands collected as $1..$N — and the usage text.

import DTraceSession

public struct ParsedCommandLine {
    public var sources: [ProgramSource] = []
    public var operands: [String] = []
    public var quiet = false
    public var list = false
    public var verbose = false
    public var exitAfterCompile = false
    public var zeroMatchesAllowed = false
    public var destructive = false
    public var flowIndent = false
    public var preprocess = false
    public var version = false
    /// --help: the usage text on standard output, status 0.
    public var help = false
    public var showIR = false
    /// -h: write a header for the scripts' provider definitions.
    public var generateHeader = false
    /// -G: check the scripts' provider definitions (with -o, write an empty object).
    public var generateObject = false
    public var cppArguments: [String] = []
    /// The preprocessor's C standard (-X, -x stdc): ISO C99 unless traditional (s) is
    /// asked for, as Oracle's DTrace runs cpp in every mode but s.
    public var preprocessorStandard = "-std=c99"
    /// -x cpppath: the preprocessor to run instead of cpp.
    public var cppPath = "cpp"
    public var settings: [(String, String?)] = []
    public var outputPath: String?
    public var command: String?
    public var processIDs: [String] = []
}

public enum CommandLineError: Error, Equatable {
    case illegalOption(Character)
    case missingArgument(Character)
    case noArguments
    case unsupported(String)
    /// An option value dtrace cannot take: "-X q".
    case invalidValue(String)
}

public enum DTraceOptionParser {
    /// Options taking an argument, as in dtrace's getopt string.
    public static let withArgument: Set<Character> = ["b", "c", "D", "f", "i", "I", "L", "m", "n", "o", "p", "P", "s", "U", "x", "X"]
    public static let flags: Set<Character> = ["a", "A", "B", "C", "e", "F", "G", "h", "H", "l", "q", "S", "v", "V", "w", "Z"]
    /// Every single-letter option the parser accepts (docs/dtrace.8 describes each).
    public static var optionLetters: [Character] { withArgument.union(flags).sorted() }

    public static func parse(_ arguments: [String]) throws(CommandLineError) -> ParsedCommandLine {
        var result = ParsedCommandLine()
        if arguments.isEmpty { throw .noArguments }
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                result.operands.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            if argument == "--help" { result.help = true; continue }
            var characters = Array(argument.dropFirst())[...]
            while let option = characters.popFirst() {
                if option == "3" || option == "6" {
                    let rest = String(characters)
                    guard (option == "3" && rest == "2") || (option == "6" && rest == "4") else { throw .illegalOption(option) }
                    break
                }
                if withArgument.contains(option) {
                    var value = String(characters)
                    characters = []
                    if value.isEmpty {
                        guard index < arguments.count else { throw .missingArgument(option) }
                        value = arguments[index]
                        index += 1
                    }
                    try apply(option, value, to: &result)
                } else if flags.contains(option) {
                    try apply(option, nil, to: &result)
                } else {
                    throw .illegalOption(option)
                }
            }
        }
        return result
    }

    static func apply(_ option: Character, _ value: String?, to result: inout ParsedCommandLine) throws(CommandLineError) {
        switch option {
        case "n", "P", "m", "f", "i": result.sources.append(ProgramSource(kind: .probes(text: value!, kind: option)))
        case "s": result.sources.append(ProgramSource(kind: .script(path: value!)))
        case "q": result.quiet = true
        case "l": result.list = true
        case "v": result.verbose = true
        case "e": result.exitAfterCompile = true
        case "Z": result.zeroMatchesAllowed = true
        case "w": result.destructive = true
        case "F": result.flowIndent = true
        case "C": result.preprocess = true
        case "V": result.version = true
        case "S": result.showIR = true
        case "D": result.cppArguments.append("-D" + value!)
        case "U": result.cppArguments.append("-U" + value!)
        case "I": result.cppArguments.append("-I" + value!)
        case "x":
            let parts = value!.split(separator: "=", maxSplits: 1).map(String.init)
            let (name, setting) = (parts.first ?? "", parts.count > 1 ? parts[1] : nil)
            if try !commandLineOption(name, setting, &result) { result.settings.append((name, setting)) }
        case "X": _ = try commandLineOption("stdc", value, &result, givenAs: "-X \(value ?? "")")
        case "H": result.cppArguments.append("-H")
        case "b": result.settings.append(("bufsize", value))
        case "o": result.outputPath = value
        case "c": result.command = value
        case "p": result.processIDs.append(value!)
        case "L": result.settings.append(("libdir", value))
        case "h": result.generateHeader = true
        case "G": result.generateObject = true
        case "a", "A", "B": throw .unsupported(String(option))
        default: throw .illegalOption(option)
        }
    }

    /// The -x options that stand for command-line flags, which act before any option a
    /// script sets could apply: the C preprocessor's — cpp (-C), define (-D), undef (-U),
    /// incdir (-I), cpphdrs (-H), cppargs (more arguments), cpppath (another
    /// preprocessor) and stdc (-X: s is traditional cpp, a, c and t ISO C99, as in
    /// Oracle's DTrace) — and zdefs (-Z). False for any other option.
    /// `givenAs`: how a failure names the option (-X's own words).
    static func commandLineOption(_ name: String, _ value: String?, _ result: inout ParsedCommandLine, givenAs: String? = nil) throws(CommandLineError) -> Bool {
        func required() throws(CommandLineError) -> String {
            guard let value, !value.isEmpty else { throw .invalidValue("-x \(name)") }
            return value
        }
        switch name {
        case "cpp": result.preprocess = true
        case "zdefs": result.zeroMatchesAllowed = true
        case "define": result.cppArguments.append("-D" + (try required()))
        case "undef": result.cppArguments.append("-U" + (try required()))
        case "incdir": result.cppArguments.append("-I" + (try required()))
        case "cpphdrs": result.cppArguments.append("-H")
        case "cppargs": result.cppArguments += (try required()).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        case "cpppath": result.cppPath = try required()
        case "stdc":
            switch value {
            case "a", "c", "t": result.preprocessorStandard = "-std=c99"
            case "s": result.preprocessorStandard = "-traditional-cpp"
            default: throw .invalidValue(givenAs ?? "-x stdc")
            }
        default: return false
        }
        return true
    }

    public static func usage(programName: String) -> String {
        let action = "[[ predicate ] action ]"
        return """
        Usage: \(programName) [-32|-64] [-aACeFGhHlqSvVwZ] [-b bufsz] [-c cmd] [-D name[=def]]
        \t[-I path] [-L path] [-o output] [-p pid] [-s script] [-U name]
        \t[-x opt[=val]] [-X a|c|s|t]

        \t[-P provider \(action)]
        \t[-m [ provider: ] module \(action)]
        \t[-f [[ provider: ] module: ] func \(action)]
        \t[-n [[[ provider: ] module: ] func: ] name \(action)]
        \t[-i probe-id \(action)] [ args ... ]

        \tpredicate -> '/' D-expression '/'
        \t   action -> '{' D-statements '}'

        \t-32 generate 32-bit D programs and ELF files
        \t-64 generate 64-bit D programs and ELF files

        \t-a  claim anonymous tracing state
        \t-A  generate driver.conf(4) directives for anonymous tracing
        \t-b  set trace buffer size
        \t-c  run specified command and exit upon its completion
        \t-C  run cpp(1) preprocessor on script files
        \t-D  define symbol when invoking preprocessor
        \t-e  exit after compiling request but prior to enabling probes
        \t-f  enable or list probes matching the specified function name
        \t-F  coalesce trace output by function
        \t-G  check provider definitions; with -o, write an empty object file
        \t    (not needed: the -h header defines everything its probes use)
        \t-h  generate a header file with definitions for static probes
        \t    (systemtap SDT probes, for dtrace, bpftrace, perf and gdb alike)
        \t-H  print included files when invoking preprocessor
        \t-i  enable or list probes matching the specified probe id
        \t-I  add include directory to preprocessor search path
        \t-l  list probes matching specified criteria
        \t-L  add library directory to library search path
        \t-m  enable or list probes matching the specified module name
        \t-n  enable or list probes matching the specified probe name
        \t-o  set output file
        \t-p  grab specified process-ID and cache its symbol tables
        \t-P  enable or list probes matching the specified provider name
        \t-q  set quiet mode (only output explicitly traced data)
        \t-s  enable or list probes according to the specified D script
        \t-S  print D compiler intermediate code
        \t-U  undefine symbol when invoking preprocessor
        \t-v  set verbose mode (report stability attributes, arguments)
        \t-V  report DTrace API version and this dtrace's version
        \t-w  permit destructive actions
        \t-x  enable or modify compiler and tracing options
        \t    (-x platform: report the platform, its self-tests and each provider's engine;
        \t     -x oformat=text|json|folded: DTrace's text, JSON Lines, or aggregations as
        \t     folded stacks; -x flamegraph=PATH.svg: an SVG flame graph of the stack
        \t     aggregations when tracing stops)
        \t-X  specify ISO C conformance settings for preprocessor
        \t-Z  permit probe descriptions that match zero probes

        """
    }
}
