// DTraceCLI/ProviderBuild: dtrace -h and dtrace -G, the build steps of programs with
// user-defined (USDT) probes. -h reads provider definitions from -s scripts (through cpp
// with -C) and reports a bad one as DTrace does: "failed to compile script FILE: line N:
// ...", status 1; it writes the header (ProviderHeader): to -o, or to the script's name
// with .d replaced by .h in the current directory. -G takes each command (-s, -n...) in
// turn: provider definitions are checked as -h checks them, any other program compiled;
// then it writes that command's object where DTrace does (-o with one command, else
// SCRIPT.o for SCRIPT.d, else d.out, d.out.N with several). The header already defines
// everything its probes need, so the object holds nothing (EmptyObjectFile), or with
// -x linktype=dof an empty DOF image. Object operands of -G are left as they are.

import DTraceLanguage
import DTraceSession
import DTraceSystem

enum ProviderBuildMode {
    case header, object

    var option: String { self == .header ? "-h" : "-G" }
}

extension CommandRun {
    func buildProviders(_ line: ParsedCommandLine, mode: ProviderBuildMode, options: TracingOptions) -> Int32 {
        if line.sources.isEmpty {
            return usageFailure("\(mode.option) requires one or more scripts or enabling options")
        }
        if mode == .object { return linkObjects(line, options: options) }
        var scripts: [String] = []
        var providers: [ProviderDefinition] = []
        for source in line.sources {
            guard case .script(let path) = source.kind else {
                return usageFailure("-h reads provider definitions from scripts (-s); -n, -P, -m, -f and -i cannot define providers")
            }
            scripts.append(path)
            switch readScript(path).flatMap({ readProviders($0, path: path, line: line, errorTags: options.errorTags) }) {
            case .success(let defined):
                do throws(Diagnostic) { try ProviderDefinitionParser.merge(defined, into: &providers) } catch {
                    return fail("failed to compile script \(path): \(error.rendered(withTags: options.errorTags, showLine: true))")
                }
            case .failure(let problem): return fail(problem.message)
            }
        }
        return writeHeader(providers, scripts: scripts, outputPath: line.outputPath)
    }

    struct BuildProblem: Error { var message: String; var definesProviders = true }

    func readScript(_ path: String) -> Result<String, BuildProblem> {
        do { return .success(try SystemFiles.readTextFile(path, limit: 16 << 20)) } catch {
            return .failure(BuildProblem(message: "failed to open \(path): \(error.reason)"))
        }
    }

    /// The provider definitions of one script's text; `definesProviders` false when the
    /// script is not a provider file at all (no `provider` in it): -G compiles it instead.
    func readProviders(_ script: String, path: String, line: ParsedCommandLine, errorTags: Bool) -> Result<[ProviderDefinition], BuildProblem> {
        var text = script
        if line.preprocess {
            guard let processed = Preprocessor.run(text, arguments: line.cppArguments, program: line.cppPath) else {
                return .failure(BuildProblem(message: "failed to compile script \(path): Preprocessor failed to process input program"))
            }
            text = processed
        }
        do throws(Diagnostic) {
            return .success(try ProviderDefinitionParser.parse(text))
        } catch {
            return .failure(BuildProblem(message: "failed to compile script \(path): \(error.rendered(withTags: errorTags, showLine: true))",
                                         definesProviders: ProviderDefinitionParser.mentionsProvider(text)))
        }
    }

    /// dtrace -G: each command checked or compiled, then its object written.
    func linkObjects(_ line: ParsedCommandLine, options: TracingOptions) -> Int32 {
        for (index, command) in line.sources.enumerated() {
            var source = command
            var isProviderFile = false
            if case .script(let path) = source.kind {
                let text: String
                switch readScript(path) {
                case .success(let read): text = read
                case .failure(let problem): return fail(problem.message)
                }
                source.scriptText = text
                switch readProviders(text, path: path, line: line, errorTags: options.errorTags) {
                case .success: isProviderFile = true
                case .failure(let problem) where problem.definesProviders: return fail(problem.message)
                case .failure: break
                }
            }
            if !isProviderFile {
                let session = TracingSession(options: options, output: output, errors: errors)
                do throws(SessionError) {
                    try session.compile([source], operands: line.operands, preprocess: line.preprocess, cppArguments: line.cppArguments,
                                        preprocessor: { Preprocessor.run($0, arguments: $1, program: line.cppPath) })
                } catch {
                    return fail(error.message)
                }
            }
            let path = objectPath(for: source, index: index, of: line.sources.count, outputPath: line.outputPath)
            if let status = writeObject(to: path, type: options.linkType) { return status }
        }
        return 0
    }

    /// Where -G writes a command's object, as DTrace names it.
    func objectPath(for source: ProgramSource, index: Int, of count: Int, outputPath: String?) -> String {
        if count == 1, let outputPath { return outputPath }
        if case .script(let path) = source.kind, path.hasSuffix(".d") {
            return Self.fileName(path, suffix: ".o")
        }
        return count > 1 ? "d.out.\(index)" : "d.out"
    }

    func writeHeader(_ providers: [ProviderDefinition], scripts: [String], outputPath: String?) -> Int32 {
        let path: String
        if let outputPath {
            path = outputPath
        } else if scripts.count > 1 {
            return usageFailure("-h requires an output file if multiple scripts are specified")
        } else if let script = scripts.first, script.hasSuffix(".d") {
            path = Self.fileName(script, suffix: ".h")
        } else {
            return usageFailure("-h requires an output file if no scripts are specified")
        }
        let text = ProviderHeader.text(for: providers, fileName: path)
        do { try SystemFiles.writeFile(path, bytes: Array(text.utf8)) } catch {
            if error.operation.hasPrefix("open ") { return fail("failed to open header file '\(path)': \(error.reason)") }
            return fail("failed to create header file \(path): \(error.reason)")
        }
        return 0
    }

    /// A script's file name (in the current directory) with its .d replaced by `suffix`.
    static func fileName(_ script: String, suffix: String) -> String {
        let base = script.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? script
        return String(base.dropLast(2)) + suffix
    }

    /// Writes one object; nil when written, else the failure's status.
    func writeObject(to path: String, type: LinkType) -> Int32? {
        let bytes: [UInt8]
        switch type {
        case .dof:
            bytes = EmptyObjectFile.emptyDOF
        case .elf:
            guard let machine = EmptyObjectFile.hostMachine else {
                return fail("-G cannot write an object file for this architecture (the -h header needs none)")
            }
            bytes = EmptyObjectFile.bytes(machine: machine)
        }
        do { try SystemFiles.writeFile(path, bytes: bytes) } catch {
            return fail("failed to link \(path): \(error.reason)")
        }
        return nil
    }

    /// A usage error: one line, status 2 (no usage text, as DTrace).
    func usageFailure(_ message: String) -> Int32 {
        errors.write("dtrace: " + message + "\n")
        return 2
    }
}
