// DTraceSession/TracingSession: one tracing session, as libdtrace runs it — grab the
// target process, compile every program text into one program, match its probe
// descriptions, choose the engine (asking the platform for what the providers need),
// then go (BEGIN), work (until exit(), a signal or the target's exit) and stop (END,
// the remaining aggregations). Every failure is a `SessionError` carrying DTrace's
// message; the command line prints it and owns argv and exit statuses.

import DTraceConsumer
import DTraceELF
import DTraceIR
import DTraceLanguage
import DTraceLibrary
import DTracePlatform
import DTraceProviders
import DTraceSystem

/// A program text: a script file or probe descriptions given with -n/-P/-m/-f/-i.
public struct ProgramSource {
    public enum Kind { case script(path: String), probes(text: String, kind: Character) }
    public var kind: Kind
    /// A script's text when already read (before cpp): /dev/stdin cannot be read twice.
    public var scriptText: String?
    public init(kind: Kind, scriptText: String? = nil) { self.kind = kind; self.scriptText = scriptText }
}

/// DTrace's message for why a session cannot go on (printed after "dtrace: ").
public struct SessionError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public final class TracingSession {
    public private(set) var options: TracingOptions
    let output: OutputSink
    let errors: OutputSink
    public private(set) var target: TargetProcess?
    public private(set) var program = IRProgram()
    public private(set) var sources: [ProgramSource] = []
    /// Which source each clause came from.
    var sourceOfClause: [Int] = []
    /// Each source's notice: its kind ("script", "description") and its name.
    public private(set) var descriptions: [(kind: String, name: String)] = []
    public private(set) var catalog: ProbeCatalog
    public private(set) var enablings: [Enabling] = []
    /// How many probes each source's descriptions matched.
    public private(set) var matchesPerSource: [Int] = []
    /// Under -l, why the kernel's providers are missing from the list (no tracefs).
    public private(set) var hiddenProviders: String?
    /// Under -l, DTrace's message for each description that matched nothing.
    public private(set) var unmatchedListings: [String] = []
    /// A catalogue made while compiling, for typed `args` (kept for matching).
    var compileCatalog: ProbeCatalog?
    /// The kernel's types (BTF, read on first use), for the D types scripts name and the engine.
    public let kernelTypes = KernelTypes()

    /// The providers probes come from (the registry, unless a test adds its own).
    public let providers: [any Provider]
    /// The D library's subroutines.
    public let library: Library
    /// Names for user addresses: the processes this session has seen and their files.
    public let userSymbols = UserSymbols()

    public init(options: TracingOptions, output: OutputSink, errors: OutputSink, providers: [any Provider] = Providers.all,
                library: Library = .standard) {
        self.options = options; self.output = output; self.errors = errors; self.providers = providers; self.library = library
        catalog = ProbeCatalog(tracefsRoot: nil, providers: providers)
    }

    // MARK: target

    /// The target process: started held (-c) or found (-p), before compiling, for $target.
    public func grabTarget(command: String?, processID: String?) throws(SessionError) {
        if let command {
            let name = TargetProcess.words(of: command).first ?? ""
            guard SystemProcess.isExecutable(name) else { throw SessionError("failed to execute \(name): No such file or directory") }
            do { target = try TargetProcess.spawn(command) } catch { throw SessionError("failed to execute \(name): \(error.reason)") }
        } else if let text = processID {
            // Oracle's words: the grab's error alone.
            guard let number = Int64(text) else { throw SessionError("invalid pid: \(text)") }
            guard let pid = Int32(exactly: number), pid > 0 else { throw SessionError("No such process") }
            do { target = try TargetProcess.attach(pid) } catch { throw SessionError("No such process") }
        }
    }

    /// The -c process while it is held before exec, with the executable it will run.
    var startingProcesses: [Int32: String] {
        guard let target, target.isHeld, let path = target.executablePath else { return [:] }
        return [target.processID: path]
    }

    /// Lets go of the target (a -c process dtrace started and that still runs is killed).
    public func releaseTargetOnExit() { target?.abandon() }


    // MARK: compile

