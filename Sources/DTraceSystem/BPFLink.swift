// DTraceSystem/BPFLink: a BPF link (a raw tracepoint, or uprobes on one file through a
// uprobe_multi link), closed when released; waiting until no program runs from a closed one.

import CLinux
import Glibc

/// A program attached to a raw tracepoint (such as raw_syscalls' sys_enter); closing
/// the link detaches it.
public final class BPFLink {
    public private(set) var descriptor: Int32
    private init(descriptor: Int32) { self.descriptor = descriptor }
    /// A link some other call created (a perf-event link).
    init(adopting descriptor: Int32) { self.descriptor = descriptor }
    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Gives up the link's descriptor (nobody closes it here any more), for a caller that
    /// closes it elsewhere (ConcurrentClose).
    public func relinquishDescriptor() -> Int32 {
        defer { descriptor = -1 }
        return descriptor
    }

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

    /// A typed raw tracepoint program (tp_btf) attached to the tracepoint it was loaded for.
    public static func typedRawTracepoint(_ name: String, program: BPFProgram) throws(SystemError) -> BPFLink {
        let fd = clinux_bpf_raw_tracepoint_open(nil, program.descriptor)
        guard fd >= 0 else { throw SystemError("bpf(BPF_RAW_TRACEPOINT_OPEN) of typed \(name)") }
        return BPFLink(descriptor: fd)
    }

    /// Uprobes at `offsets` of the file at `path` (file offsets, as the kernel takes them),
    /// all running `program` (a kprobe program loaded for `.uprobeMulti`); each fires with
    /// its `cookies` entry (bpf_get_attach_cookie). `referenceCounterOffsets` (file offsets
    /// of USDT semaphores, or 0 each) are raised while the link holds; `processID` limits
    /// the probes to one process (0: every process that maps the file); `returns` places
    /// return probes.
    public static func uprobes(path: String, offsets: [UInt64], cookies: [UInt64], referenceCounterOffsets: [UInt64]? = nil,
                               processID: Int32, returns: Bool, program: BPFProgram) throws(SystemError) -> BPFLink {
        precondition(offsets.count == cookies.count && (referenceCounterOffsets?.count ?? offsets.count) == offsets.count)
        let references = referenceCounterOffsets.flatMap { $0.contains { $0 != 0 } ? $0 : nil }
        let fd = offsets.withUnsafeBufferPointer { offsetsBuffer in
            cookies.withUnsafeBufferPointer { cookiesBuffer in
                (references ?? []).withUnsafeBufferPointer { referencesBuffer in
                    clinux_bpf_link_create_uprobe_multi(program.descriptor, path, offsetsBuffer.baseAddress, references == nil ? nil : referencesBuffer.baseAddress,
                                                        cookiesBuffer.baseAddress, UInt32(offsets.count), returns ? 1 : 0, UInt32(bitPattern: processID))
                }
            }
        }
        guard fd >= 0 else { throw SystemError("bpf(BPF_LINK_CREATE, uprobe_multi on \(path))") }
        return BPFLink(descriptor: fd)
    }
}
