// DTraceELF/ProcessMappings: a process's address space as /proc/PID/maps lists it — each
// mapping's range, permissions, file offset, device, inode and path — and the objects in
// it that probes can be placed in: each distinct file with an executable mapping, with
// its load bias (mapped address minus linked address), its ELF headers, and whether it
// is the process's executable (/proc/PID/exe, module "a.out"). [vdso], [heap], [stack]
// and anonymous memory are not files; deleted files and files that are not x86-64 ELF
// objects are listed as ignored, with the reason.

import DTraceSystem

/// One line of /proc/PID/maps.
public struct MemoryMapping: Equatable, Hashable, Sendable {
    public var start: UInt64
    public var end: UInt64
    /// As written: "r-xp", "rw-s"...
    public var permissions: String
    public var fileOffset: UInt64
    /// "major:minor" in hexadecimal, as written.
    public var device: String
    public var inode: UInt64
    /// The path without " (deleted)", a pseudo-name ("[heap]", "[vdso]"), or "" for
    /// anonymous memory.
    public var pathname: String
    /// The file was deleted (or replaced) after it was mapped.
    public var isDeleted: Bool

    public var isReadable: Bool { permissions.hasPrefix("r") }
    public var isWritable: Bool { permissions.dropFirst().hasPrefix("w") }
    public var isExecutable: Bool { permissions.dropFirst(2).hasPrefix("x") }
    public var isShared: Bool { permissions.dropFirst(3).hasPrefix("s") }

    /// Backed by a file (not anonymous, not a pseudo-name).
    public var isFile: Bool { inode != 0 && pathname.hasPrefix("/") }

    /// What identifies the file: "device:inode".
    public var fileKey: String { "\(device):\(inode)" }

    public init(start: UInt64, end: UInt64, permissions: String, fileOffset: UInt64, device: String, inode: UInt64,
                pathname: String, isDeleted: Bool = false) {
        self.start = start
        self.end = end
        self.permissions = permissions
        self.fileOffset = fileOffset
        self.device = device
        self.inode = inode
        self.pathname = pathname
        self.isDeleted = isDeleted
    }
}

/// A file mapped executable in a process.
public struct MappedObject: Sendable {
    /// The path as the process maps it (in its own mount namespace).
    public var path: String
    public var fileKey: String
    /// The process's main program.
    public var isExecutable: Bool
    /// "a.out" for the executable, else the file's base name.
    public var moduleName: String
    /// The lowest address any mapping of the file starts at.
    public var base: UInt64
    /// Add to an address as linked to get the address in the process (0 for a
    /// fixed-address executable).
    public var loadBias: UInt64
    /// Every mapping of the file, by address.
    public var mappings: [MemoryMapping]
    /// Its headers (opened through /proc/PID/root, so a container's own file).
    public var object: ELFObject
}

/// A mapped file left out of `ProcessMappings.mappedObjects`, and why.
public struct IgnoredMapping: Equatable, Sendable {
    public var path: String
    public var reason: String
}

public struct ProcessObjects: Sendable {
    public var objects: [MappedObject]
    public var ignored: [IgnoredMapping]
}

