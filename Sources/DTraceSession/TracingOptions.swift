// DTraceSession/TracingOptions: every option dtrace takes with -x, #pragma D option,
// setopt() and the command line's own flags (-q, -w, -F), validated once as
// dtrace_setopt() does and kept typed. Nothing else reads options by name.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceProviders
import DTraceSystem

public struct OptionError: Error, Equatable, CustomStringConvertible {
    public var problem: String
    public var description: String { problem }
    static let invalidName = OptionError(problem: "Invalid option name")
    static let invalidValue = OptionError(problem: "Invalid value for specified option")
    static let invalidContext = OptionError(problem: "Option cannot be used from within a D program")
}

/// What `dtrace -G` writes (`-x linktype=`): an ELF object, or bare DOF.
public enum LinkType: String, Sendable { case elf, dof }

/// Which engine runs the program (`-x engine=`); nil lets the probes decide.
public enum EngineChoice: String, Sendable { case user, kernel, ptrace }

/// When a -c command's probes start, as DTrace's evaltime says: at its exec (they see the
/// exec), right after it (preinit), once the dynamic linker has loaded and initialized the
/// libraries — at the program's entry point (postinit) — or at main().
public enum EvaluationTime: String, Sendable {
    case exec, preinit, postinit, main
}

public struct TracingOptions {
    /// Options DTrace takes before tracing starts but not while it runs (its run-time
    /// options that are not dynamic): setopt() is refused them.
    public static let fixedWhileTracing: Set<String> = [
        "aggsize", "bpflog", "bpflogsize", "bufsize", "bufpolicy", "bufresize", "cleanrate", "cpu", "destructive", "dynvarsize",
        "grabanon", "jstackframes", "jstackstrsize", "lockmem", "maxframes", "nspec", "pcapsize", "scratchsize", "specsize",
        "stackframes", "statusrate", "strsize", "ustackframes", "noresolve",
    ]
    public static let tracingActive = "Operation illegal when tracing is active"

    public var quiet = false
    public var flowIndent = false
    public var destructive = false
    public var errorTags = false
    public var defaultArguments = false
    /// `empty`: a script with no clause or declaration is not an error (D_EMPTY).
    public var permitEmpty = false
    /// `argref`: macro arguments a program text never names are not an error (D_MACRO_UNUSED).
    public var permitUnreferencedArguments = false
    public var sortByKey = false
    public var sortReverse = false
    public var sortKeyPosition = 0
    public var sortAggregationPosition = 0
    public var bufferSize = 4 << 20
    /// bufsize as given (the ring is never smaller than a page): too small for a record,
    /// tracing cannot be enabled.
    public var requestedBufferSize = 4 << 20
    /// -x pspec: ambiguous program text is read as probe descriptions.
    public var probeSpecifiersOnly = false
    public enum LockedMemoryLimit: Equatable { case bytes(UInt64), unlimited }
    /// -x lockmem: the locked-memory limit to set before the kernel engine makes its maps.
    public var lockedMemoryLimit: LockedMemoryLimit?
    public var aggregationSize = 4 << 20
    public var dynamicVariableSize = 1 << 20
    /// strsize, when given.
    public var stringSize: Int?
    /// specsize: the bytes a speculation holds (Oracle's default, 4 MiB).
    public var speculationSize = 4 << 20
    /// evaltime: where a -c command is when its probes start (Oracle's default: postinit).
    public var evaluationTime = EvaluationTime.postinit
    /// amin: the least stability a program may use (nil: any).
    public var minimumAttributes: StabilityAttributes?
    /// -L and -x libdir: directories of D libraries loaded before the program.
    public var libraryDirectories: [String] = []
    public var speculationLimit = 1
    /// aggpercpu: each CPU's value printed after an aggregation's.
    public var aggregationPerCPU = false
    /// stackframes, ustackframes and maxframes as given (the compiler's defaults for stack()).
    public var frameOptions: [String: Int64] = [:]
    /// The maxframes option: how many frames a stack depth counts at most (127, the
    /// deepest stack the kernel walks, by default and at most).
    public var maxFrames: Int { Int(min(frameOptions["maxframes"] ?? 127, 127)) }
    /// switchrate, statusrate and aggrate as periods; DTrace's default is 1hz.
    public var switchPeriod: Int64 = 1_000_000_000
    public var statusPeriod: Int64 = 1_000_000_000
    /// switchrate and statusrate as the program or -x set them (nil: not set). dtrace
    /// notices exit() at once unless they were set; then as DTrace does
    /// (TracingSession.waitUntilExitIsNoticed).
    public var givenSwitchPeriod: Int64?, givenStatusPeriod: Int64?, givenAggregationPeriod: Int64?
    public var aggregationPeriod: Int64 = 1_000_000_000
    public var engine: EngineChoice?
    /// `-x syscallprobes=tracepoint`: never put system call probes on raw_syscalls.
    public var rawSyscalls = true
    /// `-x uprobes=multi|perf`: how pid and USDT probes attach (nil: uprobe_multi links
    /// where the kernel has them, Linux 6.6 and later; else one perf event per probe).
    public var uprobeLinks: Bool?
    public var linkType = LinkType.elf
    public var verifierLog = false
    /// `-x cpu=N`: kernel probes record only what fires on CPU N.
    public var onlyCPU: Int?
    /// `-x platform`: print the platform report and nothing else.
    public var platformReport = false
    /// `-x oformat=text|json|folded`: how the consumer writes (docs/JSON-OUTPUT.md).
    public var outputFormat = OutputFormat.text
    /// `-x flamegraph=PATH`: where the SVG flame graph of the stack aggregations goes
    /// when tracing stops.
    public var flameGraphPath: String?
    /// `printsize`: the most bytes print() shows (nil: all of them).
    public var printSize: Int?
    public var rawBytes = false
    /// droptags: drop reports name the kind of drop ([DTRACEDROP_PRINCIPAL]...).
    public var dropTags = false
    /// version: the D language version the program is written for (nil: this compiler's).
    public var languageVersion: LanguageVersion?
    /// mangled: user symbols shown as their files write them (Swift and C++ names mangled).
    public var mangled = false
    /// scratchsize, when given: alloca()'s bound at compile time.
    public var scratchSize: Int64?

