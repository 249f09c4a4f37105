// DTraceCodegen/RecordFormat: the ring buffer's records, one definition for the code that
// writes them (generated BPF) and the code that reads them (the kernel engine). Every
// record starts with a 16-byte header — kind, EPID, CPU, the speculation it belongs to
// (0 for none), u32 each — followed by the clause's record or a report.

/// The header of every ring-buffer record.
public struct RecordHeader: Equatable, Sendable {
    public enum Kind: Int32, Sendable {
        /// The clause's record.
        case data = 0
        /// A fault report (FaultReport).
        case fault = 1
        /// commit(id) and discard(id): the id in the header's speculation word.
        case commit = 2
        case discard = 3
        /// A process seen for the first time by a clause keeping its user addresses (ProcessReport).
        case process = 4
        /// The dynamic linker of a watched process is changing its list of objects
        /// (dlopen, dlclose): a ProcessReport of the process.
        case linkerActivity = 5
        /// The clause's record with strings to come at its system call's return
        /// (DeferredStrings): the speculation word holds how many and the ticket.
        case deferredData = 6
        /// A string read at a system call's return for a deferred record (DeferredStrings).
        case deferredString = 7
    }

    public static let size = 16
    /// Where the generated code writes each field.
    public static let kindOffset: Int16 = 0, epidOffset: Int16 = 4, cpuOffset: Int16 = 8, speculationOffset: Int16 = 12

    public var kind: Kind
    public var epid: Int
    public var cpu: Int32
    public var speculation: UInt32

    /// The header at the start of `record`; nil when it is short or of an unknown kind.
    public init?(_ record: UnsafeRawBufferPointer) {
        guard record.count >= Self.size, let kind = Kind(rawValue: record.loadUnaligned(fromByteOffset: Int(Self.kindOffset), as: Int32.self)) else { return nil }
        self.kind = kind
        epid = Int(record.loadUnaligned(fromByteOffset: Int(Self.epidOffset), as: UInt32.self))
        cpu = record.loadUnaligned(fromByteOffset: Int(Self.cpuOffset), as: Int32.self)
        speculation = record.loadUnaligned(fromByteOffset: Int(Self.speculationOffset), as: UInt32.self)
    }

    /// The bytes after the header.
    public static func payload(of record: UnsafeRawBufferPointer) -> [UInt8] { Array(record.dropFirst(size)) }
}

/// A fault, after the header: its kind, the action, the DIF offset and the address
/// (u64 each), copied from the fault area of scratch in this order.
public struct FaultReport: Equatable, Sendable {
    public static let fields = 4
    public static let recordSize = RecordHeader.size + 8 * fields
    public var kind: Int64, action: Int64, offset: Int64, address: Int64

    public init?(_ record: UnsafeRawBufferPointer) {
        guard record.count >= Self.recordSize else { return nil }
        func field(_ index: Int) -> Int64 { record.loadUnaligned(fromByteOffset: RecordHeader.size + 8 * index, as: Int64.self) }
        kind = field(0); action = field(1); offset = field(2); address = field(3)
    }
}

/// A process to remember, after the header: its id (u64).
public struct ProcessReport: Equatable, Sendable {
    public static let recordSize = RecordHeader.size + 8
    public var processID: Int32

    public init?(_ record: UnsafeRawBufferPointer) {
        guard record.count >= Self.recordSize else { return nil }
        processID = Int32(truncatingIfNeeded: record.loadUnaligned(fromByteOffset: RecordHeader.size, as: Int64.self))
    }
}