    /// Compiles every program text into one program, in order. `preprocess`: scripts go
    /// through cpp with `cppArguments` first.
    public func compile(_ sources: [ProgramSource], operands: [String], preprocess: Bool, cppArguments: [String],
                        preprocessor: (String, [String]) -> String?) throws(SessionError) {
        self.sources = sources
        var compileOptions = CompileOptions()
        compileOptions.macroArguments = [sources.first.map { if case .script(let path) = $0.kind { return path }; return "dtrace" } ?? "dtrace"] + operands
        compileOptions.targetProcessID = target.map { Int64($0.processID) }
        compileOptions.processID = Int64(ProcessIdentity.processID)
        compileOptions.parentProcessID = Int64(ProcessIdentity.parentProcessID)
        compileOptions.processGroupID = Int64(ProcessIdentity.processGroupID)
        compileOptions.sessionID = Int64(ProcessIdentity.sessionID)
        compileOptions.userID = Int64(ProcessIdentity.userID)
        compileOptions.groupID = Int64(ProcessIdentity.groupID)
        compileOptions.defaultArguments = options.defaultArguments
        compileOptions.subroutines = library.definitions
        compileOptions.aggregatingFunctions = library.aggregatingDefinitions
        compileOptions.actions = library.actionDefinitions
        compileOptions.libraryDeclarations = library.declarations.map(\.source)
        compileOptions.languageVersion = options.languageVersion
        if let size = options.stringSize { compileOptions.stringSize = size }
        compileOptions.scratchSize = options.scratchSize
        compileOptions.speculationSize = options.speculationSize
        compileOptions.minimumAttributes = options.minimumAttributes
        compileOptions.descriptionAttributes = { [providers] description in
            // A provider named outright gives its probes' attributes; a pattern, Unstable.
            guard !StabilityAttributes.isPatternProvider(description.provider), let provider = Self.provider(named: description.provider, in: providers) else {
                return (.anyProvider, .anyProvider)
            }
            func converted(_ attributes: ProbeAttributes) -> StabilityAttributes {
                StabilityAttributes.parse("\(attributes.names)/\(attributes.data)/\(attributes.dependency)") ?? .anyProvider
            }
            return (converted(provider.probeAttributes), converted(provider.argumentAttributes))
        }
        compileOptions.frameOptions = options.frameOptions
        compileOptions.kernelTypes = kernelTypes
        let optionsNow = options
        compileOptions.optionProblem = { name, value in
            var trial = optionsNow
            do throws(OptionError) { try trial.set(name, value, fromProgram: true); return nil } catch { return error.problem }
        }
        // Typed args: the probes' argument records, read while compiling.
        compileOptions.argumentRecord = { [self] description in
            // Only descriptions a provider with argument records can match (sdt) read them.
            guard providers.contains(where: { $0.providesArgumentRecords && Glob.matches(description.provider, $0.name) }),
                  let root = try? Tracefs.root() else { return nil }
            if compileCatalog == nil { compileCatalog = ProbeCatalog(tracefsRoot: root, startingProcesses: startingProcesses, providers: providers) }
            return compileCatalog?.argumentRecord(for: description)
        }
        // The catalogue of the probes a provider that translates its arguments could
        // match for a description (nil: none could, or no tracefs).
        func translatingCatalog(_ description: ProbeDescription) -> ProbeCatalog? {
            guard providers.contains(where: { $0.translatesArguments && Glob.matches(description.provider, $0.name) }),
                  let root = try? Tracefs.root() else { return nil }
            if compileCatalog == nil { compileCatalog = ProbeCatalog(tracefsRoot: root, startingProcesses: startingProcesses, providers: providers) }
            return compileCatalog
        }
        compileOptions.argumentExpressions = { description in translatingCatalog(description)?.argumentExpressions(for: description) }
        compileOptions.matchesTranslatedProbes = { description in translatingCatalog(description).map { !$0.match(description).isEmpty } ?? true }
        compileOptions.argumentCount = { [self] description in
            // Without tracefs (unprivileged) the providers that need it list nothing.
            if compileCatalog == nil { compileCatalog = ProbeCatalog(tracefsRoot: try? Tracefs.root(), startingProcesses: startingProcesses, providers: providers) }
            return compileCatalog?.argumentCount(for: description)
        }
        compileOptions.dependencyPresent = { [providers] kind, name in
            switch kind {
            case "provider": return Self.provider(named: name, in: providers) != nil
            case "module": return name == "vmlinux" || SystemFiles.size("/sys/module/" + name) != nil
            default: return true
            }
        }
        if !options.libraryDirectories.isEmpty {
            do throws(LibraryDirectories.Failure) {
                compileOptions.libraryDeclarations += try LibraryDirectories(directories: options.libraryDirectories).load(options: compileOptions)
            } catch {
                var message = error.message
                if let diagnostic = error.diagnostic, let path = error.path {
                    message = (options.errorTags ? "[\(diagnostic.tag)] " : "") + "\"\(path)\", line \(diagnostic.line): " + diagnostic.message
                }
                let first = sources.first.map { source -> String in
                    switch source.kind {
                    case .script(let path): return "failed to compile script \(path)"
                    case .probes(let text, _): return "invalid probe specifier \(text)"
                    }
                }
                throw SessionError((first.map { $0 + ": " } ?? "") + message)
            }
        }
        let compiler = Compiler(options: compileOptions)
        // Every text is read and parsed first, so the compiler sees the whole program's
        // aggregations before it lays out any; then they compile in order.
        var read: [(text: String, kind: ProbeSpecifierKind, isScript: Bool, label: String)] = []
        // A text's own failure, said when its turn to compile comes (texts compile in order).
        var failureOfText: [Int: SessionError] = [:]
        for source in sources {
            var text: String
            var kind = ProbeSpecifierKind.name
            let isScript: Bool
            let label: String
            switch source.kind {
            case .script(let path):
                if let scriptText = source.scriptText {
                    text = scriptText
                } else {
                    do { text = try SystemFiles.readTextFile(path, limit: 16 << 20) } catch {
                        throw SessionError("failed to open \(path): \(error.reason)")
                    }
                }
                isScript = true
                label = path
                descriptions.append(("script", path))
            case .probes(let probeText, let option):
                text = probeText
                kind = ["P": .provider, "m": .module, "f": .function][option] ?? .name
                // A text that starts with an integer names a probe by its ID, as DTrace
                // lexes one: the probe's full name stands for it, and what follows the
                // digits is read on its own ("2-2" is probe 2, then the description -2).
                // Only -i and -n may; -P, -m and -f are refused one.
                let digits = probeText.prefix { $0.isASCII && $0.isNumber }
                if !digits.isEmpty {
                    if option != "i" && option != "n" {
                        let kinds: [Character: String] = ["P": "providers", "m": "modules", "f": "functions"]
                        failureOfText[read.count] = SessionError("invalid probe specifier \(probeText): probe identifier \(digits) not permitted when specifying \(kinds[option] ?? "probes")")
                    } else if let id = Int(digits), let probe = probe(withID: id) {
                        text = probe.identity.fullName + " " + probeText.dropFirst(digits.count)
                    } else {
                        failureOfText[read.count] = SessionError("invalid probe specifier \(probeText): invalid probe identifier \(digits): Unknown probe identifier")
                    }
                }
                isScript = false
                label = probeText
                let cut = probeText.firstIndex { "{/;".contains($0) } ?? probeText.endIndex
                descriptions.append(("description", String(probeText[..<cut])))
            }
            if preprocess && isScript {
                guard let processed = preprocessor(text, cppArguments) else { throw SessionError("failed to compile script \(label): Preprocessor failed to process input program") }
                text = processed
            }
            read.append((text, kind, isScript, label))
        }
        /// Loads the library, parses, prescans and compiles every text read, in order.
        func compileTexts(_ compiler: Compiler) throws(SessionError) -> Compiler {
            sourceOfClause = []
            // The D library's declarations the texts name (psinfo_t, SIGKILL...), before they are parsed.
            do throws(Diagnostic) { try compiler.loadLibrary(namesUsedIn: read.map(\.text)) } catch {
                throw SessionError("failed to load the D library: \(error.description)")
            }
            var parsed: [(syntax: Result<ProgramSyntax, Diagnostic>, kind: ProbeSpecifierKind, isScript: Bool, label: String, itemsRead: [TopLevelItem])] = []
            for (text, kind, isScript, label) in read {
                var parser = Parser(source: text, typeNames: compiler.typeNames)
                parser.clausesNeedBodies = isScript
                parser.probeSpecifiersOnly = options.probeSpecifiersOnly
                do throws(Diagnostic) {
                    parsed.append((.success(try parser.parseProgram()), kind, isScript, label, []))
                } catch {
                    parsed.append((.failure(error), kind, isScript, label, parser.itemsRead))
                }
            }
            compiler.prescan(parsed.compactMap { try? $0.syntax.get() })
            for (index, text) in parsed.enumerated() {
                if let failure = failureOfText[index] { throw failure }
                do throws(Diagnostic) {
                    if case .failure = text.syntax { try compiler.declareBeforeSyntaxError(text.itemsRead) }
                    let syntax = try text.syntax.get()
                    if !options.permitEmpty && syntax.items.allSatisfy({ if case .pragma = $0 { true } else { false } }) {
                        throw Diagnostic("D_EMPTY", "empty D program translation unit", line: Self.lineAfterEnd(of: read[index].text))
                    }
                    let before = compiler.clauseCount
                    compiler.referencedMacroArguments = []
                    try compiler.add(syntax, kind: text.kind)
                    // DTrace checks only the last argument, in each text it compiles.
                    let last = compileOptions.macroArguments.count - 1
                    if last > 0 && !options.permitUnreferencedArguments && !compiler.referencedMacroArguments.contains(last) {
                        throw Diagnostic(.macroUnused, "extraneous argument '\(compileOptions.macroArguments[last])' ($\(last) is not referenced)", line: Self.lineAfterEnd(of: read[index].text))
                    }
                    sourceOfClause += Array(repeating: index, count: compiler.clauseCount - before)
                } catch {
                    throw compileFailure(error, isScript: text.isScript, label: text.label)
                }
            }
            return compiler
        }
        var compiled = try compileTexts(compiler)
        // The values compiled may bound string keys more narrowly than their text told
        // (a dotted quad, a ?: of literals), and some keys may be written by their own
        // expressions (DirectKeys: addresses, kernel text): compiled again, those key
        // slots are narrower, hold addresses or are written in place.
        let narrower = compiled.narrowerKeyBounds, directKeys = compiled.directKeysToLearn
        if narrower != nil || directKeys != nil {
            let again = Compiler(options: compileOptions)
            again.learnedKeyBounds = narrower ?? [:]
            again.learnedDirectKeys = directKeys ?? [:]
            compiled = try compileTexts(again)
        }
        program = compiled.finish().program
        // #pragma D option: the same options, through the same checks.
        for (name, value) in program.options {
            do { try options.set(name, value) } catch { throw SessionError("failed to set option \(name): \(error.problem)") }
        }
        if let size = options.stringSize { program.stringSize = size }
    }

