// DTraceIR/Machine: the interpreter's memory: scratch, globals, constants, the zero region
// and the maps, every access bounds-checked (a fault, never a trap), strings bounded by
// strsize.

import Glibc

/// The memory of a running program in the user engine.
public final class Machine {
    public let program: IRProgram
    public private(set) var scratch: [UInt8]
    public var globals: [UInt8]
    public let constants: [UInt8]
    public let zeroes: [UInt8]
    public var maps: [MapStorage]
    public let stringSize: Int
    /// Start of the alloca area within scratch and how far it has been used this firing.
    let allocaStart: Int
    var allocaUsed = 0
    /// Scratch from here on is all zeroes (nothing written since it was last zeroed), so
    /// a firing zeroes only what the last one wrote.
    private var scratchCleanFrom = 0
    /// strtok()'s string and position, kept across firings.
    public var tokenizerState: [UInt8] = []
    public var tokenizerPosition = 0

    public static let allocaSize = 8192

    public init(program: IRProgram, dynamicVariableBytes: Int = 1 << 20) {
        self.program = program
        self.stringSize = max(1, program.stringSize)
        self.allocaStart = program.scratchSize
        self.scratch = [UInt8](repeating: 0, count: program.scratchSize + Machine.allocaSize)
        // The globals, then a string's room of zeroes, as the kernel engine lays them out:
        // a cast pointer may read past a declared array into it (Oracle's DTrace reads its
        // map's value there too).
        self.globals = [UInt8](repeating: 0, count: ((program.globalSize + 7) & ~7) + ((max(1, program.stringSize) + 1 + 7) & ~7))
        self.constants = program.constants
        let largestValue = program.maps.map(\.valueSize).max() ?? 0
        self.zeroes = [UInt8](repeating: 0, count: max(largestValue, program.stringSize + 1, 64))
        // As DTrace sizes its dynamic variables, all in one map: the largest key tuple (with
        // its 8-byte variable id) and the largest value, so many entries in all.
        let budget = DynamicVariableBudget(capacity: dynamicVariableBytes / Self.dynamicVariableEntrySize(program))
        self.maps = program.maps.map { descriptor in
            MapStorage(descriptor: descriptor, capacity: budget.capacity, budget: budget)
        }
    }

    /// The bytes DTrace counts for each dynamic variable of `program` against dynvarsize
    /// (Oracle's dvars map): the largest key tuple — an associative array's keys with its
    /// variable id, 8 bytes; a thread-local scalar has none — plus the largest value.
    public static func dynamicVariableEntrySize(_ program: IRProgram) -> Int {
        let tuple = program.maps.filter { $0.kind == .associativeArray }.map { 8 + $0.keySize }.max() ?? 0
        return max(1, tuple + (program.maps.map(\.valueSize).max() ?? 0))
    }

    /// Register files of clauses run before, kept for the next (a firing allocates none).
    private var spareRegisters: [[Int64]] = []

    /// `count` registers, all zero, for a clause to run with.
    func borrowRegisters(count: Int) -> [Int64] {
        guard var registers = spareRegisters.popLast(), registers.count >= count else { return [Int64](repeating: 0, count: count) }
        registers.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return registers
    }

    /// Registers a clause has finished with.
    func giveBack(_ registers: [Int64]) {
        if spareRegisters.count < 4 { spareRegisters.append(registers) }
    }

    /// Prepares a probe firing: all of scratch is zeroed (this-> variables start at zero).
    public func beginFiring() {
        zeroScratch(scratch.indices)
        allocaUsed = 0
    }

    /// Prepares a clause of the firing: scratch is zeroed but for the this-> variables,
    /// which the firing's clauses share.
    public func beginClause() {
        zeroScratch(program.clauseLocalScratch.upperBound..<scratch.count)
        allocaUsed = 0
    }