    public init() {}

    /// `optionalSize`: a size, or no value for the option's default.
    enum Kind { case flag, size, optionalSize, count, rate, text }

    /// The values that unset a flag, and the words that set one (any other value must be
    /// a number, as dtrace_setopt() reads a run-time flag).
    static let negatives: Set<String> = ["", "no", "disable", "disabled", "false", "off", "unset"]
    static let positives: Set<String> = ["yes", "enable", "enabled", "true", "on", "set"]
    /// Options only the command line may set (paths dtrace reads before any program).
    static let commandLineOnly: Set<String> = ["ldpath", "modpath", "libdir", "syslibdir", "procfspath", "lockmem"]

    /// Every option accepted, and how its value is checked. Options DTrace has that
    /// change nothing here are accepted and checked all the same.
    static let kinds: [String: Kind] = [
        "quiet": .flag, "flowindent": .flag, "mangled": .flag, "destructive": .flag, "errtags": .flag, "defaultargs": .flag, "empty": .flag, "argref": .flag,
        "aggsortkey": .flag, "aggsortrev": .flag, "aggsortpos": .count, "aggsortkeypos": .count, "rawbytes": .flag, "droptags": .flag,
        "bufsize": .size, "aggsize": .size, "specsize": .size, "dynvarsize": .size, "strsize": .size, "scratchsize": .size,
        "nspec": .count, "stackframes": .count, "ustackframes": .count, "jstackframes": .count, "jstackstrsize": .size,
        "switchrate": .rate, "aggrate": .rate, "cleanrate": .rate, "statusrate": .rate,
        "bufpolicy": .text, "bufresize": .text, "bpflog": .flag, "engine": .text, "zdefs": .flag, "stackindent": .count,
        "aggpercpu": .flag, "aggzoom": .flag, "aggpack": .flag, "agghist": .flag, "cpu": .count, "linkmode": .text, "linktype": .text,
        "evaltime": .text, "encoding": .text, "quietresize": .flag, "grabanon": .flag, "cpp": .flag, "incdir": .text, "cpphdrs": .flag, "cppargs": .text, "cpppath": .text, "stdc": .text,
        "define": .text, "undef": .text, "platform": .flag, "syscallprobes": .text, "uprobes": .text, "verbose": .flag, "nolibs": .flag, "iregs": .count,
        "dtypes": .count, "maxframes": .count, "oformat": .text, "flamegraph": .text, "printsize": .optionalSize,
        "amin": .text, "ldpath": .text, "modpath": .text, "libdir": .text, "syslibdir": .text, "procfspath": .text, "version": .text,
        "lockmem": .text, "pspec": .flag,
    ]