    /// The line DTrace names for a whole text: the one after its last newline.
    static func lineAfterEnd(of text: String) -> Int { text.utf8.reduce(1) { $1 == 0x0a ? $0 + 1 : $0 } }

    func compileFailure(_ diagnostic: Diagnostic, isScript: Bool, label: String) -> SessionError {
        let rendered = diagnostic.rendered(withTags: options.errorTags, showLine: isScript)
        return SessionError(isScript ? "failed to compile script \(label): \(rendered)" : "invalid probe specifier \(label): \(rendered)")
    }

    /// The probe with a given ID (dtrace and profile probes first, then the kernel's).
    func probe(withID id: Int) -> Probe? {
        if let probe = ProbeCatalog(tracefsRoot: nil, providers: providers).allProbes().first(where: { $0.identity.id == id }) { return probe }
        guard let root = try? Tracefs.root() else { return nil }
        return ProbeCatalog(tracefsRoot: root, providers: providers).allProbes().first { $0.identity.id == id }
    }

    // MARK: match

    /// Matches every clause's descriptions. `listing` (dtrace -l) lists what matched and
    /// refuses nothing; `zeroMatchesAllowed` (-Z) lets a description match nothing.
    public func matchProbes(listing: Bool, zeroMatchesAllowed: Bool) throws(SessionError) {
        var tracefsRoot: String?
        var tracefsUnreadable = false
        if listing || program.clauses.contains(where: { $0.probes.contains { ProbeCatalog.needsKernelProviders($0, providers: providers) } }) {
            do { tracefsRoot = try Tracefs.root() } catch {
                tracefsUnreadable = true
                // dtrace -l says what it cannot show, and why.
                let hidden = providers.filter { $0.enumeratesKernel && !$0.listsWithoutTracefs }.map(\.name).joined(separator: ", ")
                if listing { hiddenProviders = "the kernel providers (\(hidden)) are not listed: tracefs cannot be read or mounted: \(error.reason)\(ProcessIdentity.userID == 0 ? "" : " (needs root)")" }
            }
        }
        catalog = tracefsRoot != nil ? compileCatalog ?? ProbeCatalog(tracefsRoot: tracefsRoot, startingProcesses: startingProcesses, providers: providers)
            : ProbeCatalog(tracefsRoot: nil, startingProcesses: startingProcesses, tracefsUnreadable: tracefsUnreadable, providers: providers)
        matchesPerSource = Array(repeating: 0, count: sources.count)
        for (clauseIndex, clause) in program.clauses.enumerated() {
            for (position, description) in clause.probes.enumerated() {
                let matched = catalog.match(description)
                let descriptionLine = position < clause.probeLines.count ? clause.probeLines[position] : clause.line
                if matched.isEmpty && !listing, let refusal = kernelProviderRefusal(description) {
                    throw SessionError(refusal)
                }
                if matched.isEmpty && listing {
                    // dtrace -l: the others are still listed; the status says one failed.
                    unmatchedListings.append("failed to match \(description): No probe matches description")
                }
                if matched.isEmpty && !zeroMatchesAllowed && !listing {
                    var isScript = false, label = ""
                    switch sources[sourceOfClause[clauseIndex]].kind {
                    case .script(let path): isScript = true; label = path
                    case .probes(let text, _): label = text
                    }
                    var message = "probe description \(description) does not match any probes"
                    if let reason = Providers.plannedReason(for: description.provider) { message += ": " + reason }
                    var diagnostic = Diagnostic(.probeDescriptionNoMatch, message, line: isScript ? descriptionLine : 0)
                    for provider in providers {
                        guard let failure = provider.matchFailure(for: description, in: catalog.environment) else { continue }
                        diagnostic = Diagnostic(failure.tag, failure.message, line: isScript ? descriptionLine : 0)
                        break
                    }
                    throw compileFailure(diagnostic, isScript: isScript, label: label)
                }
                for probe in matched {
                    enablings.append(Enabling(epid: enablings.count + 1, clause: clauseIndex, probe: probe))
                    matchesPerSource[sourceOfClause[clauseIndex]] += 1
                }
            }
        }
    }

