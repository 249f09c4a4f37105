// DTraceSystem/BPF: typed wrappers over bpf(2): maps (create, lookup, update, delete,
// iterate), program load with the verifier's log, and test runs. Every failure is a
// SystemError naming the operation and errno; file descriptors close when the owning
// object goes away.

import CLinux
import Glibc

/// A failed system call: which operation, and errno.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public init(_ operation: String, code: Int32 = errno) { self.operation = operation; self.code = code }
    public var reason: String { String(cString: strerror(code)) }
    public var description: String { "\(operation): \(reason)" }
}

public enum BPFMapType: UInt32, Sendable {
    case hash = 1, array = 2, perCPUHash = 5, perCPUArray = 6, stackTrace = 7, ringBuffer = 27
}

public enum BPFProgramType: UInt32, Sendable {
    case tracepoint = 5, perfEvent = 7, rawTracepoint = 17
}

public final class BPFMap {
    public let descriptor: Int32
    public let type: BPFMapType
    public let keySize: Int
    public let valueSize: Int
    public let capacity: Int

    public static let readOnlyForPrograms: UInt32 = 1 << 7  // BPF_F_RDONLY_PROG
    public static let noPreallocation: UInt32 = 1 << 0      // BPF_F_NO_PREALLOC

    public init(type: BPFMapType, keySize: Int, valueSize: Int, capacity: Int, flags: UInt32 = 0, name: String) throws(SystemError) {
        let fd = clinux_bpf_map_create(type.rawValue, UInt32(keySize), UInt32(valueSize), UInt32(capacity), flags, name)
        guard fd >= 0 else { throw SystemError("bpf(BPF_MAP_CREATE) of map \(name)") }
        self.descriptor = fd; self.type = type; self.keySize = keySize; self.valueSize = valueSize; self.capacity = capacity
    }

    deinit { close(descriptor) }

    public var isPerCPU: Bool { type == .perCPUHash || type == .perCPUArray }

    /// Bytes a lookup returns: per-CPU maps return one 8-byte-aligned value per possible CPU.
    public var lookupSize: Int { isPerCPU ? ((valueSize + 7) & ~7) * SystemCPUs.possible : valueSize }

    public func lookup(_ key: [UInt8]) -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: max(lookupSize, 1))
        let status = key.withUnsafeBytes { k in value.withUnsafeMutableBytes { clinux_bpf_map_lookup(descriptor, k.baseAddress, $0.baseAddress) } }
        return status == 0 ? value : nil
    }

    public func update(_ key: [UInt8], _ value: [UInt8], flags: UInt64 = 0) throws(SystemError) {
        let status = key.withUnsafeBytes { k in value.withUnsafeBytes { clinux_bpf_map_update(descriptor, k.baseAddress, $0.baseAddress, flags) } }
        if status != 0 { throw SystemError("bpf(BPF_MAP_UPDATE_ELEM)") }
    }

    public func delete(_ key: [UInt8]) {
        _ = key.withUnsafeBytes { clinux_bpf_map_delete(descriptor, $0.baseAddress) }
    }

    /// Every key in the map (hash maps), in the kernel's iteration order.
    public func keys(limit: Int = 1 << 22) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var current: [UInt8]? = nil
        var next = [UInt8](repeating: 0, count: keySize)
        while result.count < limit {
            let status: Int32
            if let key = current {
                status = key.withUnsafeBytes { k in next.withUnsafeMutableBytes { clinux_bpf_map_next_key(descriptor, k.baseAddress, $0.baseAddress) } }
            } else {
                status = next.withUnsafeMutableBytes { clinux_bpf_map_next_key(descriptor, nil, $0.baseAddress) }
            }
            if status != 0 { break }
            result.append(next)
            current = next
        }
        return result
    }
}

public final class BPFProgram {
    public let descriptor: Int32

    public struct LoadError: Error {
        public var error: SystemError
        public var log: String
    }

    /// Loads a program; on failure the verifier's log comes with the error.
    public init(type: BPFProgramType, instructions: [UInt8], name: String, verboseLog: Bool = false) throws(LoadError) {
        let count = UInt32(instructions.count / 8)
        var fd = instructions.withUnsafeBytes { clinux_bpf_prog_load(type.rawValue, $0.baseAddress, count, name, nil, 0, 0) }
        // Only a verifier rejection (EACCES, EINVAL) has a log worth a second load.
        let firstError = errno
        if verboseLog || (fd < 0 && (firstError == EACCES || firstError == EINVAL)) {
            var log = [CChar](repeating: 0, count: 1 << 24)
            let level: UInt32 = verboseLog ? 2 : 1
            if fd >= 0 { close(fd) }
            fd = instructions.withUnsafeBytes { bytes in log.withUnsafeMutableBufferPointer { clinux_bpf_prog_load(type.rawValue, bytes.baseAddress, count, name, $0.baseAddress, UInt32($0.count), level) } }
            let code = fd < 0 ? errno : firstError
            let text = String(cString: log)
            if fd < 0 { throw LoadError(error: SystemError("bpf(BPF_PROG_LOAD) of \(name)", code: code == ENOSPC ? firstError : code), log: text) }
            verifierLog = text
        } else if fd < 0 {
            throw LoadError(error: SystemError("bpf(BPF_PROG_LOAD) of \(name)", code: firstError), log: "")
        }
        self.descriptor = fd
    }

    /// The verifier's log of a verbose load (for `-x bpflog`).
    public private(set) var verifierLog = ""

    deinit { close(descriptor) }

    /// Runs a raw-tracepoint program once on the calling CPU with the given arguments.
    public func testRun(arguments: [UInt64]) throws(SystemError) -> UInt32 {
        var result: UInt32 = 0
        let status = arguments.withUnsafeBufferPointer { clinux_bpf_prog_test_run_raw(descriptor, $0.baseAddress, UInt32($0.count), &result) }
        if status != 0 { throw SystemError("bpf(BPF_PROG_TEST_RUN)") }
        return result
    }
}

/// CPUs the kernel knows of (per-CPU map values are sized by the possible count).
public enum SystemCPUs {
    public static let possible: Int = parse("/sys/devices/system/cpu/possible") ?? Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
    public static let online: [Int] = parseList("/sys/devices/system/cpu/online") ?? Array(0..<Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    static func parse(_ path: String) -> Int? { parseList(path).map { ($0.max() ?? 0) + 1 } }

    /// Parses a kernel CPU list such as "0-3,5".
    public static func parseList(_ path: String) -> [Int]? {
        guard let text = SystemFiles.readSmallTextFile(path, limit: 4096) else { return nil }
        var cpus: [Int] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 { cpus.append(bounds[0]) } else if bounds.count == 2, bounds[0] <= bounds[1], bounds[1] < 1 << 16 { cpus += Array(bounds[0]...bounds[1]) } else { return nil }
        }
        return cpus.isEmpty ? nil : cpus
    }
}