    /// Every option name -x, #pragma D option and setopt() accept (docs/dtrace.8 describes each).
    public static var names: [String] { kinds.keys.sorted() }

    /// A non-negative number as strtoull(3) reads one with base 0 (decimal, 0x hex, 0 octal).
    static func unsignedNumber(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0") && text.count > 1 { return UInt64(text.dropFirst(), radix: 8) }
        return UInt64(text)
    }

    /// Parses "4m", "512k", "1g" as bytes.
    public static func size(_ text: String) -> Int64? { CompileOptions.byteSize(text) }

    /// Sets one option (dtrace_setopt()): the value checked by the option's kind, then kept.
    /// `fromProgram`: set by `#pragma D option` or setopt(), where some options cannot be.
    public mutating func set(_ name: String, _ value: String?, fromProgram: Bool = false) throws(OptionError) {
        guard let kind = Self.kinds[name] else { throw .invalidName }
        if fromProgram && Self.commandLineOnly.contains(name) { throw .invalidContext }
        var count: Int64 = 0, bytes: Int64 = 0, period: Int64 = 0
        // A flag is set by any value but the negatives, as dtrace_setopt() takes them
        // ("-x quiet=0" is quiet; "quiet=no", "off", "false", "" are not).
        let on = value.map { !Self.negatives.contains($0.lowercased()) } ?? true
        switch kind {
        case .flag:
            if let value, !Self.negatives.contains(value.lowercased()), !Self.positives.contains(value.lowercased()),
               Self.unsignedNumber(value) == nil { throw .invalidValue }
        case .size: guard let parsed = value.flatMap(Self.size) else { throw .invalidValue }; bytes = parsed
        case .optionalSize:
            if let value { guard let parsed = Self.size(value) else { throw .invalidValue }; bytes = parsed }
        case .count:
            // Counts are read as dtrace_setopt() reads run-time options: not negative, with
            // an optional k/m/g/t suffix; iregs and dtypes take any number (atoi).
            let parsed = name == "iregs" || name == "dtypes" ? value.flatMap { Int64($0) } : value.flatMap(Self.size)
            guard let parsed else { throw .invalidValue }
            count = parsed
        case .rate:
            guard let value, !value.isEmpty, let parsed = ProfileProvider.period("tick-" + value) else { throw .invalidValue }
            period = parsed
        case .text: guard value != nil else { throw .invalidValue }
        }
        switch name {
        case "quiet": quiet = on
        case "flowindent": flowIndent = on
        case "destructive": destructive = on
        case "errtags": errorTags = on
        case "defaultargs": defaultArguments = on
        case "empty": permitEmpty = on
        case "argref": permitUnreferencedArguments = on
        case "aggsortkey": sortByKey = on
        case "aggsortrev": sortReverse = on
        case "aggsortpos": sortAggregationPosition = Int(clamping: count)
        case "aggsortkeypos": sortKeyPosition = Int(clamping: count)
        case "cpu":
            // A CPU that is online, as Oracle's DTrace requires one it knows.
            guard SystemCPUs.online.contains(Int(clamping: count)) else { throw .invalidValue }
            onlyCPU = Int(clamping: count)
        case "bufsize":
            requestedBufferSize = Int(clamping: bytes)
            bufferSize = max(requestedBufferSize, 4096)
        case "aggsize": aggregationSize = Int(clamping: bytes)
        case "dynvarsize": dynamicVariableSize = Int(clamping: bytes)
        case "strsize":
            // Room for at least the two bytes of DTrace's null string, as Oracle's requires.
            guard bytes >= 2 else { throw .invalidValue }
            stringSize = Int(min(bytes, 1 << 16))
        case "printsize": printSize = Self.printSize(bytes)
        case "rawbytes": rawBytes = on
        case "droptags": dropTags = on
        case "aggpercpu": aggregationPerCPU = on
        case "version":
            switch LanguageVersion.parse(value ?? "") {
            case .success(let version): languageVersion = version
            case .failure(let problem): throw OptionError(problem: problem.description)
            }
        case "mangled": mangled = on
        case "scratchsize": scratchSize = bytes
        case "iregs":
            // DTrace's eight DIF integer registers: fewer cannot generate code.
            guard count > 0 && count <= 8 else { throw .invalidValue }
            guard count == 8 else { throw OptionError(problem: "Insufficient registers to generate code") }
        case "nspec": speculationLimit = Int(clamping: count)
        case "stackframes", "ustackframes":
            if count > 0 { frameOptions[name] = count }
        case "maxframes":
            if count > 0 { frameOptions[name] = count }
        case "switchrate": switchPeriod = period; givenSwitchPeriod = period
        case "statusrate": statusPeriod = period; givenStatusPeriod = period
        case "libdir": libraryDirectories.append(value ?? "")
        case "evaltime":
            guard let time = EvaluationTime(rawValue: value ?? "") else { throw .invalidValue }
            evaluationTime = time
        case "amin":
            guard let minimum = StabilityAttributes.parse(value ?? "") else { throw .invalidValue }
            minimumAttributes = minimum
        case "specsize": speculationSize = Int(clamping: bytes)
        case "aggrate": aggregationPeriod = period; givenAggregationPeriod = period
        case "engine":
            guard let choice = value.flatMap(EngineChoice.init(rawValue:)) else { throw .invalidValue }
            engine = choice
        case "syscallprobes":
            guard value == "raw" || value == "tracepoint" else { throw .invalidValue }
            rawSyscalls = value == "raw"
        case "uprobes":
            guard value == "multi" || value == "perf" else { throw .invalidValue }
            uprobeLinks = value == "multi"
        case "linktype":
            guard let type = value.flatMap(LinkType.init(rawValue:)) else { throw .invalidValue }
            linkType = type
        case "oformat":
            guard let format = value.flatMap(OutputFormat.init(rawValue:)) else { throw .invalidValue }
            outputFormat = format
        case "flamegraph":
            guard let value, !value.isEmpty else { throw .invalidValue }
            flameGraphPath = value
        case "pspec": probeSpecifiersOnly = on
        case "lockmem":
            // The locked-memory limit dtrace sets itself before it makes its maps, in
            // bytes, or "unlimited" (kernels from 5.11 on charge BPF memory to the
            // memory cgroup instead, so it matters only on older ones).
            if value == "unlimited" {
                lockedMemoryLimit = .unlimited
            } else {
                guard let parsed = value.flatMap(Self.size), parsed > 0 else { throw .invalidValue }
                lockedMemoryLimit = .bytes(UInt64(parsed))
            }
        case "bpflog": verifierLog = on
        case "platform": platformReport = on
        default: break
        }
    }

    /// printsize as Oracle's DTrace takes it: 8192 when not given, 0 or more than 64k;
    /// rounded up to a multiple of 8.
    static func printSize(_ bytes: Int64) -> Int {
        let size = bytes <= 0 || bytes > 1 << 16 ? 8192 : Int(bytes)
        return (size + 7) & ~7
    }

    /// How the consumer prints.
    public var outputOptions: OutputOptions {
        var options = OutputOptions()
        options.format = outputFormat
        options.quiet = quiet
        options.sortByKey = sortByKey
        options.sortReverse = sortReverse
        options.flowIndent = flowIndent
        options.aggregationSnapshotPeriod = givenAggregationPeriod ?? 0
        options.sortKeyPosition = sortKeyPosition
        options.sortAggregationPosition = sortAggregationPosition
        options.printSize = printSize
        options.rawBytes = rawBytes
        options.dropTags = dropTags
        options.aggregationPerCPU = aggregationPerCPU
        options.demangles = !mangled
        if let stringSize { options.stringSize = stringSize }
        options.testing = ProcessEnvironment.value("_DTRACE_TESTING") != nil
        return options
    }
}
