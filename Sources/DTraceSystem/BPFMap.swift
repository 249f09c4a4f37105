// DTraceSystem/BPFMap: a BPF map: created with its type and sizes, looked up, updated,
// deleted from and iterated by key through bpf(2); its descriptor closes with it.

import CLinux
import Glibc

public final class BPFMap {
    public let descriptor: Int32
    public let type: BPFMapType
    public let keySize: Int
    public let valueSize: Int
    public let capacity: Int

    public static let readOnlyForPrograms: UInt32 = 1 << 7  // BPF_F_RDONLY_PROG
    public static let noPreallocation: UInt32 = 1 << 0      // BPF_F_NO_PREALLOC
    public static let mappable: UInt32 = 1 << 10            // BPF_F_MMAPABLE

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
        _ = deleteIfPresent(key)
    }

    /// Deletes the key's entry: false when there was none.
    @discardableResult
    public func deleteIfPresent(_ key: [UInt8]) -> Bool {
        key.withUnsafeBytes { clinux_bpf_map_delete(descriptor, $0.baseAddress) } == 0
    }

    /// Every entry of a hash map, read a few hundred at a time (BPF_MAP_LOOKUP_BATCH; key
    /// by key where the kernel has no batches): one system call per batch, not two per key.
    public func entries(limit: Int = 1 << 22) -> [(key: [UInt8], value: [UInt8])] {
        var result: [(key: [UInt8], value: [UInt8])] = []
        let valueStride = max(lookupSize, 1)
        var batchSize = 256
        var position: UInt32 = 0
        var started = false
        while result.count < limit {
            var keyBuffer = [UInt8](repeating: 0, count: keySize * batchSize)
            var valueBuffer = [UInt8](repeating: 0, count: valueStride * batchSize)
            var count = UInt32(batchSize)
            var next: UInt32 = 0
            let status = keyBuffer.withUnsafeMutableBytes { k in
                valueBuffer.withUnsafeMutableBytes { v in
                    started ? clinux_bpf_map_lookup_batch(descriptor, &position, &next, k.baseAddress, v.baseAddress, &count)
                            : clinux_bpf_map_lookup_batch(descriptor, nil, &next, k.baseAddress, v.baseAddress, &count)
                }
            }
            let error = status == 0 ? 0 : errno
            if status != 0 && error != ENOENT {
                // A bucket with more entries than the batch holds: a larger batch.
                if error == ENOSPC && batchSize < 1 << 16 { batchSize *= 4; continue }
                // No batches here, or a batch failed (EBUSY, ENOMEM): every entry key by key.
                return keys(limit: limit).compactMap { key in lookup(key).map { (key, $0) } }
            }
            for index in 0..<Int(count) {
                result.append((Array(keyBuffer[(index * keySize)..<((index + 1) * keySize)]), Array(valueBuffer[(index * valueStride)..<((index + 1) * valueStride)])))
            }
            if status != 0 { break }   // ENOENT: that was the last batch
            position = next
            started = true
        }
        return result
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