    /// Where a -c command is stopped for evaltime postinit (its entry point, from its
    /// auxiliary vector) or main (main(), from the executable's symbols; without one, the
    /// entry point); nil for preinit (right after its exec).
    static func evaluationBreakpoint(_ time: EvaluationTime, executable: String?) -> ((Int32) -> UInt64?)? {
        guard time == .postinit || time == .main else { return nil }
        return { processID in
            guard let entry = ProcessAuxiliaryVector.entryPoint(of: processID) else { return nil }
            guard time == .main, let executable, case .success(let object) = ELFObject.load(path: executable),
                  let main = object.functions.first(where: { $0.name == "main" }) else { return entry }
            return entry &- object.entryPoint &+ main.address
        }
    }

    /// The provider a name gives: by its name, or one per process by its name and a process
    /// ID (pid123, python4567).
    static func provider(named name: String, in providers: [any Provider]) -> (any Provider)? {
        let base = name.prefix { !$0.isNumber }
        return providers.first { $0.name == name || ($0.name == base && !base.isEmpty && name.dropFirst(base.count).allSatisfy(\.isNumber)) }
    }

    /// The least stability of the probe descriptions and of the statements of the program
    /// text at `source` (dtrace -v): Stable/Stable/Common for a text with no clause.
    public func stability(ofSource source: Int) -> (descriptions: StabilityAttributes, statements: StabilityAttributes) {
        let clauses = program.clauses.indices.filter { $0 < sourceOfClause.count && sourceOfClause[$0] == source }.map { program.clauses[$0] }
        guard !clauses.isEmpty else { return (.standardDefault, .standardDefault) }
        return (clauses.map(\.descriptionAttributes).reduce(.highest) { $0.minimum($1) },
                clauses.map(\.statementAttributes).reduce(.highest) { $0.minimum($1) })
    }

