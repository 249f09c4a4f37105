// DTraceCLI/DTraceCommand: dtrace(1) as a library. Parses the command line, compiles
// every -n/-s program into one program, matches probes, prints DTrace's notices and
// errors, runs the program (user engine: BEGIN, profile timers, END) and exits with
// DTrace's statuses: 0 success, 1 failure, 2 usage, or the status given to exit().

import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceConsumer
import DTraceProviders
import DTraceSession
import DTraceSystem
import Glibc

public enum DTraceCommand {
    public static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let status = run(arguments, standardOutput: OutputSink(descriptor: 1), standardError: OutputSink(descriptor: 2))
        exit(status)
    }

    /// Runs dtrace with the given arguments; returns the exit status.
    public static func run(_ arguments: [String], standardOutput: OutputSink, standardError: OutputSink) -> Int32 {
        let session = Session(output: standardOutput, errors: standardError)
        let status = session.run(arguments)
        standardOutput.flush()
        standardError.flush()
        return status
    }
}

/// Options dtrace accepts with -x and #pragma D option, and how each value is checked.
enum OptionCatalogue {
    enum Kind { case flag, size, count, rate, text }
    static let options: [String: Kind] = [
        "quiet": .flag, "flowindent": .flag, "destructive": .flag, "errtags": .flag, "defaultargs": .flag,
        "aggsortkey": .flag, "aggsortrev": .flag, "aggsortpos": .count, "aggsortkeypos": .count, "rawbytes": .flag,
        "bufsize": .size, "aggsize": .size, "specsize": .size, "dynvarsize": .size, "strsize": .size, "scratchsize": .size,
        "nspec": .count, "stackframes": .count, "ustackframes": .count, "jstackframes": .count, "jstackstrsize": .size,
        "switchrate": .rate, "aggrate": .rate, "cleanrate": .rate, "statusrate": .rate,
        "bufpolicy": .text, "bufresize": .text, "bpflog": .flag, "engine": .text, "zdefs": .flag, "stackindent": .count,
        "aggpercpu": .flag, "aggzoom": .flag, "aggpack": .flag, "agghist": .flag, "cpu": .count, "linkmode": .text,
        "evaltime": .text, "encoding": .text, "quietresize": .flag, "grabanon": .flag, "cpp": .flag, "incdir": .text,
        "define": .text, "undef": .text, "platform": .flag, "syscallprobes": .text, "verbose": .flag, "nolibs": .flag, "iregs": .count, "dtypes": .count, "maxframes": .count,
    ]