public enum ProcessMappings {
    /// Every mapping listed in /proc/PID/maps text (lines that do not parse are skipped).
    public static func parse(_ text: String) -> [MemoryMapping] {
        var result: [MemoryMapping] = []
        for line in text.split(separator: "\n") {
            // start-end perms offset dev inode [path] (the path may hold spaces)
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5 else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16), end > start,
                  let offset = UInt64(fields[2], radix: 16), let inode = UInt64(fields[4]) else { continue }
            var pathname = fields.count == 6 ? String(fields[5].drop { $0 == " " }) : ""
            var deleted = false
            if pathname.hasSuffix(" (deleted)") {
                pathname = String(pathname.dropLast(" (deleted)".count))
                deleted = true
            }
            result.append(MemoryMapping(start: start, end: end, permissions: String(fields[1]), fileOffset: offset,
                                        device: String(fields[3]), inode: inode, pathname: pathname, isDeleted: deleted))
        }
        return result
    }

    /// The mappings of process `pid` now, or why /proc/PID/maps cannot be read (the
    /// process is gone, or may not be inspected).
    public static func read(pid: Int32, procRoot: String = "/proc") -> Result<[MemoryMapping], SystemError> {
        do throws(SystemError) {
            return .success(parse(try SystemFiles.readTextFile("\(procRoot)/\(pid)/maps", limit: 64 << 20)))
        } catch {
            return .failure(error)
        }
    }

    /// The path of process `pid`'s executable (/proc/PID/exe), without " (deleted)".
    public static func executablePath(pid: Int32, procRoot: String = "/proc") -> String? {
        guard var target = SystemFiles.symbolicLinkTarget("\(procRoot)/\(pid)/exe") else { return nil }
        if target.hasSuffix(" (deleted)") { target = String(target.dropLast(" (deleted)".count)) }
        return target
    }

    /// The objects of process `pid` that probes can be placed in, by address, and the
    /// mapped files left out; or why its mappings cannot be read.
    public static func mappedObjects(pid: Int32, procRoot: String = "/proc") -> Result<ProcessObjects, SystemError> {
        read(pid: pid, procRoot: procRoot).map { mappings in
            mappedObjects(in: mappings, executablePath: executablePath(pid: pid, procRoot: procRoot)) { path in
                // The process's own view of the file first (a container's root), then ours.
                let inProcessRoot = ELFObject.load(path: "\(procRoot)/\(pid)/root\(path)")
                if case .success = inProcessRoot { return inProcessRoot }
                return ELFObject.load(path: path)
            }
        }
    }

    /// One file's mappings (by address) split into the copies of it that are mapped: a
    /// copy begins with the mapping of file offset 0.
    static func instances(of mappings: [MemoryMapping]) -> [[MemoryMapping]] {
        var copies: [[MemoryMapping]] = []
        for mapping in mappings {
            if copies.isEmpty || (mapping.fileOffset == 0 && copies[copies.count - 1].contains { $0.fileOffset == 0 }) {
                copies.append([mapping])
            } else {
                copies[copies.count - 1].append(mapping)
            }
        }
        return copies
    }

    /// The objects among `mappings` (see `mappedObjects(pid:)`), each file opened by `open`.
    public static func mappedObjects(in mappings: [MemoryMapping], executablePath: String?,
                               open: (String) -> Result<ELFObject, ELFLoadError>) -> ProcessObjects {
        var byFile: [String: [MemoryMapping]] = [:]
        var order: [String] = []
        for mapping in mappings where mapping.isFile {
            if byFile[mapping.fileKey] == nil { order.append(mapping.fileKey) }
            byFile[mapping.fileKey, default: []].append(mapping)
        }
        var result = ProcessObjects(objects: [], ignored: [])
        var opened: [String: Result<ELFObject, ELFLoadError>] = [:]
        for key in order {
            // A file mapped twice (dlmopen) is two objects: each begins at file offset 0.
            for fileMappings in instances(of: byFile[key]!.sorted(by: { $0.start < $1.start })) {
                guard let first = fileMappings.first, let executableMapping = fileMappings.first(where: \.isExecutable) else { continue }
                let path = first.pathname
                if fileMappings.contains(where: \.isDeleted) {
                    result.ignored.append(IgnoredMapping(path: path, reason: "deleted since it was mapped"))
                    continue
                }
                let object: ELFObject
                if opened[key] == nil { opened[key] = open(path) }
                switch opened[key]! {
                case .failure(let error):
                    result.ignored.append(IgnoredMapping(path: path, reason: error.description))
                    continue
                case .success(let file): object = file
                }
                guard let bias = object.loadBias(mappingStart: executableMapping.start, fileOffset: executableMapping.fileOffset) else {
                    result.ignored.append(IgnoredMapping(path: path, reason: "no loadable segment holds file offset 0x\(String(executableMapping.fileOffset, radix: 16))"))
                    continue
                }
                let isExecutable = path == executablePath
                result.objects.append(MappedObject(path: path, fileKey: key, isExecutable: isExecutable,
                                                   moduleName: ELFModuleName.name(path: path, isExecutable: isExecutable),
                                                   base: first.start, loadBias: bias, mappings: fileMappings, object: object))
            }
        }
        result.objects.sort { $0.base < $1.base }
        return result
    }
}