    /// Why a description naming a kernel provider outright matched nothing, when the
    /// reason is the platform (no tracefs, no tracepoints) rather than the name.
    func kernelProviderRefusal(_ description: ProbeDescription) -> String? {
        guard let provider = providers.first(where: { $0.name == description.provider }), provider.enumeratesKernel else { return nil }
        let results = Dictionary(uniqueKeysWithValues: SelfTests.live.run(provider.requirement.needs))
        return EnginePlan.refusal(provider.requirement, results: results, suggestUserEngine: options.engine != .user)
    }

    // MARK: engine choice

    /// The user engine runs BEGIN, END, ERROR and tick-N in dtrace (tick-N reading arg0 or
    /// arg1 goes to the kernel where it can); anything else (and anything with
    /// -x engine=kernel) runs in the kernel — unless the kernel engine cannot
    /// run here and every probe can be fired by tracing the -c/-p process (or
    /// -x engine=ptrace): then the ptrace engine. With `checkPlatform`, the platform is
    /// asked for what the enabled providers need, and a provider that cannot work here is
    /// refused in one line before any probe is enabled or -c runs.
    public func chooseEngine(checkPlatform: Bool) throws(SessionError) -> EngineChoice {
        let kernelProbes = enablings.filter { !$0.probe.provider.runsInUserEngine($0.probe) }
        let kernelReaders = enablings.filter { program.clauses[$0.clause].readsKernelMemory }
        if options.engine == .user, let first = kernelProbes.first {
            throw SessionError("probe \(first.probe.identity.fullName) needs the kernel engine (-x engine=user was given)")
        }
        if options.engine == .user || options.engine == .ptrace, let first = kernelReaders.first {
            throw SessionError("clause for probe \(first.probe.identity.fullName) reads kernel memory (curthread or a kernel structure): it needs the kernel engine (-x engine=\(options.engine == .user ? "user" : "ptrace") was given)")
        }
        if options.engine == .ptrace {
            if let refusal = ptraceRefusal(kernelProbes) { throw SessionError(refusal) }
            try checkTraceable()
            return .ptrace
        }
        // Descriptions of the target's code that matched nothing yet (-Z) may match in
        // the libraries it loads later: the kernel engine watches for them.
        let laterProviders = target.map { target in Set(LibraryWatch.descriptions(in: program, naming: target.processID, providers: providers).map(\.provider)) } ?? []
        var choice: EngineChoice = options.engine ?? (kernelProbes.isEmpty && kernelReaders.isEmpty && laterProviders.isEmpty ? .user : .kernel)
        // tick-N clauses reading arg0/arg1 (the PCs the timer interrupted) run in the kernel
        // engine where the platform allows it; in dtrace those read 0.
        if options.engine == nil && choice == .user && checkPlatform,
           let reader = enablings.first(where: { ProfileProvider.period(of: $0.probe) != nil && program.clauses[$0.clause].readsFiringContext }) {
            let requirement = reader.probe.provider.requirement
            let results = Dictionary(uniqueKeysWithValues: SelfTests.live.run(requirement.needs))
            if EnginePlan.refusal(requirement, results: results, suggestUserEngine: false) == nil { choice = .kernel }
        }
        if choice == .kernel && checkPlatform {
            let names = Set(enablings.map { $0.probe.provider.name }).union(laterProviders)
            let requirements = providers.filter { names.contains($0.name) }.map(\.requirement)
            let results = Dictionary(uniqueKeysWithValues: SelfTests.live.run(EnginePlan.needs(of: requirements)))
            for requirement in requirements {
                if var refusal = EnginePlan.refusal(requirement, results: results, suggestUserEngine: options.engine != .user) {
                    if options.engine == nil && kernelReaders.isEmpty && ptraceRefusal(kernelProbes) == nil {
                        try checkTraceable()
                        return .ptrace
                    }
                    if requirement.ptraceEngine != nil && target == nil { refusal += "; its probes in a -c or -p process run with the ptrace engine" }
                    throw SessionError(refusal)
                }
            }
        }
        return choice
    }

