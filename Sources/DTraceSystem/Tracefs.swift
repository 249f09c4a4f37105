// DTraceSystem/Tracefs: the kernel's tracing filesystem — where it is (mounting it when
// it is not, or on request, and unmounting it), the tracepoints it lists, each event's
// id and its record format, and the kernel functions it can instrument
// (available_filter_functions).

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

    /// Directory names under a path (no "." or ".."), sorted.
    public static func listDirectory(_ path: String) -> [String] { SystemFiles.directoryEntries(path) }

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

    /// A kernel function tracefs lists in available_filter_functions (those ftrace, and
    /// kprobes through it, can instrument): its name, and the loadable module it is in
    /// (nil: the core kernel).
    public struct KernelFunction: Hashable, Sendable {
        public var name: String
        public var module: String?
        public init(name: String, module: String? = nil) { self.name = name; self.module = module }
    }

    /// The kernel functions tracefs lists, in its order, or the error that says why the
    /// list cannot be read.
    public static func kernelFunctions(root: String) throws(SystemError) -> [KernelFunction] {
        parseKernelFunctions(try SystemFiles.readTextFile(root + "/available_filter_functions", limit: 256 << 20))
    }

    /// Lines of available_filter_functions: "name" (the core kernel) or "name [module]";
    /// blank and garbled lines are left out.
    public static func parseKernelFunctions(_ text: String) -> [KernelFunction] {
        var text = text
        return text.withUTF8 { bytes in
            var functions: [KernelFunction] = []
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0a { lineEnd += 1 }
                if let function = kernelFunction(UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])) { functions.append(function) }
                lineStart = lineEnd + 1
            }
            return functions
        }
    }

    /// One line of available_filter_functions: a name, then optionally "[module]".
    static func kernelFunction(_ line: UnsafeBufferPointer<UInt8>) -> KernelFunction? {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var index = 0
        while index < line.count && isBlank(line[index]) { index += 1 }
        let nameStart = index
        while index < line.count && !isBlank(line[index]) { index += 1 }
        guard index > nameStart else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: line[nameStart..<index]), as: UTF8.self)
        while index < line.count && isBlank(line[index]) { index += 1 }
        if index == line.count { return KernelFunction(name: name) }
        var end = line.count
        while end > index && isBlank(line[end - 1]) { end -= 1 }
        // "[module]": brackets round a name without blanks.
        guard end - index > 2, line[index] == 0x5b, line[end - 1] == 0x5d,
              !line[(index + 1)..<(end - 1)].contains(where: isBlank) else { return nil }
        return KernelFunction(name: name, module: String(decoding: UnsafeBufferPointer(rebasing: line[(index + 1)..<(end - 1)]), as: UTF8.self))
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
