// DTraceIR/Program: a compiled D program as the engines and the consumer see it —
// clauses with their probe descriptions, IR and variable tables, the layout of every record
// a clause emits, aggregations, maps (associative arrays, thread-locals), memory sizes,
// options.

/// How a traced value is to be read back and shown by the consumer.
public enum ValueType: Sendable, Equatable, CustomStringConvertible {
    case integer(size: Int, signed: Bool)
    case pointer
    case string(size: Int)
    case bytes(size: Int)
    /// A float (4 bytes), double (8) or long double (16, x87's 80 bits and padding), as
    /// printf()'s %e, %f and %g print it.
    case floating(size: Int)
    /// A recorded stack's id (stack() or ustack() as an aggregation key): 8 bytes; a user
    /// stack's id is followed by the process id its addresses belong to (16 bytes).
    case stack(frames: Int, user: Bool)
    /// An address shown as a symbol (sym(), mod(), ... as an aggregation key): 8 bytes; a
    /// user address (usym(), umod(), uaddr()) is followed by its process id (16 bytes).
    case symbol(SymbolKind)
    /// An aggregation key that is an address's text, held as the address (DTraceText's
    /// AddressKey: a kind byte, then the address or a literal's text) and written as text
    /// by the consumer.
    case addressText(size: Int)

    public var size: Int {
        switch self {
        case .integer(let size, _): return size
        case .pointer: return 8
        case .stack(_, let user): return user ? 16 : 8
        case .symbol(let kind): return kind.isUser ? 16 : 8
        case .string(let size), .bytes(let size), .floating(let size), .addressText(let size): return size
        }
    }

    public var description: String {
        switch self {
        case .integer(let size, let signed): return "\(signed ? "int" : "uint")\(size * 8)"
        case .pointer: return "pointer"
        case .string(let size): return "string[\(size)]"
        case .bytes(let size): return "bytes[\(size)]"
        case .floating(let size): return "float\(size * 8)"
        case .stack(let frames, let user): return "\(user ? "ustack" : "stack")[\(frames)]"
        case .symbol(let kind): return kind.rawValue
        case .addressText(let size): return "address[\(size)]"
        }
    }
}

/// One value inside a record, at a fixed offset from the start of the record.
public struct RecordField: Sendable, Equatable {
    public var offset: Int
    public var type: ValueType
    public init(offset: Int, type: ValueType) { self.offset = offset; self.type = type }
}

/// What the consumer does with one action's fields: the library's (one file per action),
/// which the consumer runs as a `ConsumedAction`.
public protocol ActionOutput: Sendable {
    /// The action's name and what distinguishes this use (a format index, an aggregation).
    var description: String { get }
    /// Whether the consumer must see the record at once (exit()), rather than at its next
    /// switchrate wakeup or when the buffer fills.
    var isUrgent: Bool { get }
    /// Whether the consumer, meeting it in BEGIN's records, waits until the other probes
    /// are enabled before it acts (system(): what the command does is traced, as in DTrace,
    /// where BEGIN's records are consumed after every probe is enabled).
    var waitsForProbes: Bool { get }
}

extension ActionOutput {
    public var isUrgent: Bool { false }
    public var waitsForProbes: Bool { false }
}

public enum SymbolKind: String, Sendable { case sym, mod, usym, umod, uaddr

    /// A user address, recorded with the process it belongs to.
    public var isUser: Bool { self == .usym || self == .umod || self == .uaddr }

    /// func() and ufunc() are sym() and usym() under other names.
    public init?(function name: String) {
        switch name {
        case "sym", "func": self = .sym
        case "usym", "ufunc": self = .usym
        default: self.init(rawValue: name)
        }
    }
}

public struct RecordAction: Sendable, Equatable {
    public var output: any ActionOutput
    public var fields: [RecordField]
    /// Offset of a 64-bit flag set when the action ran (actions in untaken branches do not).
    public var presenceOffset: Int
    public init(output: any ActionOutput, fields: [RecordField], presenceOffset: Int) {
        self.output = output; self.fields = fields; self.presenceOffset = presenceOffset
    }

    public static func == (a: RecordAction, b: RecordAction) -> Bool {
        a.output.description == b.output.description && a.fields == b.fields && a.presenceOffset == b.presenceOffset
    }
}

/// The layout of the record one enabled clause emits per firing.
public struct RecordLayout: Sendable, Equatable {
    public var actions: [RecordAction]
    public var size: Int
    /// The record's size as Oracle's DTrace counts it against specsize: its 16-byte header
    /// and the actions' data (without the words saying which actions ran).
    public var speculatedSize: Int
    public init(actions: [RecordAction] = [], size: Int = 0, speculatedSize: Int = 16) {
        self.actions = actions; self.size = size; self.speculatedSize = speculatedSize
    }
}

