// DTraceSystem/SharedCounters: u64 counters that BPF programs and dtrace both change — a
// one-value BPF array created mappable (BPF_F_MMAPABLE), mapped read-write here: programs
// add to a counter atomically, dtrace subtracts from it atomically.

import CLinux
import Glibc

public final class SharedCounters {
    public let map: BPFMap
    public let count: Int
    let memory: UnsafeMutableRawPointer
    let mappedSize: Int

    public init(count: Int, name: String) throws(SystemError) {
        self.count = max(1, count)
        map = try BPFMap(type: .array, keySize: 4, valueSize: 8 * self.count, capacity: 1, flags: BPFMap.mappable, name: name)
        let pageSize = SystemProcess.pageSize
        mappedSize = (8 * self.count + pageSize - 1) / pageSize * pageSize
        guard let mapped = mmap(nil, mappedSize, PROT_READ | PROT_WRITE, MAP_SHARED, map.descriptor, 0), mapped != MAP_FAILED else {
            throw SystemError("mmap(\(name))")
        }
        memory = mapped
    }

    deinit { munmap(memory, mappedSize) }

    /// Takes `amount` from counter `index` (atomically: programs add to it meanwhile).
    public func subtract(_ amount: UInt64, at index: Int) {
        guard index >= 0, index < count, amount > 0 else { return }
        clinux_atomic_subtract((memory + 8 * index).assumingMemoryBound(to: UInt64.self), amount)
    }
}
