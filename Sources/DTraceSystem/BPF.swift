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
    case hash = 1, array = 2, perCPUHash = 5, perCPUArray = 6, stackTrace = 7, lruHash = 9, ringBuffer = 27
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

    /// Loads a program; on failure the verifier's log comes with the error. A program
    /// with callback subprograms (ld_imm64 of BPF_PSEUDO_FUNC) is loaded with the BTF
    /// function information the kernel requires for them.
    public init(type: BPFProgramType, instructions: [UInt8], name: String, verboseLog: Bool = false) throws(LoadError) {
        let count = UInt32(instructions.count / 8)
        let starts = CallbackFunctionTypes.subprogramStarts(instructions)
        var functionInfo: [UInt32] = []
        var btf: Int32 = -1
        if !starts.isEmpty {
            do { btf = try CallbackFunctionTypes.shared() } catch { throw LoadError(error: error, log: "") }
            functionInfo = [0, CallbackFunctionTypes.mainType] + starts.flatMap { [UInt32($0), CallbackFunctionTypes.callbackType] }
        }
        func load(_ log: UnsafeMutablePointer<CChar>?, _ size: UInt32, _ level: UInt32) -> Int32 {
            instructions.withUnsafeBytes { bytes in
                btf < 0 ? clinux_bpf_prog_load(type.rawValue, bytes.baseAddress, count, name, log, size, level)
                    : functionInfo.withUnsafeBytes { clinux_bpf_prog_load_btf(type.rawValue, bytes.baseAddress, count, name, log, size, level, btf, $0.baseAddress, UInt32(functionInfo.count / 2)) }
            }
        }
        var fd = load(nil, 0, 0)
        // Only a verifier rejection (EACCES, EINVAL) has a log worth a second load.
        let firstError = errno
        if verboseLog || (fd < 0 && (firstError == EACCES || firstError == EINVAL)) {
            var log = [CChar](repeating: 0, count: 1 << 24)
            let level: UInt32 = verboseLog ? 2 : 1
            if fd >= 0 { close(fd) }
            fd = log.withUnsafeMutableBufferPointer { load($0.baseAddress, UInt32($0.count), level) }
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

/// A program attached to a raw tracepoint (such as raw_syscalls' sys_enter); closing
/// the link detaches it.
public final class BPFLink {
    public let descriptor: Int32
    private init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }

    /// Waits out an RCU grace period (membarrier(2)). A tracepoint whose last probe went
    /// away less than a grace period ago makes the next attach wait for it; detaching
    /// with this keeps that wait in the run that detached (after its output), instead of
    /// handing it to the next tracer's start.
    public static func waitForDetachment() { _ = clinux_membarrier_global() }

    public static func rawTracepoint(_ name: String, program: BPFProgram) throws(SystemError) -> BPFLink {
        let fd = clinux_bpf_raw_tracepoint_open(name, program.descriptor)
        guard fd >= 0 else { throw SystemError("bpf(BPF_RAW_TRACEPOINT_OPEN, \(name))") }
        return BPFLink(descriptor: fd)
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

/// The BTF a program with callback subprograms must be loaded with: `int main(void *ctx)`
/// and `int callback(int i, void *ctx)` as FUNC types (ids 5 and 6), loaded once per
/// process and shared by every program.
enum CallbackFunctionTypes {
    static let mainType: UInt32 = 5
    static let callbackType: UInt32 = 6
    nonisolated(unsafe) static var descriptor: Int32 = -1

    /// Instruction indexes that ld_imm64 BPF_PSEUDO_FUNC instructions point at, sorted.
    static func subprogramStarts(_ instructions: [UInt8]) -> [Int] {
        let code = ByteReader(instructions, .littleEndian)
        var starts = Set<Int>()
        var index = 0
        while let opcode = code.uint8(at: index * 8), let registers = code.uint8(at: index * 8 + 1), let immediate = code.int32(at: index * 8 + 4) {
            if opcode == 0x18 && registers >> 4 == 4 { starts.insert(index + Int(immediate) + 1) }
            index += opcode == 0x18 ? 2 : 1
        }
        return starts.sorted()
    }

    static func shared() throws(SystemError) -> Int32 {
        if descriptor >= 0 { return descriptor }
        let blob = self.blob
        let fd = blob.withUnsafeBytes { clinux_bpf_btf_load($0.baseAddress, UInt32($0.count), nil, 0) }
        guard fd >= 0 else { throw SystemError("bpf(BPF_BTF_LOAD) of the callback function types") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        descriptor = fd
        return fd
    }

    static var blob: [UInt8] {
        let strings = Array("\0int\0i\0ctx\0main\0callback\0".utf8)   // offsets 0, 1, 5, 7, 11, 16
        func kind(_ kind: UInt32, _ count: UInt32 = 0) -> UInt32 { kind << 24 | count }
        let types: [UInt32] = [
            1, kind(1), 4, 0x0100_0020,                 // 1: int, signed, 32 bits
            0, kind(2), 0,                              // 2: void *
            0, kind(13, 2), 1, 5, 1, 7, 2,              // 3: int (int i, void *ctx)
            0, kind(13, 1), 1, 7, 2,                    // 4: int (void *ctx)
            11, kind(12), 4,                            // 5: main
            16, kind(12), 3,                            // 6: callback
        ]
        var bytes: [UInt8] = []
        func append32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
        bytes += [0x9f, 0xeb, 1, 0]
        append32(24)                                    // header length
        append32(0)                                     // type section offset
        append32(UInt32(types.count * 4))
        append32(UInt32(types.count * 4))               // string section offset
        append32(UInt32(strings.count))
        for value in types { append32(value) }
        bytes += strings
        return bytes
    }
}