    /// Parses "4m", "512k", "1g" as bytes.
    static func size(_ text: String) -> Int64? {
        guard let last = text.last else { return nil }
        let multipliers: [Character: Int64] = ["k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30, "t": 1 << 40, "T": 1 << 40]
        if let multiplier = multipliers[last], let number = Int64(text.dropLast()), number >= 0 {
            let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        }
        return Int64(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    static func validate(_ name: String, _ value: String?) -> String? {
        guard let kind = options[name] else { return "Invalid option name" }
        switch kind {
        case .flag: return nil
        case .size: return value.flatMap(size) == nil ? "Invalid value for specified option" : nil
        case .count: return value.flatMap { Int64($0) } == nil ? "Invalid value for specified option" : nil
        case .rate:
            guard let value, !value.isEmpty else { return "Invalid value for specified option" }
            return ProfileProvider.period("tick-" + value) == nil ? "Invalid value for specified option" : nil
        case .text: return value == nil ? "Invalid value for specified option" : nil
        }
    }
}

final class Session {
    let output: OutputSink
    let errors: OutputSink
    var settings: [String: String?] = [:]
    var quiet = false
    var target: TargetProcess?

    init(output: OutputSink, errors: OutputSink) { self.output = output; self.errors = errors }

    func fail(_ message: String) -> Int32 {
        errors.write("dtrace: " + message + "\n")
        return 1
    }

    func run(_ arguments: [String]) -> Int32 {
        let line: ParsedCommandLine
        do {
            line = try DTraceOptionParser.parse(arguments)
        } catch {
            switch error {
            case .illegalOption(let option): errors.write("dtrace: illegal option -- \(option)\n")
            case .missingArgument(let option): errors.write("dtrace: option requires an argument -- \(option)\n")
            case .unsupported(let option):
                return fail("option -\(option) is not supported on Linux")
            case .noArguments: break
            }
            errors.write(DTraceOptionParser.usage(programName: "dtrace"))
            return 2
        }
        if line.version {
            output.write("dtrace: Sun D 1.13\n")
            return 0
        }
        // Settings from the command line, validated as dtrace_setopt() would.
        for (name, value) in line.settings {
            if let problem = OptionCatalogue.validate(name, value) {
                return fail("failed to set -x \(name): \(problem)")
            }
            settings[name] = value
        }
        // -x platform: the platform report, and nothing else.
        if settings.keys.contains("platform") {
            let platform = PlatformDetector.detect()
            let results = SelfTests.live.run(Capability.allCases)
            output.write(EnginePlan.report(platform: platform, results: results, providers: Providers.all.map(\.requirement)))
            return 0
        }
        if line.quiet { settings.updateValue(nil, forKey: "quiet") }
        if line.destructive { settings.updateValue(nil, forKey: "destructive") }
        if line.flowIndent { settings.updateValue(nil, forKey: "flowindent") }
        if let engine = settings["engine"].flatMap({ $0 }), engine != "user" && engine != "kernel" {
            return fail("failed to set -x engine: Invalid value for specified option")
        }
        if let choice = settings["syscallprobes"].flatMap({ $0 }), choice != "raw" && choice != "tracepoint" {
            return fail("failed to set -x syscallprobes: Invalid value for specified option")
        }
        if line.command != nil && !line.processIDs.isEmpty || line.processIDs.count > 1 {
            return fail("only one -c or -p option may be given")
        }
        // The target process: started held (-c) or found (-p) before compiling, for $target.
        if let command = line.command {
            let name = String(command.split(separator: " ").first ?? "")
            guard Session.findExecutable(name) else { return fail("failed to execute \(name): No such file or directory") }
            do { target = try TargetProcess.spawn(command) } catch { return fail("failed to execute \(name): \(error.reason)") }
        } else if let text = line.processIDs.first {
            guard let pid = Int32(text), pid > 0 else { return fail("invalid process ID: \(text)") }
            do { target = try TargetProcess.attach(pid) } catch { return fail("failed to grab pid \(pid): No such process") }
        }
        defer { target?.abandon() }

        // Compile every program text into one program, in command-line order.
        var compileOptions = CompileOptions()
        compileOptions.macroArguments = [line.sources.first.map { if case .script(let path) = $0.kind { return path }; return "dtrace" } ?? "dtrace"] + line.operands
        compileOptions.targetProcessID = target.map { Int64($0.processID) }
        compileOptions.processID = Int64(ProcessIdentity.processID)
        compileOptions.parentProcessID = Int64(ProcessIdentity.parentProcessID)
        compileOptions.userID = Int64(ProcessIdentity.userID)
        compileOptions.groupID = Int64(ProcessIdentity.groupID)
        compileOptions.defaultArguments = settings.keys.contains("defaultargs")
        if let strsize = settings["strsize"].flatMap({ $0 }).flatMap(OptionCatalogue.size) { compileOptions.stringSize = Int(max(1, min(strsize, 1 << 16))) }
        let errorTags = settings.keys.contains("errtags")
        // Typed args for sdt probes: their tracepoint formats, read while compiling.
        var earlyCatalog: ProbeCatalog?
        compileOptions.argumentRecord = { description in
            guard ProbeCatalog.needsKernelProviders(description), let root = try? Tracefs.root() else { return nil }
            if earlyCatalog == nil { earlyCatalog = ProbeCatalog(tracefsRoot: root) }
            return earlyCatalog?.argumentRecord(for: description)
        }
        let compiler = Compiler(options: compileOptions)
        var sourceOfClause: [Int] = []
        var descriptions: [(description: String, name: String)] = []
        // Every text is read and parsed first, so the compiler sees the whole program's
        // aggregations before it lays out any; then they compile in order.
        var parsed: [(syntax: Result<ProgramSyntax, Diagnostic>, kind: ProbeSpecifierKind, isScript: Bool, label: String)] = []
        for source in line.sources {
            var text: String
            var kind = ProbeSpecifierKind.name
            let isScript: Bool
            let label: String
            switch source.kind {
            case .script(let path):
                guard let contents = SystemFiles.readSmallTextFile(path, limit: 16 << 20) else {
                    return fail("failed to open \(path): \(String(cString: strerror(errno)))")
                }
                text = contents
                isScript = true
                label = path
                descriptions.append(("script", path))
            case .probes(let probeText, let option):
                text = probeText
                kind = ["P": .provider, "m": .module, "f": .function][option] ?? .name
                if option == "i" {
                    // -i ID [[predicate] action]: the probe with that ID, by its full name.
                    let digits = probeText.prefix { $0.isNumber }
                    guard let id = Int(digits), let probe = probeByID(id) else {
                        return fail("invalid probe specifier \(probeText): probe ID \(digits.isEmpty ? probeText : String(digits)) does not exist")
                    }
                    text = probe.identity.fullName + probeText.dropFirst(digits.count)
                }
                isScript = false
                label = probeText
                let cut = probeText.firstIndex { "{/;".contains($0) } ?? probeText.endIndex
                descriptions.append(("description", String(probeText[..<cut])))
            }
            if line.preprocess && isScript {
                guard let processed = Preprocessor.run(text, arguments: line.cppArguments) else {
                    return fail("failed to preprocess \(label)")
                }
                text = processed
            }
            var parser = Parser(source: text)
            do throws(Diagnostic) {
                parsed.append((.success(try parser.parseProgram()), kind, isScript, label))
            } catch {
                parsed.append((.failure(error), kind, isScript, label))
            }
        }
        compiler.prescan(parsed.compactMap { try? $0.syntax.get() })
        for (index, text) in parsed.enumerated() {
            do throws(Diagnostic) {
                let syntax = try text.syntax.get()
                let before = compiler.clauseCount
                try compiler.add(syntax, kind: text.kind)
                sourceOfClause += Array(repeating: index, count: compiler.clauseCount - before)
            } catch {
                return compileFailure(error, isScript: text.isScript, label: text.label, tags: errorTags)
            }
        }
        let compiled = compiler.finish()
        var program = compiled.program
        for (name, value) in program.options {
            if let problem = OptionCatalogue.validate(name, value) {
                return fail("failed to set option \(name): \(problem)")
            }
            settings[name] = value
        }
        quiet = settings.keys.contains("quiet")
        if let strsize = settings["strsize"].flatMap({ $0 }).flatMap(OptionCatalogue.size) { program.stringSize = Int(max(1, min(strsize, 1 << 16))) }

        if line.showIR {
            for clause in program.clauses {
                errors.write("DIFO clause \(clause.index + 1) (\(clause.probes.map(\.description).joined(separator: ", "))):\n")
                for (offset, instruction) in clause.function.instructions.enumerated() {
                    errors.write(ListingText.pad(String(offset * 4), 6) + ": \(instruction)\n")
                }
            }
        }

        // Match probes.
        var tracefsRoot: String? = nil
        if line.list || program.clauses.contains(where: { $0.probes.contains(where: ProbeCatalog.needsKernelProviders) }) {
            tracefsRoot = try? Tracefs.root()
        }
        let catalog = tracefsRoot != nil ? earlyCatalog ?? ProbeCatalog(tracefsRoot: tracefsRoot) : ProbeCatalog(tracefsRoot: nil)
        var enablings: [Enabling] = []
        var matchesPerSource = Array(repeating: 0, count: line.sources.count)
        for (clauseIndex, clause) in program.clauses.enumerated() {
            for description in clause.probes {
                let matched = catalog.match(description)
                if matched.isEmpty && !line.list, let refusal = kernelProviderRefusal(description) {
                    return fail(refusal)
                }
                if matched.isEmpty && !line.zeroMatchesAllowed && !line.list {
                    let source = line.sources[sourceOfClause[clauseIndex]]
                    var isScript = false, label = ""
                    switch source.kind {
                    case .script(let path): isScript = true; label = path
                    case .probes(let text, _): label = text
                    }
                    let diagnostic = Diagnostic(.probeDescriptionNoMatch, "probe description \(description) does not match any probes", line: isScript ? clause.line : 0)
                    return compileFailure(diagnostic, isScript: isScript, label: label, tags: errorTags)
                }
                for probe in matched {
                    enablings.append(Enabling(epid: enablings.count + 1, clause: clauseIndex, probe: probe))
                    matchesPerSource[sourceOfClause[clauseIndex]] += 1
                }
            }
        }

        if line.list {
            output.write(ListingText.listHeader())
            let listed: [Probe]
            if line.sources.isEmpty {
                listed = catalog.allProbes()
            } else {
                var seen = Set<Int>()
                listed = enablings.compactMap { seen.insert($0.probe.identity.id).inserted ? $0.probe : nil }
            }
            for probe in listed {
                output.write(ListingText.listLine(probe.identity))
                if line.verbose { output.write(ListingText.verboseDetails(probe, catalog: catalog)) }
            }
            return 0
        }

        // Engine choice: the user engine runs BEGIN, END, ERROR and tick-N in-process;
        // everything else (and anything when -x engine=kernel) runs in the kernel.
        let kernelProbes = enablings.filter { !$0.probe.provider.runsInUserEngine($0.probe) }
        let requested = settings["engine"].flatMap { $0 }
        if requested == "user", let first = kernelProbes.first {
            return fail("probe \(first.probe.identity.fullName) needs the kernel engine (-x engine=user was given)")
        }
        let useKernelEngine = requested == "kernel" || (requested == nil && !kernelProbes.isEmpty)
        if useKernelEngine && !line.exitAfterCompile {
            // Ask the platform for what these providers need; refuse in one line before
            // any probe is enabled or the -c command runs.
            let names = Set(enablings.map { $0.probe.identity.provider })
            let requirements = Providers.all.filter { names.contains($0.name) }.map(\.requirement)
            let results = Dictionary(uniqueKeysWithValues: SelfTests.live.run(EnginePlan.needs(of: requirements)))
            for requirement in requirements {
                if let refusal = EnginePlan.refusal(requirement, results: results) { return fail(refusal) }
            }
        }

        if !quiet {
            for (index, (kind, name)) in descriptions.enumerated() {
                let count = matchesPerSource[index]
                errors.write("dtrace: \(kind) '\(name)' matched \(count) probe\(count == 1 ? "" : "s")\n")
            }
            errors.flush()
        }
        if line.exitAfterCompile { return 0 }
        if enablings.isEmpty && !line.zeroMatchesAllowed {
            return fail(line.sources.isEmpty ? "no probes specified" : "no probes matched")
        }
        if program.usesDestructiveActions && !settings.keys.contains("destructive") {
            return fail("could not enable tracing: Destructive actions not allowed")
        }
        if settings.keys.contains("destructive") && !quiet { errors.write("dtrace: allowing destructive actions\n") }

        // Output file.
        var sink = output
        if let path = line.outputPath {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
            guard descriptor >= 0 else { return fail("failed to open output file '\(path)': \(String(cString: strerror(errno)))") }
            sink = OutputSink(descriptor: descriptor)
        }
        if useKernelEngine {
            guard let root = tracefsRoot ?? (try? Tracefs.root()) else {
                return fail("the kernel engine needs tracefs, which is not mounted and could not be mounted on /sys/kernel/tracing")
            }
            return executeInKernel(program, enablings: enablings, catalog: catalog, output: sink, tracefsRoot: root, showProgram: line.showIR)
        }
        return execute(program, enablings: enablings, catalog: catalog, output: sink)
    }

    /// The probe with a given ID (dtrace and profile probes first, then the kernel's).
    func probeByID(_ id: Int) -> Probe? {
        if let probe = ProbeCatalog(tracefsRoot: nil).allProbes().first(where: { $0.identity.id == id }) { return probe }
        guard let root = try? Tracefs.root() else { return nil }
        return ProbeCatalog(tracefsRoot: root).allProbes().first { $0.identity.id == id }
    }

    /// Why a description naming a kernel provider outright matched nothing, when the
    /// reason is the platform (no tracefs, no tracepoints) rather than the name.
    func kernelProviderRefusal(_ description: ProbeDescription) -> String? {
        guard let provider = Providers.named(description.provider), provider.enumeratesKernel else { return nil }
        let results = Dictionary(uniqueKeysWithValues: SelfTests.live.run(provider.requirement.needs))
        return EnginePlan.refusal(provider.requirement, results: results)
    }

    static func findExecutable(_ name: String) -> Bool {
        if name.contains("/") { return access(name, X_OK) == 0 }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
    }

    func outputOptions() -> OutputOptions {
        var outputOptions = OutputOptions()
        outputOptions.quiet = quiet
        outputOptions.sortByKey = settings.keys.contains("aggsortkey")
        outputOptions.sortReverse = settings.keys.contains("aggsortrev")
        outputOptions.flowIndent = settings.keys.contains("flowindent")
        outputOptions.sortKeyPosition = settings["aggsortkeypos"].flatMap { $0 }.flatMap { Int($0) } ?? 0
        outputOptions.sortAggregationPosition = settings["aggsortpos"].flatMap { $0 }.flatMap { Int($0) } ?? 0
        return outputOptions
    }

    /// Whether the target process (if any) has exited; says so once, as dtrace does.
    func targetHasExited() -> Bool {
        guard let target, target.hasExited else { return false }
        errors.write("dtrace: pid \(target.processID) has exited\n")
        errors.flush()
        return true
    }

    func executeInKernel(_ program: IRProgram, enablings: [Enabling], catalog: ProbeCatalog, output sink: OutputSink, tracefsRoot: String, showProgram: Bool) -> Int32 {
        var program = program
        program.speculationLimit = speculationLimit
        let consumer = Consumer(program: program, options: outputOptions(), output: sink)
        var kernelSettings = KernelSettings()
        func size(_ name: String) -> Int? { settings[name].flatMap { $0 }.flatMap(OptionCatalogue.size).map { Int(clamping: $0) } }
        if let value = size("bufsize") { kernelSettings.bufferSize = max(value, 4096) }
        if let value = size("aggsize") { kernelSettings.aggregationSize = value }
        if let value = size("dynvarsize") { kernelSettings.dynamicVariableSize = value }
        kernelSettings.verifierLog = settings.keys.contains("bpflog")
        kernelSettings.rawSyscalls = settings["syscallprobes"].flatMap { $0 } != "tracepoint"
        if showProgram { kernelSettings.showProgram = { [errors] text in errors.write(text) } }
        let engine: KernelEngine
        do {
            engine = try KernelEngine(program: program, enablings: enablings, consumer: consumer, errors: errors, tracefsRoot: tracefsRoot, settings: kernelSettings)
            try engine.attach()
        } catch {
            return fail("\(error)")
        }
        SignalWatch.install()
        engine.begin(catalog.probe(named: "BEGIN"))
        target?.release()
        // The consumer drains the buffer whenever the kernel signals records and at
        // least switchrate times a second; drops are read at statusrate, aggregation
        // drops at aggrate. The target's exit (a pidfd) wakes it at once.
        let switchPeriod = ratePeriod("switchrate"), statusPeriod = ratePeriod("statusrate"), aggregationPeriod = ratePeriod("aggrate")
        let start = SystemClock.monotonicNanoseconds()
        var nextSwitch = start + switchPeriod, nextStatus = start + statusPeriod, nextAggregation = start + aggregationPeriod
        while !engine.exitRequested && SignalWatch.interrupts == 0 {
            let wait = max(0, min(nextSwitch, nextStatus, nextAggregation) - SystemClock.monotonicNanoseconds())
            engine.wait(milliseconds: Int32(clamping: (wait + 999_999) / 1_000_000), alsoWakingOn: target?.exitDescriptor ?? -1)
            engine.drain()
            let now = SystemClock.monotonicNanoseconds()
            if now >= nextSwitch { nextSwitch = now + switchPeriod }
            let status = now >= nextStatus, aggregation = now >= nextAggregation
            if status || aggregation { engine.reportDrops(records: status, aggregations: aggregation) }
            if status { nextStatus = now + statusPeriod }
            if aggregation { nextAggregation = now + aggregationPeriod }
            if targetHasExited() { break }
        }
        let impatient = SignalWatch.interrupts > 1
        engine.stopProbes()
        engine.drain()
        if let end = catalog.probe(named: "END") { engine.fire(end) }
        engine.reportDrops()
        sink.write("\n")
        if !impatient { consumer.printRemainingAggregations() }
        sink.flush()
        engine.detach()
        return consumer.exitStatus ?? 0
    }

    /// How many speculations may be active at once (nspec, 1 by default).
    var speculationLimit: Int { Int(settings["nspec"].flatMap { $0 }.flatMap { Int64($0) } ?? 1) }

    /// The period of a rate option (switchrate, aggrate, statusrate) in nanoseconds;
    /// DTrace's default is 1hz. Without a pidfd to wake on, a target's exit is noticed
    /// within 50 ms all the same.
    func ratePeriod(_ name: String) -> Int64 {
        let period = settings[name].flatMap { $0 }.flatMap { ProfileProvider.period("tick-" + $0) } ?? 1_000_000_000
        if let target, target.exitDescriptor < 0 { return min(period, 50_000_000) }
        return max(period, 1_000_000)
    }

    func compileFailure(_ diagnostic: Diagnostic, isScript: Bool, label: String, tags: Bool) -> Int32 {
        let rendered = diagnostic.rendered(withTags: tags, showLine: isScript)
        if isScript { errors.write("dtrace: failed to compile script \(label): \(rendered)\n") }
        else { errors.write("dtrace: invalid probe specifier \(label): \(rendered)\n") }
        return 1
    }

    func execute(_ program: IRProgram, enablings: [Enabling], catalog: ProbeCatalog, output sink: OutputSink) -> Int32 {
        let consumer = Consumer(program: program, options: outputOptions(), output: sink)
        let dynamicVariableBytes = Int(settings["dynvarsize"].flatMap { $0 }.flatMap(OptionCatalogue.size) ?? (1 << 20))
        let engine = UserEngine(program: program, enablings: enablings, consumer: consumer, errors: errors,
                                dynamicVariableBytes: dynamicVariableBytes, speculations: speculationLimit)
        SignalWatch.install()
        if let begin = catalog.probe(named: "BEGIN") { engine.fire(begin) }
        target?.release()

        // Profile timers until exit() or a signal.
        var timers: [(probe: Probe, period: Int64, next: Int64)] = []
        let start = SystemClock.monotonicNanoseconds()
        var seen = Set<Int>()
        for enabling in enablings where seen.insert(enabling.probe.identity.id).inserted {
            guard let period = ProfileProvider.period(of: enabling.probe) else { continue }
            timers.append((enabling.probe, period, start + period))
        }
        while !engine.exitRequested && SignalWatch.interrupts == 0 && !targetHasExited() {
            let now = SystemClock.monotonicNanoseconds()
            guard let soonest = timers.indices.min(by: { timers[$0].next < timers[$1].next }) else {
                SystemClock.sleep(nanoseconds: 50_000_000)
                continue
            }
            if timers[soonest].next > now {
                SystemClock.sleep(nanoseconds: min(timers[soonest].next - now, 50_000_000))
                continue
            }
            let period = timers[soonest].period
            timers[soonest].next = max(timers[soonest].next + period, now - period)
            engine.fire(timers[soonest].probe)
        }
        let impatient = SignalWatch.interrupts > 1
        if let end = catalog.probe(named: "END") { engine.fire(end) }
        let drops = engine.dynamicVariableDrops
        if drops > 0 { errors.write("dtrace: \(drops) dynamic variable drop\(drops == 1 ? "" : "s")\n"); errors.flush() }
        sink.write("\n")
        if !impatient { consumer.printRemainingAggregations() }
        sink.flush()
        return consumer.exitStatus ?? 0
    }
}

enum ListingText {
    static func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }

    static func listHeader() -> String {
        pad("ID", 5) + " " + pad("PROVIDER", 10) + " " + pad("MODULE", 17) + " " + pad("FUNCTION", 33) + " NAME\n"
    }

    /// -lv: stability attributes and argument types, laid out as dtrace(1M) prints them.
    static func verboseDetails(_ probe: Probe, catalog: ProbeCatalog) -> String {
        let (description, arguments) = (probe.provider.probeAttributes, probe.provider.argumentAttributes)
        func attributes(_ title: String, _ value: ProbeAttributes) -> String {
            "\n\t\(title)\n\t\tIdentifier Names: \(value.names)\n\t\tData Semantics:   \(value.data)\n\t\tDependency Class: \(value.dependency)\n"
        }
        var text = attributes("Probe Description Attributes", description) + attributes("Argument Attributes", arguments)
        text += "\n\tArgument Types\n"
        let types = catalog.argumentTypes(probe)
        if types.isEmpty { text += "\t\tNone\n" }
        for (index, type) in types.enumerated() { text += "\t\targs[\(index)]: \(type)\n" }
        return text + "\n"
    }

    static func listLine(_ probe: ProbeIdentity) -> String {
        pad(String(probe.id), 5) + " " + pad(probe.provider, 10) + " " + pad(probe.module, 17) + " " + pad(probe.function, 33) + " " + probe.name + "\n"
    }
}
