// DTraceELF/LibraryResolver: the shared objects the dynamic linker will load for an
// executable, worked out from the files alone (nothing is run) — so `dtrace -c cmd` can
// place probes in libraries before the command maps them. The order and search are
// glibc's: the interpreter (PT_INTERP), then LD_PRELOAD and /etc/ld.so.preload, then
// DT_NEEDED breadth-first; each name without a slash searched in the DT_RPATH of the
// object needing it and of the objects that loaded it (when they have no DT_RUNPATH),
// LD_LIBRARY_PATH, the needing object's DT_RUNPATH, the directories of /etc/ld.so.conf
// (following "include" globs), then the default directories. A candidate that is not an
// x86-64 ELF64 shared object is passed over, as the linker does. Each library is given
// by its real path (uprobes attach to the file's inode; DTrace names a module after the
// real file).

import DTraceSystem

/// One object the linker will load.
public struct ResolvedLibrary: Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        case interpreter
        case preload
        /// DT_NEEDED of the object at this (real) path.
        case needed(by: String)
    }

    /// As asked for: the DT_NEEDED name, the LD_PRELOAD entry, the PT_INTERP path.
    public var name: String
    /// The real path (every symbolic link resolved).
    public var path: String
    public var reason: Reason

    /// The module name DTrace gives it: the real file's base name.
    public var moduleName: String { ELFModuleName.library(path: path) }
}

/// A library no directory searched holds.
public struct MissingLibrary: Equatable, Sendable {
    public var name: String
    /// The real path of the object that needs it ("LD_PRELOAD" or "/etc/ld.so.preload" for those).
    public var neededBy: String
}

public struct LibraryResolution: Equatable, Sendable {
    /// The executable's real path.
    public var executable: String
    /// In load order: the interpreter, the preloaded, then DT_NEEDED breadth-first.
    public var libraries: [ResolvedLibrary]
    public var missing: [MissingLibrary]
}

public struct LibraryResolver: Sendable {
    /// The environment the program will run with (LD_LIBRARY_PATH, LD_PRELOAD).
    public var environment: [String: String]
    public var configurationFile: String
    public var preloadFile: String
    /// Searched last, in order.
    public var defaultDirectories: [String]

    public static let standardDefaultDirectories = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/lib"]

    /// At most this many objects are loaded, and ld.so.conf includes followed this deep.
    static let libraryLimit = 4096
    static let includeDepthLimit = 8

    public init(environment: [String: String] = ProcessEnvironment.variables,
                configurationFile: String = "/etc/ld.so.conf",
                preloadFile: String = "/etc/ld.so.preload",
                defaultDirectories: [String] = LibraryResolver.standardDefaultDirectories) {
        self.environment = environment
        self.configurationFile = configurationFile
        self.preloadFile = preloadFile
        self.defaultDirectories = defaultDirectories
    }

    /// An object being loaded: its real path, its dynamic section, who loaded it.
    private struct Node {
        var realPath: String
        var dynamic: DynamicSection
        var loader: Int?
        /// $ORIGIN: the directory it was found in (the executable's real directory).
        var origin: String
    }

    /// The libraries the linker will load for the executable at `executable`, or why the
    /// executable cannot be read.
    public func libraries(forExecutable executable: String) -> Result<LibraryResolution, ELFLoadError> {
        let realExecutable = SystemFiles.realPath(executable) ?? executable
        let main: ELFObject
        switch ELFObject.load(path: realExecutable) {
        case .failure(let error): return .failure(error)
        case .success(let object): main = object
        }
        var nodes = [Node(realPath: realExecutable, dynamic: main.dynamic, loader: nil,
                          origin: ELFModuleName.directory(of: realExecutable))]
        var resolution = LibraryResolution(executable: realExecutable, libraries: [], missing: [])
        var loadedPaths: Set<String> = [realExecutable]
        var loadedNames: Set<String> = []
        let configured = configuredDirectories()
        let libraryPath = Self.pathList(environment["LD_LIBRARY_PATH"], separators: [":", ";"])

        // Records a found object once; false when that file is already loaded.
        func add(_ name: String, found: (path: String, object: ELFObject), reason: ResolvedLibrary.Reason, loader: Int?) -> Bool {
            loadedNames.insert(name)
            let realPath = SystemFiles.realPath(found.path) ?? found.path
            guard loadedPaths.insert(realPath).inserted, resolution.libraries.count < Self.libraryLimit else { return false }
            let dynamic = found.object.dynamic
            if let soname = dynamic.soname { loadedNames.insert(soname) }
            resolution.libraries.append(ResolvedLibrary(name: name, path: realPath, reason: reason))
            nodes.append(Node(realPath: realPath, dynamic: dynamic, loader: loader,
                              origin: ELFModuleName.directory(of: found.path)))
            return true
        }

        // The interpreter: not searched for; its path is used as written.
        if let interpreter = main.interpreter, case .success(let object) = ELFObject.load(path: interpreter) {
            _ = add(interpreter, found: (interpreter, object), reason: .interpreter, loader: nil)
        } else if let interpreter = main.interpreter {
            resolution.missing.append(MissingLibrary(name: interpreter, neededBy: realExecutable))
        }
        // The executable and the preloaded objects start the walk (the interpreter needs nothing).
        var pending = [0]
        for (entry, source) in preloadEntries() {
            if let found = locate(entry, requester: 0, nodes: nodes, libraryPath: libraryPath, configured: configured) {
                if add(entry, found: found, reason: .preload, loader: 0) { pending.append(nodes.count - 1) }
            } else {
                resolution.missing.append(MissingLibrary(name: entry, neededBy: source))
            }
        }
        // Breadth-first over DT_NEEDED, in the order objects were added.
        var position = 0
        while position < pending.count, nodes.count <= Self.libraryLimit {
            let index = pending[position]
            position += 1
            for needed in nodes[index].dynamic.neededLibraries where !loadedNames.contains(needed) {
                guard let found = locate(needed, requester: index, nodes: nodes, libraryPath: libraryPath, configured: configured) else {
                    resolution.missing.append(MissingLibrary(name: needed, neededBy: nodes[index].realPath))
                    loadedNames.insert(needed)
                    continue
                }
                if add(needed, found: found, reason: .needed(by: nodes[index].realPath), loader: index) {
                    pending.append(nodes.count - 1)
                }
            }
        }
        return .success(resolution)
    }

