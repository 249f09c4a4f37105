// DTraceProviders/UserObjects: the executable and libraries of a process, as the providers
// on user code name them: for a process dtrace holds before exec (-c), the executable it
// will run and the libraries the dynamic linker will load for it; for a running one, the
// files it maps executable. Module names are basenames; `a.out` also names the executable.

import DTraceELF
import DTraceSystem

/// One object of a process: its file (by real path) and its module name.
struct UserObject: Sendable, Equatable {
    var path: String
    var moduleName: String
    var isExecutable: Bool

    /// Whether a description's module field names this object.
    func matches(_ pattern: String) -> Bool {
        pattern.isEmpty || Glob.matches(pattern, moduleName) || (isExecutable && Glob.matches(pattern, "a.out"))
            || (pattern.hasPrefix("/") && Glob.matches(pattern, path))
    }
}

enum UserObjects {
    /// The objects of process `pid`, the executable first.
    static func of(_ pid: Int32, in environment: ProbeEnvironment) -> [UserObject] {
        if let executable = environment.startingProcesses[pid] {
            let real = FilePaths.realPath(executable) ?? executable
            var objects = [UserObject(path: real, moduleName: FilePaths.baseName(real), isExecutable: true)]
            for library in LibraryResolver.libraries(forExecutable: real) where library != real {
                objects.append(UserObject(path: library, moduleName: FilePaths.baseName(library), isExecutable: false))
            }
            return objects
        }
        let executable = ProcessMappings.executablePath(of: pid)
        return ProcessMappings.mappedObjects(pid: pid).map { object in
            UserObject(path: object.path, moduleName: FilePaths.baseName(object.path), isExecutable: object.path == executable)
        }
    }

    static func processExists(_ pid: Int32) -> Bool { ProcessMappings.executablePath(of: pid) != nil }

    /// Why a process's probes cannot be made at all (it is dtrace, or 32-bit).
    static func refusal(_ pid: Int32, in environment: ProbeEnvironment) -> String? {
        if pid == ProcessIdentity.processID { return "process \(pid) is dtrace itself" }
        let executable = environment.startingProcesses[pid] ?? ProcessMappings.executablePath(of: pid)
        if let executable, case .failure(let error) = ELFObject.load(path: executable) {
            return "process \(pid) cannot be traced: \(executable): \(error)"
        }
        return nil
    }
}
