// DTracePtrace/ScratchPage: the page of code the tracer maps in a tracee for out-of-line
// steps — where to put it (`ScratchPlacement`: the free gap of the address space nearest
// the code, so RIP-relative instructions copied there still reach their targets within
// ±2 GB, never just above the heap nor just below the stack, which grow into their gaps),
// mapping it (mmap made by the tracee through `injectSystemCall`, PROT_READ|PROT_EXEC,
// MAP_PRIVATE|MAP_ANONYMOUS, at the chosen address with MAP_FIXED_NOREPLACE) and
// unmapping it. Its bytes are written through /proc/PID/mem.

import DTraceELF
import DTraceSystem

/// A page (or a few) of code in the tracee, readable and executable, not writable.
public struct ScratchPage: Equatable, Sendable {
    public let address: UInt64
    public let size: Int

    public func contains(_ candidate: UInt64) -> Bool { candidate >= address && candidate < address &+ UInt64(size) }
}

/// Where a scratch mapping may go in an address space.
public enum ScratchPlacement {
    /// Lowest address a mapping may start at (the kernel's usual vm.mmap_min_addr).
    static let lowestAddress: UInt64 = 0x10000
    /// The top of the user half of the address space.
    static let highestAddress: UInt64 = 0x7FFF_FFFF_F000
    /// A RIP-relative displacement reaches ±2 GB.
    public static let reach: UInt64 = 0x7FFF_0000
    /// Left free above the heap and below the stack.
    static let heapRoom: UInt64 = 1 << 30
    static let stackRoom: UInt64 = 256 << 20

    /// The page-aligned address of `size` free bytes nearest `near` among `mappings` (any
    /// order), within `reach` of it; nil when there is none.
    public static func address(near: UInt64, size: Int, mappings: [MemoryMapping], pageSize: UInt64 = 4096) -> UInt64? {
        let length = (UInt64(size) + pageSize - 1) / pageSize * pageSize
        let sorted = mappings.sorted { $0.start < $1.start }
        var best: UInt64?
        var bestDistance = UInt64.max
        var previousEnd = lowestAddress
        var previous: MemoryMapping?
        for index in 0...sorted.count {
            let next = index < sorted.count ? sorted[index] : nil
            let gapStart = max(previousEnd, lowestAddress)
            let gapEnd = min(next?.start ?? highestAddress, highestAddress)
            defer {
                if let next { previousEnd = max(previousEnd, next.end); previous = next }
            }
            guard gapEnd > gapStart else { continue }
            // A guard page on each side; room for the heap to grow up into the gap above it
            // and the stack down into the one below it.
            var low = gapStart + pageSize
            var high = gapEnd > length + pageSize ? gapEnd - pageSize - length : 0
            if previous?.pathname == "[heap]" { low = gapStart + min((gapEnd - gapStart) / 2, heapRoom) }
            if next?.pathname.hasPrefix("[stack") == true { high = gapEnd > stackRoom + length ? gapEnd - stackRoom - length : 0 }
            low = (low + pageSize - 1) / pageSize * pageSize
            guard high >= low else { continue }
            let aligned = near / pageSize * pageSize
            let candidate = min(max(aligned, low), high)
            let distance = candidate > near ? candidate - near : near - candidate
            if distance < bestDistance { best = candidate; bestDistance = distance }
        }
        guard let best, bestDistance < reach else { return nil }
        return best
    }
}

extension TracedProcess {
    /// x86-64 Linux's numbers for the scratch mapping.
    enum MappingABI {
        static let mmap: UInt64 = 9
        static let munmap: UInt64 = 11
        static let protectionReadExecute: UInt64 = 0x1 | 0x4          // PROT_READ | PROT_EXEC
        static let privateAnonymous: UInt64 = 0x02 | 0x20             // MAP_PRIVATE | MAP_ANONYMOUS
        static let fixedNoReplace: UInt64 = 0x100000                  // MAP_FIXED_NOREPLACE (Linux 4.17)
    }

    /// Maps a scratch page (`size` bytes) near `near` — the code whose instructions will be
    /// stepped there — by making `thread` (or the first stopped thread) call mmap. Returns
    /// the page, also kept as `scratchPage` (an exec takes it away).
    @discardableResult
    public func mapScratchPage(near: UInt64, thread: Int32? = nil, size: Int = 4096) throws(PtraceError) -> ScratchPage {
        if let scratchPage { return scratchPage }
        let caller = try threadForInjection(thread)
        let mappings: [MemoryMapping]
        switch ProcessMappings.read(pid: processID) {
        case .success(let read): mappings = read
        case .failure(let error): throw .system(error)
        }
        let pageSize = UInt64(SystemProcess.pageSize)
        let length = (UInt64(size) + pageSize - 1) / pageSize * pageSize
        var address: Int64 = -Int64(ErrorNumber.exists)
        if let chosen = ScratchPlacement.address(near: near, size: Int(length), mappings: mappings, pageSize: pageSize) {
            address = try injectSystemCall(thread: caller, number: MappingABI.mmap, arguments: [
                chosen, length, MappingABI.protectionReadExecute, MappingABI.privateAnonymous | MappingABI.fixedNoReplace, UInt64.max, 0])
        }
        if address < 0 && address >= -4095 {
            // Taken meanwhile, or no gap in reach: wherever the kernel puts it.
            address = try injectSystemCall(thread: caller, number: MappingABI.mmap, arguments: [
                near / pageSize * pageSize, length, MappingABI.protectionReadExecute, MappingABI.privateAnonymous, UInt64.max, 0])
        }
        if address < 0 && address >= -4095 {
            throw .system(SystemError("mmap in process \(processID)", code: Int32(-address)))
        }
        let page = ScratchPage(address: UInt64(bitPattern: address), size: Int(length))
        scratchPage = page
        scratchImage = [UInt8](repeating: 0, count: page.size)
        if let guardian {
            guardian.scratchPageChanged(in: self)
            // After an exec: the trap handler went with the old image.
            if guardian.wantsTrapHandler(in: self) { try? guardian.placeTrapHandler(in: self) }
        }
        return page
    }

    /// Unmaps the scratch page (munmap made by a stopped thread).
    public func unmapScratchPage(thread: Int32? = nil) throws(PtraceError) {
        guard let page = scratchPage else { return }
        let caller = try threadForInjection(thread)
        let result = try injectSystemCall(thread: caller, number: MappingABI.munmap, arguments: [page.address, UInt64(page.size)])
        scratchPage = nil
        scratchImage = []
        jumpBackCopies = [:]
        guardian?.scratchPageChanged(in: self)
        if result < 0 { throw .system(SystemError("munmap in process \(processID)", code: Int32(-result))) }
    }

    /// `thread`, or the first thread stopped where a system call can be made.
    func threadForInjection(_ thread: Int32?) throws(PtraceError) -> Int32 {
        if let thread { return thread }
        if let candidate = threadAvailableForInjection { return candidate }
        throw .cannotInject(thread: processID, reason: "no thread is stopped where it can make a system call: stop them first")
    }

    /// The first thread stopped where a system call can be made, if any.
    var threadAvailableForInjection: Int32? {
        for candidate in threads {
            guard case .stopped(let stop) = threadRecords[candidate]?.state else { continue }
            switch stop {
            case .breakpoint, .trapped, .signal, .interrupted, .event(.exec): return candidate
            default: continue
            }
        }
        return nil
    }
}
