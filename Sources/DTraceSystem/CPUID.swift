// DTraceSystem/CPUID: the processor's identification instruction, plain and through
// Xen's forced-emulation prefix (which only a Xen PV guest survives; elsewhere the
// prefix raises SIGILL, caught in the shim). Platform detection reads hypervisor
// signatures through this; tests replace it with a table.

import CLinux

/// The four registers one CPUID leaf returns.
public struct CPUIDRegisters: Equatable, Sendable {
    public var eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32
    public init(eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) { self.eax = eax; self.ebx = ebx; self.ecx = ecx; self.edx = edx }

    /// The 12-byte vendor signature in ebx, ecx, edx (hypervisor leaves 0x40000x00).
    public var signature: String {
        var bytes: [UInt8] = []
        for register in [ebx, ecx, edx] { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: register >> UInt32(shift))) } }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

public enum CPUID {
    /// CPUID leaf/subleaf on this processor; nil where the architecture has none.
    public static func query(leaf: UInt32, subleaf: UInt32 = 0) -> CPUIDRegisters? {
        var registers: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        let status = withUnsafeMutableBytes(of: &registers) { clinux_cpuid(leaf, subleaf, $0.baseAddress!.assumingMemoryBound(to: UInt32.self)) }
        return status == 0 ? CPUIDRegisters(eax: registers.0, ebx: registers.1, ecx: registers.2, edx: registers.3) : nil
    }

    /// CPUID through Xen's forced-emulation prefix: Xen's leaves inside a Xen PV guest,
    /// nil anywhere else (the prefix raised SIGILL).
    public static func queryXenForced(leaf: UInt32, subleaf: UInt32 = 0) -> CPUIDRegisters? {
        var registers: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        let status = withUnsafeMutableBytes(of: &registers) { clinux_cpuid_xen_forced(leaf, subleaf, $0.baseAddress!.assumingMemoryBound(to: UInt32.self)) }
        return status == 0 ? CPUIDRegisters(eax: registers.0, ebx: registers.1, ecx: registers.2, edx: registers.3) : nil
    }
}
