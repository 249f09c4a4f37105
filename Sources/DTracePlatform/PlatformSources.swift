// DTracePlatform/PlatformSources: every place platform detection reads from, made
// injectable — a file-system root for /sys, /proc, /run and /.dockerenv, the CPUID
// instruction plain and through Xen's forced-emulation prefix, and uname's machine.
// The live sources read this machine; a fixture directory stands in for any other
// (`cpuid` and `cpuid-xen-forced` files there hold the leaves, one per line:
// "LEAF SUBLEAF EAX EBX ECX EDX" in hex). A file that is missing or unreadable is nil;
// what it says is the detector's to judge.

import DTraceSystem
import DTraceText

public struct PlatformSources: Sendable {
    /// Prefix for every absolute path read ("" on the live system).
    public var root: String
    public var cpuid: @Sendable (_ leaf: UInt32, _ subleaf: UInt32) -> CPUIDRegisters?
    public var xenForcedCPUID: @Sendable (_ leaf: UInt32, _ subleaf: UInt32) -> CPUIDRegisters?
    public var machine: String

    public init(root: String, cpuid: @escaping @Sendable (UInt32, UInt32) -> CPUIDRegisters?,
                xenForcedCPUID: @escaping @Sendable (UInt32, UInt32) -> CPUIDRegisters?, machine: String) {
        self.root = root; self.cpuid = cpuid; self.xenForcedCPUID = xenForcedCPUID; self.machine = machine
    }

    /// This machine.
    public static var live: PlatformSources {
        PlatformSources(root: "", cpuid: { CPUID.query(leaf: $0, subleaf: $1) },
                        xenForcedCPUID: { CPUID.queryXenForced(leaf: $0, subleaf: $1) },
                        machine: liveMachine())
    }

    /// A recorded machine: a directory laid out like / plus the CPUID tables.
    public static func fixture(_ directory: String, machine: String = "x86_64") -> PlatformSources {
        let plain = CPUIDTable(text: SystemFiles.readSmallTextFile(directory + "/cpuid", limit: 1 << 16))
        let forced = CPUIDTable(text: SystemFiles.readSmallTextFile(directory + "/cpuid-xen-forced", limit: 1 << 16))
        return PlatformSources(root: directory, cpuid: { plain?.lookup($0, $1) }, xenForcedCPUID: { forced?.lookup($0, $1) }, machine: machine)
    }

    /// A small file's text with surrounding white space and NULs removed; nil when it
    /// cannot be read. At most 64 KiB is read.
    public func read(_ path: String) -> String? {
        guard let text = SystemFiles.readSmallTextFile(root + path, limit: 1 << 16) else { return nil }
        return String(text.unicodeScalars.filter { $0 != "\0" }.map(Character.init)).trimming(anyOf: " \t\n\r")
    }

    /// A NUL-separated file (such as /proc/1/environ) as its entries; nil when unreadable.
    public func readEntries(_ path: String) -> [String]? {
        guard let text = SystemFiles.readSmallTextFile(root + path, limit: 1 << 16) else { return nil }
        return text.split(separator: "\0").map(String.init)
    }

    public func exists(_ path: String) -> Bool { SystemFiles.exists(root + path) }

    static func liveMachine() -> String { SystemName.current()?.machine ?? "unknown" }
}

/// CPUID leaves recorded as text; lines that do not parse are ignored.
struct CPUIDTable: Sendable {
    var leaves: [UInt64: CPUIDRegisters] = [:]

    init?(text: String?) {
        guard let text else { return nil }
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map { $0.hasPrefix("0x") ? $0.dropFirst(2) : $0[...] }
            guard words.count == 6, let leaf = UInt32(words[0], radix: 16), let subleaf = UInt32(words[1], radix: 16) else { continue }
            let values = words[2...].compactMap { UInt32($0, radix: 16) }
            guard values.count == 4 else { continue }
            leaves[UInt64(leaf) << 32 | UInt64(subleaf)] = CPUIDRegisters(eax: values[0], ebx: values[1], ecx: values[2], edx: values[3])
        }
    }

    /// An unrecorded leaf reads as zeroes, as an unimplemented one does on real CPUs.
    func lookup(_ leaf: UInt32, _ subleaf: UInt32) -> CPUIDRegisters {
        leaves[UInt64(leaf) << 32 | UInt64(subleaf)] ?? leaves[UInt64(leaf) << 32] ?? CPUIDRegisters(eax: 0, ebx: 0, ecx: 0, edx: 0)
    }
}
