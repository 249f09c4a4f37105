// DTraceSession/LibraryDirectories: the D libraries of -L and -x libdir, as DTrace loads
// them — each directory's .d files, ordered so that a library comes after those its
// `#pragma D depends_on library` lines name (a name no file there has, or a cycle, refused
// as DTrace refuses them), then each compiled as a program of its own: one that depends on
// a provider, module or library that is not there is left out; any other error in one is
// the program's error, naming the library's file and line. What the others declare (types,
// inlines, translators) comes before the program; their clauses are not kept.

import DTraceLanguage
import DTraceSystem

struct LibraryDirectories {
    /// A library file: its path, its text and what it depends on.
    struct Library {
        var path: String
        var name: String
        var text: String
        var dependencies: [String]
    }

    /// Why the libraries cannot be used: the message, and the library and line an
    /// error in one names (nil for a dependency problem).
    struct Failure: Error {
        var message: String
        var diagnostic: Diagnostic?
        var path: String?
    }

    let directories: [String]

    /// The texts of the libraries that load, in dependency order, each checked by a
    /// compile of its own with `options` (the built-in library's declarations and those
    /// of the libraries before it).
    func load(options: CompileOptions) throws(Failure) -> [String] {
        var loadedTexts: [String] = []
        for directory in directories {
            let libraries = try ordered(read(directory))
            var loadedNames = Set<String>()
            for library in libraries {
                var libraryOptions = options
                libraryOptions.libraryDeclarations += loadedTexts
                libraryOptions.librariesLoaded = loadedNames
                let compiler = Compiler(options: libraryOptions)
                do throws(Diagnostic) {
                    try compiler.loadLibrary(namesUsedIn: [library.text])
                    var parser = Parser(source: library.text, typeNames: compiler.typeNames)
                    parser.readsLibrary = true
                    try compiler.add(try parser.parseProgram())
                } catch {
                    if error.tag == DiagnosticTag.pragmaDepend.rawValue { continue }
                    throw Failure(message: error.message, diagnostic: error, path: library.path)
                }
                loadedNames.insert(library.name)
                loadedTexts.append(library.text)
            }
        }
        return loadedTexts
    }

    /// The .d files of a directory (a missing directory has none), in name order.
    func read(_ directory: String) -> [Library] {
        var libraries: [Library] = []
        for name in SystemFiles.directoryEntries(directory) where name.hasSuffix(".d") {
            let path = directory + "/" + name
            guard let text = SystemFiles.readSmallTextFile(path, limit: 16 << 20) else { continue }
            var parser = Parser(source: text)
            parser.readsLibrary = true
            // A library that does not parse fails when it compiles; its dependencies are none.
            let dependencies = (try? parser.parseProgram()).map(Compiler.libraryDependencies) ?? []
            libraries.append(Library(path: path, name: name, text: text, dependencies: dependencies))
        }
        return libraries
    }

    /// The libraries with each after those it depends on (depth first, in name order).
    func ordered(_ libraries: [Library]) throws(Failure) -> [Library] {
        let byName = Dictionary(libraries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for library in libraries {
            if let missing = library.dependencies.first(where: { byName[$0] == nil }) {
                let directory = String(library.path.dropLast(library.name.count))
                throw Failure(message: "Invalid library dependency in \(library.path): \(directory)\(missing)")
            }
        }
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var order: [Library] = []
        func visit(_ library: Library) throws(Failure) {
            marks[library.name] = .visiting
            for dependency in library.dependencies {
                switch marks[dependency] {
                case .visiting:
                    let directory = String(library.path.dropLast(library.name.count))
                    throw Failure(message: "Cyclic dependency detected: \(directory)\(dependency) => \(library.path)")
                case .done: continue
                case nil: try visit(byName[dependency]!)
                }
            }
            marks[library.name] = .done
            order.append(library)
        }
        for library in libraries where marks[library.name] == nil { try visit(library) }
        return order
    }
}