    /// Zeroes scratch bytes in place with memset (not byte by byte: a firing zeroes
    /// kilobytes, and the ptrace engine starts one at every breakpoint hit).
    func zeroScratch(_ range: Range<Int>) {
        guard range.lowerBound >= 0, range.upperBound <= scratch.count else { return }
        let dirtyEnd = min(range.upperBound, scratchCleanFrom)
        if dirtyEnd > range.lowerBound {
            scratch.withUnsafeMutableBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                _ = memset(base + range.lowerBound, 0, dirtyEnd - range.lowerBound)
            }
        }
        if range.upperBound >= scratchCleanFrom { scratchCleanFrom = min(scratchCleanFrom, range.lowerBound) }
    }

    public var dynamicVariableDrops: Int { maps.reduce(0) { $0 + $1.drops } }

    // MARK: memory access, bounds-checked

    func region(of address: Int64) -> Int64 { address >> 48 }

    func withBytes<R>(at address: Int64, count: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws(Fault) -> R {
        let offset = Int(address & MemoryRegion.offsetMask)
        let region = self.region(of: address)
        func check(_ size: Int) throws(Fault) { if address < 0 || count < 0 || offset + count > size { throw Fault(kind: .badAddress, address: address) } }
        switch region {
        case MemoryRegion.scratch: try check(scratch.count); return scratch.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offset..<offset + count])) }
        case MemoryRegion.global: try check(globals.count); return globals.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offset..<offset + count])) }
        case MemoryRegion.constant: try check(constants.count); return constants.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offset..<offset + count])) }
        case MemoryRegion.zero: try check(zeroes.count); return zeroes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offset..<offset + count])) }
        default:
            let mapIndex = Int(region - MemoryRegion.firstMap)
            guard region >= MemoryRegion.firstMap, mapIndex < maps.count else { throw Fault(kind: .badAddress, address: address) }
            try check(maps[mapIndex].arena.count)
            return maps[mapIndex].arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offset..<offset + count])) }
        }
    }

    public func writeBytes(_ bytes: some Collection<UInt8>, at address: Int64) throws(Fault) {
        let offset = Int(address & MemoryRegion.offsetMask)
        let count = bytes.count
        func check(_ size: Int) throws(Fault) { if address < 0 || offset + count > size { throw Fault(kind: .badAddress, address: address) } }
        switch region(of: address) {
        case MemoryRegion.scratch:
            try check(scratch.count)
            scratch.replaceSubrange(offset..<offset + count, with: bytes)
            scratchCleanFrom = max(scratchCleanFrom, offset + count)
        case MemoryRegion.global: try check(globals.count); globals.replaceSubrange(offset..<offset + count, with: bytes)
        case let region where region >= MemoryRegion.firstMap && Int(region - MemoryRegion.firstMap) < maps.count:
            let index = Int(region - MemoryRegion.firstMap)
            try check(maps[index].arena.count)
            maps[index].arena.replaceSubrange(offset..<offset + count, with: bytes)
        default: throw Fault(kind: .badAddress, address: address)
        }
    }

    public func readBytes(at address: Int64, count: Int) throws(Fault) -> [UInt8] {
        try withBytes(at: address, count: count) { Array($0) }
    }

    func load(_ address: Int64, width: Int) throws(Fault) -> Int64 {
        try withBytes(at: address, count: width) { bytes in
            var value: UInt64 = 0
            for index in stride(from: width - 1, through: 0, by: -1) { value = value << 8 | UInt64(bytes[index]) }
            return Int64(bitPattern: value)
        }
    }

    func store(_ address: Int64, width: Int, value: Int64) throws(Fault) {
        var bytes = [UInt8](repeating: 0, count: width)
        var remaining = UInt64(bitPattern: value)
        for index in 0..<width { bytes[index] = UInt8(truncatingIfNeeded: remaining); remaining >>= 8 }
        try writeBytes(bytes, at: address)
    }

    /// Reads a NUL-terminated string of at most strsize bytes. Reading stops at the end
    /// of the region (a string that fills its buffer needs no terminator).
    public func readString(at address: Int64) throws(Fault) -> [UInt8] {
        if address == 0 { throw Fault(kind: .badAddress, address: 0) }
        let offset = Int(address & MemoryRegion.offsetMask)
        let regionSize: Int
        switch region(of: address) {
        case MemoryRegion.scratch: regionSize = scratch.count
        case MemoryRegion.global: regionSize = globals.count
        case MemoryRegion.constant: regionSize = constants.count
        case MemoryRegion.zero: regionSize = zeroes.count
        case let region where region >= MemoryRegion.firstMap && Int(region - MemoryRegion.firstMap) < maps.count:
            regionSize = maps[Int(region - MemoryRegion.firstMap)].arena.count
        default: throw Fault(kind: .badAddress, address: address)
        }
        guard address > 0, offset <= regionSize else { throw Fault(kind: .badAddress, address: address) }
        let available = min(stringSize, regionSize - offset)
        return try withBytes(at: address, count: available) { bytes in
            if let end = bytes.firstIndex(of: 0) { return Array(bytes[..<end]) }
            return Array(bytes)
        }
    }

    /// Writes a string (truncated to strsize) and its terminator.
    public func writeString(_ bytes: some Collection<UInt8>, at address: Int64) throws(Fault) {
        var value = Array(bytes.prefix(stringSize))
        if let end = value.firstIndex(of: 0) { value.removeSubrange(end...) }
        value.append(0)
        try writeBytes(value, at: address)
    }

    /// An access of `size` bytes at `address` through an alloca() pointer: within what
    /// this clause has allocated (Helper.checkAlloca).
    func checkAllocaAccess(address: Int64, size: Int64) throws(Fault) {
        let start = MemoryRegion.base(MemoryRegion.scratch) + Int64(allocaStart)
        let top = start + Int64(allocaUsed)
        guard address >= start, address < top else { throw Fault(kind: .badAddress, address: address) }
        guard size <= top - address else { throw Fault(kind: .badSize, address: size) }
    }

    func allocate(_ size: Int64) throws(Fault) -> Int64 {
        guard size >= 0, size <= Int64(Machine.allocaSize) else { throw Fault(kind: .outOfScratch) }
        let rounded = (Int(size) + 7) & ~7
        guard allocaUsed + rounded <= min(Machine.allocaSize, program.allocaLimit) else { throw Fault(kind: .outOfScratch) }
        let address = MemoryRegion.base(MemoryRegion.scratch) + Int64(allocaStart + allocaUsed)
        allocaUsed += rounded
        return address
    }

    public func mapStorage(_ id: Int) -> MapStorage { maps[id] }
}
