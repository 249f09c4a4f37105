// DTraceCLI/DTraceCommand: dtrace(1) as a library. Parses the command line, hands the
// program texts to a TracingSession (compile, match, engine choice, go/work/stop) — or,
// with -h or -G, the provider definitions to ProviderBuild — prints DTrace's notices,
// listings and errors, and exits with DTrace's statuses: 0 success, 1 failure, 2 usage,
// or the status given to exit().

import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceConsumer
import DTraceProviders
import DTraceSession
import DTraceSystem

public enum DTraceCommand {
    /// This dtrace, as -V names it beside the D version.
    public static let projectName = "DTrace for Linux in Swift"
    public static let projectVersion = "0.6"

    public static func main() {
        // From the first instruction: a signal during compiling or attaching is an
        // ordinary stop, not a death.
        SignalWatch.install()
        let arguments = Array(CommandLine.arguments.dropFirst())
        let status = run(arguments, standardOutput: OutputSink(descriptor: 1), standardError: OutputSink(descriptor: 2))
        SystemProcess.exit(status)
    }

    /// Runs dtrace with the given arguments; returns the exit status.
    public static func run(_ arguments: [String], standardOutput: OutputSink, standardError: OutputSink) -> Int32 {
        let status = CommandRun(output: standardOutput, errors: standardError).run(arguments)
        standardOutput.flush()
        standardError.flush()
        return status
    }
}

/// The command: argv in, DTrace's messages and exit statuses out; the session does the rest.
final class CommandRun {
    let output: OutputSink
    let errors: OutputSink

    /// Under -x oformat=json a failure is also an error object on the output.
    var jsonErrors = false

    init(output: OutputSink, errors: OutputSink) { self.output = output; self.errors = errors }