/// One clause of the program.
public struct IRClause: Sendable {
    public var index: Int
    public var probes: [ProbeDescription]
    public var function: IRFunction
    public var record: RecordLayout
    public var line: Int
    /// The line of each probe description (a clause's descriptions may span lines).
    public var probeLines: [Int] = []
    /// The stability of its probe descriptions and of its statements (dtrace -v).
    public var descriptionAttributes = StabilityAttributes.standardDefault
    public var statementAttributes = StabilityAttributes.standardDefault
    /// The variables the clause's code uses, in DTrace's order (thread-locals,
    /// aggregations, globals, clause-locals; by id within each): what `-S` lists after it.
    public var variables: [VariableTableEntry]
    public init(index: Int, probes: [ProbeDescription], function: IRFunction, record: RecordLayout, line: Int, variables: [VariableTableEntry] = []) {
        self.index = index; self.probes = probes; self.function = function; self.record = record; self.line = line
        self.variables = variables
    }

    /// Whether the clause reads the firing's arguments (a timer probe's arg0 and arg1 are
    /// the kernel and user PCs it interrupted) or the thread it interrupted (pid, tid,
    /// execname, its user stack).
    public var readsFiringContext: Bool {
        function.instructions.contains {
            switch $0 {
            case .call(.readArgument, _, _), .call(.readBuiltin(.arg0), _, _), .call(.readBuiltin(.arg1), _, _): return true
            case .call(.readBuiltin(let variable), _, _):
                return [.pid, .tid, .ppid, .uid, .gid, .execname, .ucaller, .ustackdepth].contains(variable)
            case .call(.stackID(user: true), _, _): return true
            default: return false
            }
        }
    }

    /// Whether the clause reads the kernel's memory (curthread, kernel structures), which
    /// only the kernel engine can do.
    public var readsKernelMemory: Bool {
        function.instructions.contains {
            switch $0 {
            case .call(.readBuiltin(.curthread), _, _), .call(.copyInKernel, _, _), .load(_, _, _, _, .tracee): return true
            default: return false
            }
        }
    }
}

/// A printf-like format string used by printf, printa, system or freopen.
public struct FormatDescriptor: Sendable, Equatable {
    public var text: String
    public var format: PrintfFormat
    public init(text: String, format: PrintfFormat) { self.text = text; self.format = format }
}

/// A whole compiled program: what an engine needs to run it and the consumer to show it.
public struct IRProgram: Sendable {
    public var clauses: [IRClause] = []
    public var aggregations: [AggregationDescriptor] = []
    public var maps: [MapDescriptor] = []
    public var formats: [FormatDescriptor] = []
    /// Read-only constants (string literals), addressed in the `.constant` space.
    public var constants: [UInt8] = []
    /// Bytes of global scalar storage (`.global` space).
    public var globalSize: Int = 0
    /// Bytes of per-firing scratch each clause needs at most (`.scratch` space).
    public var scratchSize: Int = 0
    /// What alloca() may hand out in one firing: the scratchsize option rounded up to
    /// 8 bytes (256 by default), as Oracle's DTrace counts it; an allocation past it
    /// faults "out of scratch space". Each engine's alloca area bounds it too.
    public var allocaLimit: Int = 256
    /// The parts of scratch that must read as zero when a clause starts (the record);
    /// temporaries are always written before being read.
    public var zeroedScratch: [Range<Int>] = []
    /// Where the clause-local (this->) variables lie in scratch: as in DTrace, the clauses
    /// of one probe firing share them; they read as zero when the firing's first clause
    /// starts.
    public var clauseLocalScratch: Range<Int> = 0..<0
    /// Options set by `#pragma D option` in the program text, in order.
    public var options: [(name: String, value: String?)] = []
    public var stringSize: Int = 256
    /// Whether any clause takes a destructive action (system, raise, ...), which dtrace
    /// refuses to enable without -w.
    public var usesDestructiveActions = false
    /// Whether any clause records a stack (the kernel engine then keeps a stack map).
    public var usesStacks = false
    /// Whether aggregation keys hold user stacks or addresses (the kernel engine then tells
    /// the consumer of each process the first time one is seen, to read its mappings).
    public var notesProcesses = false
    /// Whether records or aggregation keys hold user addresses (stacks, usym()...), named
    /// from the process's mappings.
    public var recordsUserAddresses = false
    /// How many speculations may be active at once (the nspec option).
    public var speculationLimit = 1
    /// The bytes a speculation holds (the specsize option), as Oracle's DTrace counts them
    /// (`RecordLayout.speculatedSize`): a record with no room left is a speculative drop.
    public var speculationSize = 4 << 20
    /// The most frames stackdepth and ustackdepth count (the maxframes option; the
    /// kernel's perf_event_max_stack by default).
    public var maxFrames = 127

    public init() {}
}
