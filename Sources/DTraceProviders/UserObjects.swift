// DTraceProviders/UserObjects: the executable and libraries of a process, as the providers
// on user code name them: for a process dtrace holds before exec (-c), the executable it
// will run and the libraries the dynamic linker will load for it; for a running one, the
// files it maps executable. Module names are the files' basenames, as Oracle's DTrace
// lists them; `a.out` also names the executable, and a full path names its file. For
// libraries loaded later: where the dynamic linker says its list of objects changes, and
// the files a process maps now.

import DTraceELF
import DTraceSystem
import DTraceX86

/// One object of a process: its file, its module name and its ELF contents.
struct UserObject: Sendable {
    var path: String
    var moduleName: String
    var isExecutable: Bool
    var file: ELFObject

    /// Whether a description's module field names this object.
    func matches(_ pattern: String) -> Bool {
        pattern.isEmpty || Glob.matches(pattern, moduleName) || (isExecutable && Glob.matches(pattern, ELFModuleName.executable))
            || (pattern.hasPrefix("/") && Glob.matches(pattern, path))
    }
}

public enum UserObjects {
    /// The objects of process `pid`, the executable first; empty when it has none we can read.
    static func of(_ pid: Int32, in environment: ProbeEnvironment) -> [UserObject] {
        if let command = environment.startingProcesses[pid] {
            let executable = programFile(of: command)
            guard case .success(let file) = ELFObject.load(path: executable) else { return [] }
            var objects = [UserObject(path: executable, moduleName: ELFModuleName.library(path: executable), isExecutable: true, file: file)]
            if case .success(let resolution) = LibraryResolver().libraries(forExecutable: executable) {
                for library in resolution.libraries where library.path != executable {
                    guard case .success(let file) = ELFObject.load(path: library.path) else { continue }
                    objects.append(UserObject(path: library.path, moduleName: library.moduleName, isExecutable: false, file: file))
                }
            }
            return objects
        }
        let mapped: ProcessObjects
        if let only = environment.onlyFiles {
            guard case .success(let mappings) = ProcessMappings.read(pid: pid) else { return [] }
            mapped = ProcessMappings.mappedObjects(in: mappings.filter { only.contains($0.fileKey) }, executablePath: ProcessMappings.executablePath(pid: pid)) { path in
                ELFObject.load(path: path)
            }
        } else {
            guard case .success(let all) = ProcessMappings.mappedObjects(pid: pid) else { return [] }
            mapped = all
        }
        let objects = mapped.objects.map { object in
            UserObject(path: object.path, moduleName: ELFModuleName.library(path: object.path), isExecutable: object.isExecutable, file: object.object)
        }
        return objects.filter(\.isExecutable) + objects.filter { !$0.isExecutable }
    }

    /// The ELF file a command runs: the command itself, or for a script its interpreter
    /// (`#!/bin/sh`, `#!/usr/bin/env python3`), followed up to four levels; real paths.
    static func programFile(of command: String) -> String {
        var path = SystemFiles.realPath(command) ?? command
        for _ in 0..<4 {
            guard let text = try? SystemFiles.readTextFile(path, limit: 256), text.hasPrefix("#!") else { break }
            let line = text.dropFirst(2).prefix { $0 != "\n" }
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard !words.isEmpty else { break }
            if words[0].hasSuffix("/env") {
                words.removeFirst()
                while let first = words.first, first.hasPrefix("-") || first.contains("=") { words.removeFirst() }
                guard let name = words.first, let found = SystemProcess.executablePath(name) else { break }
                words[0] = found
            }
            path = SystemFiles.realPath(words[0]) ?? words[0]
        }
        return path
    }

    static func processExists(_ pid: Int32) -> Bool { ProcessMappings.executablePath(pid: pid) != nil }

    /// Why a process's probes cannot be made at all (it is dtrace, or its executable is
    /// not one we can trace, such as a 32-bit one).
    static func refusal(_ pid: Int32, in environment: ProbeEnvironment) -> String? {
        if pid == ProcessIdentity.processID { return "process \(pid) is dtrace itself" }
        let executable = environment.startingProcesses[pid].map(programFile(of:)) ?? ProcessMappings.executablePath(pid: pid)
        if let executable, case .failure(let error) = ELFObject.load(path: executable) {
            return "process \(pid) cannot be traced: \(executable): \(error)"
        }
        return nil
    }
}

/// What the providers on user code need to follow a process's libraries as it loads and
/// unloads them (dlopen(), dlclose()).
extension UserObjects {
    /// Where the dynamic linker of process `pid` says its list of objects changes: the
    /// function r_debug's r_brk names (`_dl_debug_state`, which glibc's linker calls
    /// before and after dlopen() and dlclose() map or unmap objects), as a uprobe site
    /// limited to the process; nil for a static executable or a linker without it.
    public static func linkerSite(of pid: Int32, in environment: ProbeEnvironment) -> UprobeSite? {
        let executable = environment.startingProcesses[pid].map(programFile(of:)) ?? ProcessMappings.executablePath(pid: pid)
        guard let executable, case .success(let program) = ELFObject.load(path: executable), let interpreter = program.interpreter else { return nil }
        let path = SystemFiles.realPath(interpreter) ?? interpreter
        guard case .success(let linker) = ELFObject.load(path: path),
              let function = linker.functions.first(where: { $0.name == "_dl_debug_state" }) else { return nil }
        // After an endbr64, which the kernel would step out of line.
        let code = linker.bytes(ofFunction: function) ?? []
        let skip: UInt64 = (try? X86Decoder.decode(code, at: 0).get())?.isEndbr64 == true ? 4 : 0
        return UprobeSite(path: path, fileOffset: function.fileOffset + skip, returns: false, processID: pid)
    }

    /// Whether a description's module field may name the file at `path` (not the
    /// executable): by its module name or its path.
    public static func moduleField(_ pattern: String, mayName path: String) -> Bool {
        pattern.isEmpty || Glob.matches(pattern, ELFModuleName.library(path: path)) || (pattern.hasPrefix("/") && Glob.matches(pattern, path))
    }

    /// The files process `pid` maps executable now: their paths by device and inode
    /// ("device:inode"); nil when its mappings cannot be read (it has ended).
    public static func mappedFiles(of pid: Int32) -> [String: String]? {
        guard case .success(let mappings) = ProcessMappings.read(pid: pid) else { return nil }
        var files: [String: String] = [:]
        for mapping in mappings where mapping.isFile && mapping.isExecutable && !mapping.isDeleted { files[mapping.fileKey] = mapping.pathname }
        return files
    }
}