    /// The first candidate for `name` that is an x86-64 ELF64 shared object: a name with
    /// a slash is a path; other names are searched as the linker does.
    private func locate(_ name: String, requester: Int, nodes: [Node], libraryPath: [String], configured: [String]) -> (path: String, object: ELFObject)? {
        func usable(_ path: String) -> (String, ELFObject)? {
            guard case .success(let object) = ELFObject.load(path: path), object.fileType == .sharedObject else { return nil }
            return (path, object)
        }
        if name.contains("/") { return usable(name) }
        var directories: [String] = []
        // DT_RPATH of the requester and its loaders up to the executable, unless the
        // requester has a DT_RUNPATH (which turns DT_RPATH off); each only if it has no DT_RUNPATH.
        if nodes[requester].dynamic.runPathText == nil {
            var current: Int? = requester
            var steps = 0
            while let index = current, steps < nodes.count {
                if nodes[index].dynamic.runPathText == nil { directories += nodes[index].dynamic.rPath(origin: nodes[index].origin) }
                current = nodes[index].loader
                steps += 1
            }
        }
        directories += libraryPath
        directories += nodes[requester].dynamic.runPath(origin: nodes[requester].origin)
        directories += configured
        directories += defaultDirectories
        var tried: Set<String> = []
        for directory in directories where !directory.isEmpty && tried.insert(directory).inserted {
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if let found = usable(candidate) { return found }
        }
        return nil
    }

    /// LD_PRELOAD's entries (space- or colon-separated), then /etc/ld.so.preload's
    /// (whitespace- or colon-separated), each with where it came from.
    func preloadEntries() -> [(String, String)] {
        var entries = Self.pathList(environment["LD_PRELOAD"], separators: [" ", ":", "\t"]).map { ($0, "LD_PRELOAD") }
        if let text = SystemFiles.readSmallTextFile(preloadFile, limit: 1 << 20) {
            entries += Self.pathList(text, separators: [" ", ":", "\t", "\n"]).map { ($0, preloadFile) }
        }
        return entries
    }

    static func pathList(_ text: String?, separators: Set<Character>) -> [String] {
        guard let text else { return [] }
        return text.split(whereSeparator: { separators.contains($0) }).map(String.init)
    }

    /// The directories /etc/ld.so.conf names, in order, following "include" lines (glob
    /// patterns, relative to the including file's directory); "hwcap" lines and comments
    /// are skipped, and a directory given twice is kept once.
    public func configuredDirectories() -> [String] {
        var directories: [String] = []
        var seen: Set<String> = []
        var visited: Set<String> = []
        func read(_ file: String, depth: Int) {
            guard depth <= Self.includeDepthLimit, visited.insert(file).inserted,
                  let text = SystemFiles.readSmallTextFile(file, limit: 1 << 20) else { return }
            for rawLine in text.split(whereSeparator: \.isNewline) {
                let line = String(rawLine.prefix { $0 != "#" })
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard let first = words.first else { continue }
                if first == "include" {
                    for pattern in words.dropFirst() {
                        let absolute = pattern.hasPrefix("/") ? pattern : ELFModuleName.directory(of: file) + "/" + pattern
                        for included in SystemFiles.glob(absolute) { read(included, depth: depth + 1) }
                    }
                } else if first == "hwcap" {
                    continue
                } else {
                    for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" || $0 == "," }) {
                        // "dir=TYPE" (an old library-type annotation) names dir.
                        var directory = String(word.prefix { $0 != "=" })
                        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
                        if directory.hasPrefix("/"), seen.insert(directory).inserted { directories.append(directory) }
                    }
                }
            }
        }
        read(configurationFile, depth: 0)
        return directories
    }
}
