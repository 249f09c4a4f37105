// DTraceSystem/BPFProgram: a loaded BPF program: bpf(BPF_PROG_LOAD) with the verifier's
// log (and the BTF its callback subprograms need), and test runs (BPF_PROG_TEST_RUN) for
// raw-tracepoint programs.

import CLinux
import Glibc

public final class BPFProgram {
    public let descriptor: Int32

    public struct LoadError: Error {
        public var error: SystemError
        public var log: String
    }

    /// Loads a program; on failure the verifier's log comes with the error. A program
    /// with callback subprograms (ld_imm64 of BPF_PSEUDO_FUNC) is loaded with the BTF
    /// function information the kernel requires for them. A typed program (`.tracing`)
    /// names its target by `attachBTFID`, a type of the kernel's own BTF. Without
    /// `explainsRefusal` a refused load is not repeated for the verifier's log.
    public init(type: BPFProgramType, attachType: BPFAttachType = .unspecified, attachBTFID: UInt32 = 0, instructions: [UInt8], name: String,
                verboseLog: Bool = false, explainsRefusal: Bool = true) throws(LoadError) {
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
                functionInfo.withUnsafeBytes {
                    clinux_bpf_prog_load_btf(type.rawValue, attachType.rawValue, attachBTFID, bytes.baseAddress, count, name, log, size, level, btf,
                                             btf < 0 ? nil : $0.baseAddress, btf < 0 ? 0 : UInt32(functionInfo.count / 2))
                }
            }
        }
        var fd = load(nil, 0, 0)
        // Only a verifier rejection (EACCES, EINVAL) has a log worth a second load.
        let firstError = errno
        if verboseLog || (fd < 0 && explainsRefusal && (firstError == EACCES || firstError == EINVAL)) {
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
    /// Runs the program once on `cpu` (nil: the calling CPU).
    public func testRun(arguments: [UInt64], cpu: Int32? = nil) throws(SystemError) -> UInt32 {
        var result: UInt32 = 0
        let status = arguments.withUnsafeBufferPointer { clinux_bpf_prog_test_run_raw(descriptor, $0.baseAddress, UInt32($0.count), cpu ?? -1, &result) }
        if status != 0 { throw SystemError("bpf(BPF_PROG_TEST_RUN)") }
        return result
    }
}
