// DTraceSystem/BPFLink: a BPF link (a raw tracepoint attachment), closed when released;
// waiting until no program runs from a closed one.

import CLinux
import Glibc

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
