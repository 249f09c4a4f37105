// DTraceSystem/Tracefs: the kernel's tracing filesystem — where it is (mounting it when
// it is not, or on request, and unmounting it), the tracepoints it lists, each event's
// id and its record format.

import DTraceText
import Glibc

public enum Tracefs {
    public static let candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    /// The tracefs root, mounting it at /sys/kernel/tracing when nothing is mounted.
    public static func root() throws(SystemError) -> String {
        for path in candidates where access(path + "/events", F_OK) == 0 { return path }
        if Glibc.mount("nodev", candidates[0], "tracefs", 0, nil) == 0, access(candidates[0] + "/events", F_OK) == 0 { return candidates[0] }
        throw SystemError("mount tracefs on /sys/kernel/tracing")
    }

    /// Mounts a tracefs on `path` (mount(2), source "nodev", no flags).
    public static func mount(on path: String) throws(SystemError) {
        guard Glibc.mount("nodev", path, "tracefs", 0, nil) == 0 else { throw SystemError("mount(tracefs, \(path))") }
    }

    /// Unmounts what is mounted on `path` (umount(2)); false when that fails.
    @discardableResult
    public static func unmount(_ path: String) -> Bool { umount(path) == 0 }

    /// Directory names under a path (no "." or "..").
    public static func listDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// (group, event) pairs of every tracepoint.
    public static func events(root: String) -> [(group: String, event: String)] {
        var result: [(String, String)] = []
        for group in listDirectory(root + "/events") where access("\(root)/events/\(group)/enable", F_OK) == 0 {
            for event in listDirectory("\(root)/events/\(group)") where access("\(root)/events/\(group)/\(event)/id", F_OK) == 0 {
                result.append((group, event))
            }
        }
        return result
    }

    public static func eventID(root: String, group: String, event: String) -> UInt64? {
        SystemFiles.readSmallTextFile("\(root)/events/\(group)/\(event)/id", limit: 64)
            .flatMap { UInt64($0.filter { $0.isNumber }) }
    }

    /// One field of a tracepoint record.
    public struct Field: Equatable, Sendable {
        public var declaration: String   // e.g. "char prev_comm[16]"
        public var name: String
        public var typeName: String      // the declaration without the name, e.g. "char[16]"
        public var offset: Int
        public var size: Int
        public var signed: Bool
        public var isCommon: Bool
    }

    /// The fields of an event's format file; nil when unreadable or garbled.
    public static func format(root: String, group: String, event: String) -> [Field]? {
        guard let text = SystemFiles.readSmallTextFile("\(root)/events/\(group)/\(event)/format", limit: 1 << 16) else { return nil }
        return parseFormat(text)
    }

    public static func parseFormat(_ text: String) -> [Field]? {
        var fields: [Field] = []
        for line in text.split(separator: "\n") where line.contains("field:") {
            var values: [String: String] = [:]
            for part in line.split(separator: ";") {
                let item = part.trimming(anyOf: " \t")
                guard let colon = item.firstIndex(of: ":") else { continue }
                values[String(item[..<colon])] = String(item[item.index(after: colon)...])
            }
            guard let declaration = values["field"], let offset = values["offset"].flatMap({ Int($0) }),
                  let size = values["size"].flatMap({ Int($0) }) else { return nil }
            var name = declaration
            let typeName: String
            var arraySuffix = ""
            // "__data_loc char[] filename": the brackets belong to the type, not the name.
            if let close = declaration.lastIndex(of: "]"), !declaration[declaration.index(after: close)...].trimming(anyOf: " \t").isEmpty {
                let fieldName = declaration[declaration.index(after: close)...].trimming(anyOf: " \t")
                fields.append(Field(declaration: declaration, name: fieldName, typeName: String(declaration[...close]).trimming(anyOf: " \t"),
                                    offset: offset, size: size, signed: values["signed"] == "1", isCommon: fieldName.hasPrefix("common_")))
                continue
            }
            if let bracket = name.firstIndex(of: "[") { arraySuffix = String(name[bracket...]); name = String(name[..<bracket]) }
            let words = name.split(whereSeparator: { $0 == " " || $0 == "*" })
            guard let last = words.last else { return nil }
            name = String(last)
            let beforeArray = arraySuffix.isEmpty ? declaration : String(declaration.dropLast(arraySuffix.count))
            typeName = String(beforeArray.dropLast(last.count)).trimming(anyOf: " \t") + arraySuffix
            fields.append(Field(declaration: declaration, name: name, typeName: typeName, offset: offset, size: size,
                                signed: values["signed"] == "1", isCommon: name.hasPrefix("common_")))
        }
        return fields
    }
}