    func fail(_ message: String) -> Int32 {
        errors.write("dtrace: " + message + "\n")
        if jsonErrors { output.write(JSONOutput.fatalErrorLine("dtrace: " + message)) }
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
            case .invalidValue(let option):
                return fail("failed to set \(option): Invalid value for specified option")
            case .noArguments: break
            }
            errors.write(DTraceOptionParser.usage(programName: "dtrace"))
            return 2
        }
        if [line.generateObject, line.generateHeader, line.list, line.version].filter({ $0 }).count > 1 {
            errors.write("dtrace: only one of the [-GhlV] options can be specified at a time\n")
            return 2
        }
        if line.help {
            output.write(DTraceOptionParser.usage(programName: "dtrace"))
            return 0
        }
        if line.version {
            // One line that ends with the D version, as DTrace's (scripts read its last word).
            output.write("dtrace: \(DTraceCommand.projectName) \(DTraceCommand.projectVersion), D \(LanguageVersion.current)\n")
            return 0
        }
        // Options from the command line, validated as dtrace_setopt() would.
        var options = TracingOptions()
        for (name, value) in line.settings {
            do { try options.set(name, value) } catch { return fail("failed to set -x \(name): \(error.problem)") }
            jsonErrors = options.outputFormat == .json
        }
        // -h and -G: provider definitions to a header (or checked), no tracing.
        if line.generateHeader { return buildProviders(line, mode: .header, options: options) }
        if line.generateObject { return buildProviders(line, mode: .object, options: options) }
        // -x platform: the platform report, and nothing else.
        if options.platformReport {
            let platform = PlatformDetector.detect()
            let results = SelfTests.live.run(Capability.allCases)
            output.write(EnginePlan.report(platform: platform, results: results, providers: Providers.all.map(\.requirement)))
            return 0
        }
        if line.quiet { options.quiet = true }
        if line.destructive { options.destructive = true }
        if line.flowIndent { options.flowIndent = true }
        if line.command != nil && !line.processIDs.isEmpty || line.processIDs.count > 1 {
            return fail("only one -c or -p option may be given")
        }
        let session = TracingSession(options: options, output: output, errors: errors)
        defer { session.releaseTargetOnExit() }
        do throws(SessionError) {
            try session.grabTarget(command: line.command, processID: line.processIDs.first)
            try session.compile(line.sources, operands: line.operands, preprocess: line.preprocess, cppArguments: line.cppArguments + [line.preprocessorStandard],
                                preprocessor: { Preprocessor.run($0, arguments: $1, program: line.cppPath) })
            jsonErrors = session.options.outputFormat == .json
            if line.showIR { showIR(session.program) }
            try session.matchProbes(listing: line.list, zeroMatchesAllowed: line.zeroMatchesAllowed)
            if line.list {
                list(session, all: line.sources.isEmpty, verbose: line.verbose)
                if let hidden = session.hiddenProviders { errors.write("dtrace: " + hidden + "\n") }
                for message in session.catalog.unlistedReasons() { errors.write("dtrace: " + message + "\n") }
                // Each description that matched nothing is said, and the listing still
                // succeeds, as Oracle's dtrace -l.
                for message in session.unmatchedListings { errors.write("dtrace: " + message + "\n") }
                return 0
            }
            let engine = try session.chooseEngine(checkPlatform: !line.exitAfterCompile)
            let quiet = session.options.quiet
            // -e compiles without enabling: nothing is said to have matched, as dtrace(1).
            if !quiet && !line.exitAfterCompile {
                for (index, (kind, name)) in session.descriptions.enumerated() {
                    let count = session.matchesPerSource[index]
                    errors.write("dtrace: \(kind) '\(name)' matched \(count) probe\(count == 1 ? "" : "s")\n")
                }
                errors.flush()
            }
            if line.verbose { output.write(stabilityReport(session, executing: !line.exitAfterCompile)); output.flush() }
            if line.exitAfterCompile { return 0 }
            try session.checkEnablings(zeroMatchesAllowed: line.zeroMatchesAllowed)
            if session.options.destructive && !quiet { errors.write("dtrace: allowing destructive actions\n") }
            // Output file.
            var sink = output
            if let path = line.outputPath {
                do { sink = try OutputSink.appending(to: path) } catch {
                    return fail("failed to open output file '\(path)': \(error.reason)")
                }
            }
            return try session.run(engine, output: sink, showProgram: line.showIR)
        } catch {
            return fail(error.message)
        }
    }

    /// -v: each program text's least stability, as dtrace(1) reports it.
    func stabilityReport(_ session: TracingSession, executing: Bool) -> String {
        var text = ""
        for (index, (kind, name)) in session.descriptions.enumerated() {
            let (descriptions, statements) = session.stability(ofSource: index)
            func block(_ title: String, _ attributes: StabilityAttributes) -> String {
                "\n\t\(title)\n\t\tIdentifier Names: \(attributes.names.name)\n\t\tData Semantics:   \(attributes.data.name)\n"
                    + "\t\tDependency Class: \(attributes.dependency.name)\n"
            }
            text += "\nStability attributes for \(kind) \(name):\n"
            text += block("Minimum Probe Description Attributes", descriptions) + block("Minimum Statement Attributes", statements)
            if executing { text += "\n" }
        }
        return text
    }

    /// -S: the IR of every clause, each followed by the table of the variables it uses.
    func showIR(_ program: IRProgram) {
        for clause in program.clauses {
            errors.write("DIFO clause \(clause.index + 1) (\(clause.probes.map(\.description).joined(separator: ", "))):\n")
            for (offset, instruction) in clause.function.instructions.enumerated() {
                errors.write(ListingText.pad(String(offset), 5) + "  " + instruction.listing + "\n")
            }
            errors.write(VariableTable.listing(clause.variables, instructionCount: clause.function.instructions.count))
        }
    }

    /// -l: every probe, or those the descriptions matched (each once).
    func list(_ session: TracingSession, all: Bool, verbose: Bool) {
        output.write(ListingText.listHeader())
        let listed: [Probe]
        if all {
            listed = session.catalog.allProbes()
        } else {
            var seen = Set<Int>()
            listed = session.enablings.compactMap { seen.insert($0.probe.identity.id).inserted ? $0.probe : nil }
        }
        for probe in listed {
            output.write(ListingText.listLine(probe.identity))
            if verbose { output.write(ListingText.verboseDetails(probe, catalog: session.catalog)) }
        }
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
        // A tracepoint's record: each field by the name `args->` reads it with.
        if let record = probe.provider.argumentRecord(of: probe, in: catalog.environment), !record.fields.isEmpty {
            text += "\n\tArgument Record\n"
            for field in record.fields {
                // A __data_loc field reads as the characters it locates: named as the kernel names it.
                let type = field.typeName.hasPrefix("__data_loc") || field.typeName.hasPrefix("__rel_loc") ? field.typeName : ArgumentRecord.type(of: field).description
                text += "\t\targs->\(field.name): \(type)\n"
            }
        }
        let notes = probe.provider.siteNotes(of: probe)
        if !notes.isEmpty { text += "\n\tProbe Site\n" + notes.map { "\t\t\($0)\n" }.joined() }
        return text + "\n"
    }

    static func listLine(_ probe: ProbeIdentity) -> String {
        pad(String(probe.id), 5) + " " + pad(probe.provider, 10) + " " + pad(probe.module, 17) + " " + pad(probe.function, 33) + " " + probe.name + "\n"
    }
}
