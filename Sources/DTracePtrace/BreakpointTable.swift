// DTracePtrace/BreakpointTable: the int3 breakpoints of one address space — each
// address with the original byte the 0xCC replaced and how many users it has — written
// and restored through `CodeMemory`; lifting them all while a vfork child shares the
// memory; the addresses whose breakpoint has been taken away (a trap reported there was
// already in flight); original bytes shown through breakpoints for readers of tracee
// memory (copyin); and the table as text (`serialized`; the guardian, Guardian.swift, is
// told each change as it happens instead).

import DTraceSystem

/// Code bytes of a tracee, read and written whatever the pages' permissions.
public protocol CodeMemory: AnyObject {
    func readCode(at address: UInt64, count: Int) throws(SystemError) -> [UInt8]
    func writeCode(_ bytes: [UInt8], at address: UInt64) throws(SystemError)
}

extension ProcessMemory: CodeMemory {
    public func readCode(at address: UInt64, count: Int) throws(SystemError) -> [UInt8] {
        let bytes = try read(address: address, count: count)
        guard bytes.count == count else { throw SystemError("read \(count) bytes at 0x\(String(address, radix: 16)) in \(processID)", code: ErrorNumber.badAddress) }
        return bytes
    }

    /// Code pages are not writable: /proc/PID/mem writes them (the kernel copies the page).
    public func writeCode(_ bytes: [UInt8], at address: UInt64) throws(SystemError) {
        try writeThroughFile(bytes, at: address)
    }
}

public struct BreakpointTable: Sendable {
    /// x86-64's one-byte breakpoint instruction.
    public static let trapInstruction: UInt8 = 0xCC

    /// One breakpoint: where, and the byte it replaced.
    public struct SavedByte: Equatable, Hashable, Sendable {
        public var address: UInt64
        public var originalByte: UInt8
        public init(address: UInt64, originalByte: UInt8) {
            self.address = address
            self.originalByte = originalByte
        }
    }

    private var originals: [UInt64: UInt8] = [:]
    private var users: [UInt64: Int] = [:]
    /// Addresses whose breakpoint was removed or lifted: a trap there was in flight.
    public private(set) var removedAddresses: Set<UInt64> = []
    /// Whether the int3 bytes are in memory (false while lifted for a vfork child).
    public private(set) var isArmed = true

    public init() {}

    public var count: Int { originals.count }
    public var isEmpty: Bool { originals.isEmpty }
    /// The breakpoints, by address.
    public var savedBytes: [SavedByte] {
        originals.map { SavedByte(address: $0.key, originalByte: $0.value) }.sorted { $0.address < $1.address }
    }

    /// Whether an int3 of this table is in memory at `address`.
    public func isArmed(at address: UInt64) -> Bool { isArmed && originals[address] != nil }
    public func contains(_ address: UInt64) -> Bool { originals[address] != nil }
    public func originalByte(at address: UInt64) -> UInt8? { originals[address] }

    /// Places an int3 at `address` (or counts one more user of the one there). Returns
    /// whether a new breakpoint was written.
    @discardableResult
    public mutating func insert(at address: UInt64, in memory: CodeMemory) throws(SystemError) -> Bool {
        if originals[address] != nil {
            users[address, default: 1] += 1
            return false
        }
        let original = try memory.readCode(at: address, count: 1)[0]
        if isArmed { try memory.writeCode([Self.trapInstruction], at: address) }
        originals[address] = original
        users[address] = 1
        removedAddresses.remove(address)
        return true
    }

    /// One user fewer of the breakpoint at `address`; the last puts the original byte back.
    /// Returns whether the byte was restored.
    @discardableResult
    public mutating func remove(at address: UInt64, in memory: CodeMemory) throws(SystemError) -> Bool {
        guard let original = originals[address] else { return false }
        if let count = users[address], count > 1 {
            users[address] = count - 1
            return false
        }
        if isArmed { try memory.writeCode([original], at: address) }
        originals[address] = nil
        users[address] = nil
        removedAddresses.insert(address)
        return true
    }

