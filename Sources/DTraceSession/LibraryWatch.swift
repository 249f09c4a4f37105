// DTraceSession/LibraryWatch: probes in the libraries a traced process loads while it is
// traced (dlopen). As DTrace does on the dynamic linker's events, the descriptions of the
// providers on the process's code (pid$target, USDT provider$target) are matched again
// whenever the linker says its list of objects has changed (`_dl_debug_state`, watched by
// the kernel engine), and the probes found in files it did not map before are enabled.
// In the kernel engine a -c process, dtrace's own child, stops itself there until they
// are; a -p process is not stopped (a stop would be seen by its parent, a shell's job
// control among them), so calls it makes in the first milliseconds after a dlopen() may
// go untraced, and a library it opens and closes again within them may be missed. The
// ptrace engine holds the thread at its breakpoint there, -c and -p alike.

import DTraceIR
import DTraceProviders
import DTraceSystem

final class LibraryWatch {
    let target: TargetProcess
    /// Whether the process stops itself at each of the linker's events.
    let stopsProcess: Bool
    /// The descriptions to match again, with their clauses.
    let descriptions: [(clause: Int, description: ProbeDescription)]
    /// The files the process has mapped executable ("device:inode"), whose probes have
    /// been looked for: a file unmapped and mapped again keeps its probes (uprobes stay
    /// with the file).
    var knownFiles: Set<String>
    /// Rows of the kernel engine's probe table kept for the probes added (each takes a
    /// row per site; 536 bytes each with the default strsize).
    static let probeRows = 8192

    /// A watch of `target` for the descriptions of `program` on its code; nil when none
    /// names it.
    init?(target: TargetProcess, program: IRProgram, providers: [any Provider]) {
        let descriptions = Self.descriptions(in: program, naming: target.processID, providers: providers).map { ($0.clause, $0.description) }
        guard !descriptions.isEmpty else { return nil }
        self.target = target
        self.descriptions = descriptions
        stopsProcess = target.isChild
        knownFiles = Set(UserObjects.mappedFiles(of: target.processID)?.keys ?? [:].keys)
    }

    /// The descriptions of `program` that name process `pid`'s code, with their clauses
    /// and providers.
    static func descriptions(in program: IRProgram, naming pid: Int32, providers: [any Provider]) -> [(clause: Int, description: ProbeDescription, provider: String)] {
        var found: [(clause: Int, description: ProbeDescription, provider: String)] = []
        for (index, clause) in program.clauses.enumerated() {
            for description in clause.probes {
                guard let provider = providers.first(where: { $0.processNamed(byProvider: description.provider) == pid }) else { continue }
                found.append((index, description, provider.name))
            }
        }
        return found
    }

    /// Starts the watch in `engine`: its linker's events call `linkerChanged`.
    /// `objectsChanged` is told each time the process maps files it did not before.
    func start(in engine: KernelEngine, catalog: ProbeCatalog, added: @escaping ([Enabling]) -> Void, errors: OutputSink,
               objectsChanged: @escaping (Int32) -> Void) throws {
        guard let site = UserObjects.linkerSite(of: target.processID, in: catalog.environment) else { return }
        try engine.watchLinker(at: site, stopping: stopsProcess) { [target] in target.continueFromStop() }
        catalog.processStarted(target.processID)
        engine.linkerActivity = { [self, unowned engine] processes in
            guard processes.contains(target.processID) else { return }
            linkerChanged(engine: engine, catalog: catalog, added: added, errors: errors, objectsChanged: objectsChanged)
        }
    }

    /// The linker has changed the process's list of objects: the probes of files it maps
    /// now and did not before are enabled, then a process stopped for it goes on.
    func linkerChanged(engine: KernelEngine, catalog: ProbeCatalog, added: ([Enabling]) -> Void, errors: OutputSink, objectsChanged: (Int32) -> Void) {
        defer { if stopsProcess { target.continueFromStop() } }
        guard !engine.exitRequested, let found = probesInNewFiles(catalog: catalog, enabled: engine.enablings) else { return }
        objectsChanged(target.processID)
        guard !found.probes.isEmpty else { return }
        do { added(try engine.add(found.probes)) } catch {
            errors.write("dtrace: failed to enable the probes of \(found.files.joined(separator: ", ")) in pid \(target.processID): \(error)\n")
            errors.flush()
        }
    }

    /// When the process maps files it did not before: the probes the descriptions match
    /// now that no enabling of their clause has yet (each with its clause), and the
    /// files' paths; nil when it maps nothing new (or has ended).
    func probesInNewFiles(catalog: ProbeCatalog, enabled: [Enabling]) -> (probes: [(clause: Int, probe: Probe)], files: [String])? {
        guard let files = UserObjects.mappedFiles(of: target.processID) else { return nil }
        let fresh = files.filter { !knownFiles.contains($0.key) }
        knownFiles.formUnion(files.keys)
        guard !fresh.isEmpty else { return nil }
        var enabledPairs: Set<[Int]> = Set(enabled.map { [$0.clause, $0.probe.identity.id] })
        var probes: [(clause: Int, probe: Probe)] = []
        let freshKeys = Set(fresh.keys)
        for (clause, description) in descriptions where fresh.values.contains(where: { UserObjects.moduleField(description.module, mayName: $0) }) {
            for probe in catalog.match(description, onlyFiles: freshKeys) where enabledPairs.insert([clause, probe.identity.id]).inserted {
                probes.append((clause, probe))
            }
        }
        return (probes, fresh.values.sorted())
    }
}
