// DTraceSystem/BPF: the kinds bpf(2) knows (map types, program types) and the small BTF
// that programs with callback subprograms load with. The objects are BPFMap, BPFProgram
// and BPFLink; every failure is a SystemError naming the operation and errno.

import CLinux
import Glibc

public enum BPFMapType: UInt32, Sendable {
    case hash = 1, array = 2, programArray = 3, perCPUHash = 5, perCPUArray = 6, stackTrace = 7, lruHash = 9, ringBuffer = 27
}

public enum BPFProgramType: UInt32, Sendable {
    case kprobe = 2, tracepoint = 5, perfEvent = 7, rawTracepoint = 17
    /// BTF-typed (tp_btf, fentry...): its context's pointers are typed, read directly.
    case tracing = 26
}

/// The attach type a program is loaded for (`expected_attach_type`), where its program
/// type has several.
public enum BPFAttachType: UInt32, Sendable {
    case unspecified = 0
    /// A `.tracing` program on a raw tracepoint (tp_btf).
    case typedRawTracepoint = 23
    /// A kprobe-type program attached to user code through a uprobe_multi link.
    case uprobeMulti = 48
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