    /// A -p process the ptrace engine cannot trace is refused before anything is said
    /// of the probes, as DTrace refuses a process it cannot grab.
    func checkTraceable() throws(SessionError) {
        guard let target, !target.isChild, let error = ProcessMemory.mayTrace(target.processID) else { return }
        throw SessionError("failed to grab pid \(target.processID): \(error.reason)")
    }

    /// Why the ptrace engine cannot fire these probes (nil: it can): it traces only the
    /// -c or -p process, and only probes whose provider can place them there.
    func ptraceRefusal(_ probes: [Enabling]) -> String? {
        guard let target else {
            return probes.isEmpty ? nil : "the ptrace engine traces only a process named with -c or -p: none was given"
        }
        for enabling in probes {
            guard let traced = enabling.probe.provider.tracedProbe(for: enabling.probe) else {
                return "probe \(enabling.probe.identity.fullName) cannot be traced with ptrace: only pid, usdt and syscall probes of the -c or -p process can"
            }
            if let pid = traced.processID, pid != target.processID {
                return "probe \(enabling.probe.identity.fullName) is not in pid \(target.processID): the ptrace engine traces only the -c or -p process"
            }
        }
        return nil
    }

    /// Refuses a program that cannot run as given: nothing to trace, or destructive
    /// actions without -w.
    public func checkEnablings(zeroMatchesAllowed: Bool) throws(SessionError) {
        if enablings.isEmpty && !zeroMatchesAllowed { throw SessionError(sources.isEmpty ? "no probes specified" : "no probes matched") }
        if program.usesDestructiveActions && !options.destructive { throw SessionError("could not enable tracing: Destructive actions not allowed") }
        if buffersTooSmall { throw SessionError("could not enable tracing: Enabling exceeds size of buffer") }
    }

    /// Whether a size option leaves no room for one of what the program records, as
    /// Oracle's DTrace finds when it makes its buffers: bufsize one record (with perf's
    /// 8-byte header, the record counted as Oracle counts it), aggsize one entry of the
    /// largest aggregation, dynvarsize one of the largest associative array or thread-local.
    var buffersTooSmall: Bool {
        // dtrace(1) always enables its own ERROR clause, which traces arg1 to arg5: a
        // 16-byte header and five 8-byte values, so no buffer under 64 bytes will do.
        let errorClauseRecord = 16 + 5 * 8
        let largestRecord = max(errorClauseRecord, program.clauses.map(\.record.speculatedSize).max() ?? 0)
        if options.requestedBufferSize < 8 + largestRecord { return true }
        if let entry = program.aggregations.map({ 8 + $0.keySize + 8 * $0.function.wordCount }).max(), options.aggregationSize < entry { return true }
        // A dynamic variable's entry, as Oracle's sizes its map (`Machine.dynamicVariableEntrySize`).
        if !program.maps.isEmpty && options.dynamicVariableSize < Machine.dynamicVariableEntrySize(program) { return true }
        return false
    }

