// DTraceSystem/RingBuffer: the consumer side of a BPF ring buffer map — the consumer
// page mapped read-write, the producer page and data mapped read-only (the data twice,
// so a record that wraps reads contiguously) — and poll(2) to sleep until data arrives.

import CLinux
import Glibc

public final class RingBufferReader {
    let map: BPFMap
    let pageSize: Int
    let dataSize: Int
    let consumerPage: UnsafeMutableRawPointer
    let producerArea: UnsafeMutableRawPointer

    public init(map: BPFMap) throws(SystemError) {
        self.map = map
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        dataSize = map.capacity
        guard let consumer = mmap(nil, pageSize, PROT_READ | PROT_WRITE, MAP_SHARED, map.descriptor, 0), consumer != MAP_FAILED else {
            throw SystemError("mmap(ring buffer consumer page)")
        }
        guard let producer = mmap(nil, pageSize + 2 * dataSize, PROT_READ, MAP_SHARED, map.descriptor, off_t(pageSize)), producer != MAP_FAILED else {
            munmap(consumer, pageSize)
            throw SystemError("mmap(ring buffer data)")
        }
        consumerPage = consumer
        producerArea = producer
    }

    deinit {
        munmap(consumerPage, pageSize)
        munmap(producerArea, pageSize + 2 * dataSize)
    }

    /// Sleeps until a record may be available, `alsoWakingOn` (when >= 0) is readable,
    /// or the timeout (ms) passes.
    public func wait(milliseconds: Int32, alsoWakingOn others: [Int32] = []) {
        if hasData { return }
        var descriptors = [pollfd(fd: map.descriptor, events: Int16(POLLIN), revents: 0)]
        for other in others where other >= 0 { descriptors.append(pollfd(fd: other, events: Int16(POLLIN), revents: 0)) }
        _ = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
    }

    public var hasData: Bool {
        clinux_load_acquire_u64(consumerPage) < clinux_load_acquire_u64(producerArea)
    }

    /// Whether a committed record not yet drained satisfies `predicate` (none is released).
    public func contains(where predicate: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        var position = clinux_load_acquire_u64(consumerPage)
        let data = producerArea + pageSize
        while true {
            let produced = clinux_load_acquire_u64(producerArea)
            if position >= produced { return false }
            let header = data + Int(position & UInt64(dataSize - 1))
            let length = clinux_load_acquire_u32(header)
            if length & (1 << 31) != 0 { return false } // still being written
            let size = Int(length & ~(UInt32(3) << 30))
            if length & (1 << 30) == 0, predicate(UnsafeRawBufferPointer(start: header + 8, count: size)) { return true }
            position += UInt64((size + 8 + 7) & ~7)
        }
    }

    /// Hands every committed record to `body`, in order, and releases them; a record
    /// `holdsBack` refuses stays, with every record after it, for a later drain.
    @discardableResult
    public func drain(holdingBack holdsBack: (UnsafeRawBufferPointer) -> Bool = { _ in false }, _ body: (UnsafeRawBufferPointer) -> Void) -> Int {
        var consumed = clinux_load_acquire_u64(consumerPage)
        let data = producerArea + pageSize
        var records = 0
        while true {
            let produced = clinux_load_acquire_u64(producerArea)
            if consumed >= produced { break }
            let header = data + Int(consumed & UInt64(dataSize - 1))
            let length = clinux_load_acquire_u32(header)
            if length & (1 << 31) != 0 { break } // still being written
            let size = Int(length & ~(UInt32(3) << 30))
            if length & (1 << 30) == 0 {
                if holdsBack(UnsafeRawBufferPointer(start: header + 8, count: size)) { break }
                body(UnsafeRawBufferPointer(start: header + 8, count: size))
                records += 1
            }
            consumed += UInt64((size + 8 + 7) & ~7)
            clinux_store_release_u64(consumerPage, consumed)
        }
        return records
    }
}
