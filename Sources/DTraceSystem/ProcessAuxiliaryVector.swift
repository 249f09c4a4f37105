// DTraceSystem/ProcessAuxiliaryVector: what the kernel told a process at its exec, read
// from /proc/PID/auxv (pairs of 64-bit words, type then value, ending at AT_NULL): the
// program's entry point, where a -c command stops for evaltime=postinit.

public enum ProcessAuxiliaryVector {
    static let entryType: UInt64 = 9   // AT_ENTRY

    /// The value of the entry of `type`, or nil (no such entry, or /proc unreadable).
    public static func value(_ type: UInt64, of processID: Int32) -> UInt64? {
        guard let bytes = SystemFiles.readPrefix("/proc/\(processID)/auxv", count: 4096) else { return nil }
        func word(_ offset: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        var offset = 0
        while offset + 16 <= bytes.count {
            let entryType = word(offset)
            if entryType == 0 { return nil }
            if entryType == type { return word(offset + 8) }
            offset += 16
        }
        return nil
    }

    /// AT_ENTRY: the address the program starts at once its dynamic linker is done.
    public static func entryPoint(of processID: Int32) -> UInt64? { value(entryType, of: processID) }
}