    // MARK: go, work, stop

    /// Creates the engine and runs the session to its end: go (BEGIN, then the target is
    /// released), work until exit(), a signal or the target's exit, stop (END, drops,
    /// the remaining aggregations). Returns the exit status exit() gave, or 0.
    public func run(_ choice: EngineChoice, output sink: OutputSink, showProgram: Bool) throws(SessionError) -> Int32 {
        // -x lockmem, before any map is made (set as dtrace_open() sets it: a refusal is
        // left for the map's creation to meet).
        switch options.lockedMemoryLimit {
        case .bytes(let bytes)?: ProcessIdentity.setLockedMemoryLimit(bytes)
        case .unlimited?: ProcessIdentity.setLockedMemoryLimit(nil)
        case nil: break
        }
        program.speculationLimit = options.speculationLimit
        program.speculationSize = options.speculationSize
        program.maxFrames = options.maxFrames
        // -x cpu: dtrace's own probes (BEGIN, END, tick-N in dtrace) fire on that CPU, as in
        // DTrace; a -c command, started already, keeps its own.
        if let cpu = options.onlyCPU { ProcessIdentity.runOnlyOn(cpu: cpu) }
        let consumer = Consumer(program: program, options: options.outputOptions, output: sink, userSymbols: userSymbols)
        consumer.errors = errors
        // setopt() goes through the same table as -x and #pragma D option.
        consumer.optionSetter = { [self] name, value in
            if TracingOptions.fixedWhileTracing.contains(name) { return .failure(OptionProblem(TracingOptions.tracingActive)) }
            do { try options.set(name, value) } catch { return .failure(OptionProblem(String(describing: error))) }
            return .success(options.outputOptions)
        }
        // A -c command waits where its probes start (evaltime): past its gate, so that they
        // see nothing of the launcher but its exec, or past its exec, at its entry point or
        // main() (the ptrace engine seizes it at the gate instead, and fires nothing of it
        // before that point).
        if choice != .ptrace, let target {
            if options.evaluationTime == .exec {
                target.stopAtGate()
            } else {
                target.runToEvaluationPoint(breakpoint: Self.evaluationBreakpoint(options.evaluationTime, executable: target.executablePath))
            }
        }
        let engine = try makeEngine(choice, consumer: consumer, showProgram: showProgram)
        // A target's objects are read while it waits past its exec, so that the user
        // addresses its probes keep are named even if it ends before they are printed.
        // (The ptrace engine reads them as its probes fire.)
        if let target, choice == .kernel, !target.isChild || options.evaluationTime != .exec, program.recordsUserAddresses || program.notesProcesses {
            userSymbols.load(target.processID)
        }
        SignalWatch.install()
        let started = SystemClock.monotonicNanoseconds()
        engine.go()
        target?.release()
        while !engine.exitRequested && SignalWatch.interrupts == 0 && !targetHasExited(engine) {
            engine.work(wakingOn: target?.exitDescriptor ?? -1)
        }
        if engine.exitRequested { waitUntilExitIsNoticed(startedAt: started) }
        let impatient = SignalWatch.interrupts > 1
        engine.stop()
        consumer.tracingStopped()
        if !impatient {
            consumer.printRemainingAggregations()
            if let path = options.flameGraphPath { writeFlameGraph(consumer, to: path) }
        }
        let status = consumer.exitStatus ?? 0
        consumer.finish(status: status)
        engine.close()
        return status
    }

    /// With switchrate or statusrate set, exit() is noticed as DTrace notices it: its record
    /// is read at the next buffer switch, and the exit seen at the first status check after
    /// that (each counted in periods from the start); a signal ends the wait.
    func waitUntilExitIsNoticed(startedAt start: Int64) {
        guard options.givenSwitchPeriod != nil || options.givenStatusPeriod != nil else { return }
        func nextBoundary(after time: Int64, period: Int64?) -> Int64 {
            guard let period, period > 0 else { return time }
            let elapsed = time - start
            return start + (elapsed + period - 1) / period * period
        }
        let read = nextBoundary(after: SystemClock.monotonicNanoseconds(), period: options.givenSwitchPeriod)
        let noticed = nextBoundary(after: read, period: options.givenStatusPeriod)
        while SignalWatch.interrupts == 0 {
            let left = noticed - SystemClock.monotonicNanoseconds()
            if left <= 0 { break }
            SystemClock.sleep(nanoseconds: min(left, 50_000_000))
        }
    }

