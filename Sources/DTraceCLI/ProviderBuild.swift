// DTraceCLI/ProviderBuild: dtrace -h and dtrace -G, the build steps of programs with
// user-defined (USDT) probes. Both read provider definitions from -s scripts (through cpp
// with -C) and report a bad one as DTrace does: "failed to compile script FILE: line N:
// ...", status 1. -h writes the header (ProviderHeader): to -o, or to the script's name
// with .d replaced by .h in the current directory. -G only checks: the header already
// defines everything its probes need, so there is nothing to link in; with -o it writes
// an empty object (EmptyObjectFile) for build systems that link the file they asked for.
// Object operands of -G are accepted and left as they are.

import DTraceLanguage
import DTraceSession
import DTraceSystem

enum ProviderBuildMode {
    case header, object

    var option: String { self == .header ? "-h" : "-G" }
}

extension CommandRun {
    func buildProviders(_ line: ParsedCommandLine, mode: ProviderBuildMode, errorTags: Bool) -> Int32 {
        if line.sources.isEmpty {
            return usageFailure("\(mode.option) requires one or more scripts or enabling options")
        }
        var scripts: [String] = []
        for source in line.sources {
            guard case .script(let path) = source.kind else {
                return usageFailure("\(mode.option) reads provider definitions from scripts (-s); -n, -P, -m, -f and -i cannot define providers")
            }
            scripts.append(path)
        }
        var providers: [ProviderDefinition] = []
        for path in scripts {
            var text: String
            do { text = try SystemFiles.readTextFile(path, limit: 16 << 20) } catch {
                return fail("failed to open \(path): \(error.reason)")
            }
            if line.preprocess {
                guard let processed = Preprocessor.run(text, arguments: line.cppArguments, program: line.cppPath) else { return fail("failed to compile script \(path): Preprocessor failed to process input program") }
                text = processed
            }
            do throws(Diagnostic) {
                try ProviderDefinitionParser.merge(try ProviderDefinitionParser.parse(text), into: &providers)
            } catch {
                return fail("failed to compile script \(path): \(error.rendered(withTags: errorTags, showLine: true))")
            }
        }
        switch mode {
        case .header: return writeHeader(providers, scripts: scripts, outputPath: line.outputPath)
        case .object: return writeObject(to: line.outputPath)
        }
    }

    func writeHeader(_ providers: [ProviderDefinition], scripts: [String], outputPath: String?) -> Int32 {
        let path: String
        if let outputPath {
            path = outputPath
        } else if scripts.count > 1 {
            return usageFailure("-h requires an output file if multiple scripts are specified")
        } else if let script = scripts.first, script.hasSuffix(".d") {
            let base = script.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? script
            path = String(base.dropLast(2)) + ".h"
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

    func writeObject(to outputPath: String?) -> Int32 {
        guard let path = outputPath else { return 0 }
        guard let machine = EmptyObjectFile.hostMachine else {
            return fail("-G cannot write an object file for this architecture (the -h header needs none)")
        }
        do { try SystemFiles.writeFile(path, bytes: EmptyObjectFile.bytes(machine: machine)) } catch {
            return fail("failed to create object file \(path): \(error.reason)")
        }
        return 0
    }

    /// A usage error: one line, status 2 (no usage text, as DTrace).
    func usageFailure(_ message: String) -> Int32 {
        errors.write("dtrace: " + message + "\n")
        return 2
    }
}