    /// Puts every original byte back and empties the table. Every byte is tried; the first
    /// failure is thrown after the others were written.
    public mutating func restoreAll(in memory: CodeMemory) throws(SystemError) {
        var firstError: SystemError?
        if isArmed {
            for saved in savedBytes {
                do { try memory.writeCode([saved.originalByte], at: saved.address) } catch { firstError = firstError ?? error }
            }
        }
        removedAddresses.formUnion(originals.keys)
        originals = [:]
        users = [:]
        isArmed = true
        if let firstError { throw firstError }
    }

    /// Writes every original byte into another copy of the memory (a fork child's),
    /// leaving the table as it is.
    public func writeOriginals(in memory: CodeMemory) throws(SystemError) {
        var firstError: SystemError?
        for saved in savedBytes {
            do { try memory.writeCode([saved.originalByte], at: saved.address) } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    /// Takes the int3 bytes out of memory, keeping the table (a vfork child runs in it).
    public mutating func lift(in memory: CodeMemory) throws(SystemError) {
        guard isArmed else { return }
        isArmed = false
        removedAddresses.formUnion(originals.keys)
        try writeOriginals(in: memory)
    }

    /// Puts the int3 bytes back after `lift`.
    public mutating func rearm(in memory: CodeMemory) throws(SystemError) {
        guard !isArmed else { return }
        isArmed = true
        var firstError: SystemError?
        for saved in savedBytes {
            do { try memory.writeCode([Self.trapInstruction], at: saved.address) } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    /// The code in `range` is gone (its file unmapped): its breakpoints are dropped with
    /// nothing written. Returns their addresses.
    public mutating func forget(in range: Range<UInt64>) -> [UInt64] {
        let dropped = originals.keys.filter { range.contains($0) }
        for address in dropped {
            originals[address] = nil
            users[address] = nil
            removedAddresses.remove(address)
        }
        return dropped
    }

    /// The address space is gone (exec, exit): nothing to restore.
    public mutating func forgetAll() {
        originals = [:]
        users = [:]
        removedAddresses = []
        isArmed = true
    }

    /// `bytes` read from `address` with every int3 of this table replaced by its original byte.
    public func masked(_ bytes: [UInt8], at address: UInt64) -> [UInt8] {
        guard isArmed, !originals.isEmpty, !bytes.isEmpty else { return bytes }
        var result = bytes
        let end = address &+ UInt64(bytes.count)
        if originals.count < bytes.count {
            for (breakpoint, original) in originals where breakpoint >= address && breakpoint < end {
                result[Int(breakpoint - address)] = original
            }
        } else {
            for index in result.indices where result[index] == Self.trapInstruction {
                if let original = originals[address &+ UInt64(index)] { result[index] = original }
            }
        }
        return result
    }

    // MARK: The table as text
    //
    // A snapshot of the table with the process it belongs to. The start time (clock ticks
    // after boot, /proc/PID/stat field 22) names the process even after its pid is reused.
    // The guardian (Guardian.swift) does not read it: it must know each breakpoint before
    // its int3 is written, so TracedProcess tells it each change as it happens. The format,
    // one item per line:
    //
    //     dtrace-breakpoints 1
    //     process <pid> <start time>
    //     <address, hex> <original byte, hex>
    //     ...

    /// The table as text, for `processID` started at `startTime`.
    public func serialized(processID: Int32, startTime: UInt64) -> String {
        var text = "dtrace-breakpoints 1\nprocess \(processID) \(startTime)\n"
        for saved in savedBytes { text += "\(String(saved.address, radix: 16)) \(String(saved.originalByte, radix: 16))\n" }
        return text
    }

    /// The process and breakpoints of `serialized`'s text; nil when it is not such text.
    public static func parse(serialized text: String) -> (processID: Int32, startTime: UInt64, breakpoints: [SavedByte])? {
        let lines = text.split(separator: "\n")
        guard lines.count >= 2, lines[0] == "dtrace-breakpoints 1" else { return nil }
        let process = lines[1].split(separator: " ")
        guard process.count == 3, process[0] == "process", let pid = Int32(process[1]), let start = UInt64(process[2]) else { return nil }
        var breakpoints: [SavedByte] = []
        for line in lines.dropFirst(2) {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let address = UInt64(fields[0], radix: 16), let byte = UInt8(fields[1], radix: 16) else { return nil }
            breakpoints.append(SavedByte(address: address, originalByte: byte))
        }
        return (pid, start, breakpoints)
    }
}
