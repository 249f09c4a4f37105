// DTraceLanguage/CompileOptions: what a compilation depends on beyond the text: $0..$N,
// the target and dtrace's own ids, strsize, defaultargs, the probes' argument records, and
// the library's subroutines, aggregating functions and actions, the kernel's types.

import DTraceIR
import DTraceText

public struct CompileOptions {
    /// $0 (the script name) and the arguments after it.
    public var macroArguments: [String] = ["dtrace"]
    public var targetProcessID: Int64?
    public var stringSize = 256
    /// scratchsize, when -x gives it (a program's own #pragma wins).
    public var scratchSize: Int64?
    /// stackframes, ustackframes and maxframes, when -x gives them (a program's own
    /// #pragma wins): the frames stack() and ustack() show by default, and at most.
    public var frameOptions: [String: Int64] = [:]
    /// With `defaultargs`, an unset $N is 0 (or "" as $$N) instead of an error.
    public var defaultArguments = false
    /// The probe description kind for -P/-m/-f/-n text (how a partial description is read).
    public var probeSpecifierKind: ProbeSpecifierKind = .name
    public var processID: Int64 = 0
    public var parentProcessID: Int64 = 0
    /// dtrace's process group and session ($pgid, $sid).
    public var processGroupID: Int64 = 0
    public var sessionID: Int64 = 0
    public var userID: Int64 = 0
    public var groupID: Int64 = 0
    /// The argument record of the probes a description matches (a tracepoint's fields),
    /// which types `args` as a pointer to it; nil when they have none or it differs.
    public var argumentRecord: ((ProbeDescription) -> ArgumentRecord?)?
    /// What args[0], args[1]... are in D for the probes a description matches, when their
    /// provider translates its arguments (`xlate<psinfo_t *>((struct task_struct *)arg1)`);
    /// nil when they have none or the probes differ.
    public var argumentExpressions: ((ProbeDescription) -> [String]?)?
    /// Whether a description a translating provider could match matches any probe now
    /// (nil: assume it does): one that matches none takes no part in typing args.
    public var matchesTranslatedProbes: ((ProbeDescription) -> Bool)?
    /// How many arguments the probes a description matches have, where their provider
    /// says (args[N] past them is D_ARGS_IDX); nil when unknown or the probes differ.
    /// Asked only when a clause indexes args with a constant.
    public var argumentCount: ((ProbeDescription) -> Int?)?
    /// The library's subroutines and aggregating functions by name (DTraceLibrary's registry).
    public var subroutines: [String: any SubroutineDefinition] = [:]
    public var aggregatingFunctions: [String: any AggregatingFunctionDefinition] = [:]
    public var actions: [String: any ActionDefinition] = [:]
    /// The kernel's types, for struct, union, enum and typedef names a script uses
    /// without declaring them (nil: none are known, as without BTF).
    public var kernelTypes: (any KernelTypeSource)?
    /// The D library's declarations in D (types, inlines, translators: psinfo_t,
    /// curpsinfo...), added before any script.
    public var libraryDeclarations: [String] = []
    /// Whether a provider or module a `#pragma D depends_on` names is there (nil: assume
    /// it is); a program depending on one that is not fails with D_PRAGMA_DEPEND.
    public var dependencyPresent: ((_ kind: String, _ name: String) -> Bool)?
    /// Compiling a library of -L (nil: a program): the libraries loaded before it, by the
    /// name `#pragma D depends_on library` gives (the file's name in its directory).
    public var librariesLoaded: Set<String>?
    /// amin: the least stability a program may use (nil: any); less is D_ATTR_MIN.
    public var minimumAttributes: StabilityAttributes?
    /// The stability of a probe description's probes and of their arguments (nil: a
    /// provider named outright is taken as Stable, a pattern as Unstable).
    public var descriptionAttributes: ((ProbeDescription) -> (probes: StabilityAttributes, arguments: StabilityAttributes))?
    /// specsize: the bytes a speculating clause may record (Oracle's default, 4 MiB).
    public var speculationSize = 4 << 20
    /// Checks a `#pragma D option` value as the session would set it: the problem, or nil.
    public var optionProblem: ((_ name: String, _ value: String) -> String?)?
    /// The D language version asked for with -x version (nil: this compiler's).
    public var languageVersion: LanguageVersion?
    public init() {}

    /// A size as dtrace_setopt() reads one: a non-negative number with an optional k, m, g
    /// or t suffix (either case).
    public static func byteSize(_ text: String) -> Int64? {
        guard let last = text.last else { return nil }
        let multipliers: [Character: Int64] = ["k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30, "t": 1 << 40, "T": 1 << 40]
        if let multiplier = multipliers[last], let number = Int64(text.dropLast()), number >= 0 {
            let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        }
        return Int64(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}