    /// -x flamegraph: the stack aggregations drawn as an SVG flame graph at `path`; a file
    /// that cannot be written is said on one line and tracing ends as it would have.
    func writeFlameGraph(_ consumer: Consumer, to path: String) {
        let svg = FlameGraph.svg(consumer.flameGraphStacks())
        do { try SystemFiles.writeFile(path, bytes: Array(svg.utf8)) } catch {
            errors.write("dtrace: failed to write flame graph '\(path)': \(error.reason)\n")
            errors.flush()
        }
    }

    func makeEngine(_ choice: EngineChoice, consumer: Consumer, showProgram: Bool) throws(SessionError) -> any Engine {
        switch choice {
        case .user:
            let engine = UserEngine(program: program, enablings: enablings, consumer: consumer, errors: errors,
                                    dynamicVariableBytes: options.dynamicVariableSize, speculations: options.speculationLimit,
                                    aggregationBytes: options.aggregationSize, bufferBytes: options.bufferSize, subroutines: library.interpreted)
            return UserEngineRun(engine, errors: errors)
        case .ptrace:
            guard let target else { throw SessionError("the ptrace engine traces only a process named with -c or -p: none was given") }
            let engine = UserEngine(program: program, enablings: enablings, consumer: consumer, errors: errors,
                                    dynamicVariableBytes: options.dynamicVariableSize, speculations: options.speculationLimit,
                                    aggregationBytes: options.aggregationSize, bufferBytes: options.bufferSize, subroutines: library.interpreted)
            return try PtraceEngineRun(engine, target: target, evaluationTime: options.evaluationTime, errors: errors,
                                       libraryWatch: LibraryWatch(target: target, program: program, providers: providers), catalog: catalog,
                                       enablingsAdded: { [unowned self] added in enablings += added })
        case .kernel:
            guard let root = catalog.environment.tracefsRoot ?? (try? Tracefs.root()) else {
                throw SessionError("the kernel engine needs tracefs, which is not mounted and could not be mounted on /sys/kernel/tracing")
            }
            var settings = KernelSettings()
            settings.types = kernelTypes
            settings.bufferSize = options.bufferSize
            settings.aggregationSize = options.aggregationSize
            settings.dynamicVariableSize = options.dynamicVariableSize
            settings.verifierLog = options.verifierLog
            settings.onlyCPU = options.onlyCPU
            settings.rawSyscalls = options.rawSyscalls
            settings.uprobesThroughMultiLinks = options.uprobeLinks ?? KernelFeatures.hasUprobeMultiLinks
            settings.subroutines = library.kernel
            if showProgram { settings.showProgram = { [errors] text in errors.write(text) } }
            // Probes in the libraries the target loads later are added as it loads them.
            let libraryWatch = target.flatMap { LibraryWatch(target: $0, program: program, providers: providers) }
            if libraryWatch != nil { settings.spareProbeRows = LibraryWatch.probeRows }
            do {
                let engine = try KernelEngine(program: program, enablings: enablings, consumer: consumer, errors: errors, tracefsRoot: root, settings: settings)
                try engine.attach()
                try libraryWatch?.start(in: engine, catalog: catalog, added: { [unowned self] added in enablings += added }, errors: errors) { [userSymbols, program] pid in
                    if program.recordsUserAddresses || program.notesProcesses { userSymbols.load(pid) }
                }
                return KernelEngineRun(engine, rates: ConsumerRates(switchPeriod: ratePeriod(options.switchPeriod), statusPeriod: ratePeriod(options.statusPeriod),
                                                                    aggregationPeriod: ratePeriod(options.aggregationPeriod)))
            } catch {
                throw SessionError("\(error)")
            }
        }
    }

    /// A rate's period, at least 1 ms; without a pidfd to wake on, a target's exit is
    /// noticed within 50 ms all the same.
    func ratePeriod(_ period: Int64) -> Int64 {
        if let target, target.exitDescriptor < 0 { return min(period, 50_000_000) }
        return max(period, 1_000_000)
    }

    /// Whether the target process (if any) has exited. As Oracle's dtrace, a normal end
    /// goes unremarked; an exit status other than 0 or a signal is said once — unless a
    /// clause already called exit() (its records, caught up first, say so), which is then
    /// why tracing stops.
    func targetHasExited(_ engine: any Engine) -> Bool {
        guard let target, let ending = target.ending else { return false }
        engine.catchUp()
        if ending != TargetProcess.normalEnding && !engine.exitRequested {
            errors.write("dtrace: pid \(target.processID) \(ending)\n")
            errors.flush()
        }
        return true
    }
}
