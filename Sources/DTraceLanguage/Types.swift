// DTraceLanguage/Types: D's type system on LP64 Linux — integers of every width and
// signedness with their C names, strings (bounded by strsize), pointers, arrays,
// structs/unions/enums, typedefs and the floating-point types (float, double and long
// double: stored and printed, never computed with). Sizes and C's promotion rules live here.

public final class CompositeType: Equatable {
    public let name: String
    public let isUnion: Bool
    private var storedMembers: [(name: String, type: DType, offset: Int)] = []
    private var storedSize = 0, storedAlignment = 1, storedIsComplete = false, storedIsKernel = false
    private var storedBitFields: [String: (bitOffset: Int, bits: Int)] = [:]
    private var storedDeclaredMembers: [(name: String, type: DType, offset: Int)]?
    /// Members that hold a kernel "__data_loc" (or "__rel_loc") word: the low 16 bits
    /// locate the bytes in the record (from its start, or from the end of the word).
    public var dataLocationMembers: [String: Bool] = [:]   // name -> relative
    /// Fills the members on first use (a kernel structure's are read only if used).
    public var memberLoader: ((CompositeType) -> Void)?
    /// Makes the type what it names on first use (a kernel structure a declaration
    /// names, looked up only if a script touches it).
    public var resolver: ((CompositeType) -> Void)?

    public init(name: String, isUnion: Bool) { self.name = name; self.isUnion = isUnion }
    public static func == (a: CompositeType, b: CompositeType) -> Bool { a === b }

    private func resolve() {
        if let resolver { self.resolver = nil; resolver(self) }
    }

    public var members: [(name: String, type: DType, offset: Int)] {
        get {
            resolve()
            if let loader = memberLoader { memberLoader = nil; loader(self) }
            return storedMembers
        }
        set { storedMembers = newValue }
    }
    /// The members as declared, for print(): anonymous structs and unions (a kernel
    /// structure's) stay members of their own, named "", where `members` has their
    /// members flattened into this type.
    public var declaredMembers: [(name: String, type: DType, offset: Int)] {
        get {
            let flattened = members   // read first: a kernel structure's members load on first use
            return storedDeclaredMembers ?? flattened
        }
        set { storedDeclaredMembers = newValue }
    }
    public var size: Int { get { resolve(); return storedSize } set { storedSize = newValue } }
    public var alignment: Int { get { resolve(); return storedAlignment } set { storedAlignment = newValue } }
    public var isComplete: Bool { get { resolve(); return storedIsComplete } set { storedIsComplete = newValue } }
    /// A kernel structure (from the kernel's BTF): wherever it is reached through a
    /// pointer, its bytes are kernel memory, read through probe reads.
    public var isKernel: Bool { get { resolve(); return storedIsKernel } set { storedIsKernel = newValue } }
    /// Bitfield members: the bit where each starts (from the struct's start) and its bits.
    public var bitFields: [String: (bitOffset: Int, bits: Int)] {
        get { resolve(); return storedBitFields }
        set { storedBitFields = newValue }
    }

    /// Where the last member's bits end (bit-fields end before their storage does).
    private var endBit = 0
    /// A floating-point type (float, double, long double): opaque, of its size.
    public var isFloatingPoint = false

    public func addMember(_ name: String, _ type: DType) {
        let align = type.alignment
        if isUnion {
            storedMembers.append((name, type, 0))
            size = max(size, type.size)
        } else {
            let offset = ((endBit + 7) / 8 + align - 1) / align * align
            storedMembers.append((name, type, offset))
            // Never less than a bit-field's storage that ends beyond this member.
            size = max(size, offset + type.size)
            endBit = (offset + type.size) * 8
        }
        alignment = max(alignment, align)
    }

    /// A bit-field `bits` wide of integer `type`, as DTrace declares one: its storage is
    /// the smallest power-of-two bytes that hold the bits, aligned to its size, at the
    /// first byte after the previous member's last bit; the value is in its low bits.
    public func addBitField(_ name: String, _ type: DType, bits: Int) {
        let storage = Self.bitFieldStorage(bits: bits)
        let offset = isUnion ? 0 : ((endBit + 7) / 8 + storage - 1) / storage * storage
        storedMembers.append((name, type, offset))
        storedBitFields[name] = (offset * 8, bits)
        size = max(size, offset + storage)
        if !isUnion { endBit = offset * 8 + bits }
        alignment = max(alignment, storage)
    }

    /// The bytes that hold a declared bit-field of `bits` bits.
    public static func bitFieldStorage(bits: Int) -> Int {
        var bytes = 1
        while bytes * 8 < bits { bytes *= 2 }
        return bytes
    }

    /// A member at a fixed offset (a record laid out by someone else, such as the kernel).
    public func addMember(_ name: String, _ type: DType, at offset: Int) {
        storedMembers.append((name, type, offset))
        size = max(size, offset + type.size)
        alignment = max(alignment, min(type.alignment, 8))
    }

    /// Completes the type. Its size is where its last member ends, with no padding after
    /// it, as DTrace's type library (CTF) sizes a struct or union the D program declares:
    /// `struct { int u; long v; short w; }` is 18 bytes.
    public func finish() {
        isComplete = true
    }

    public func member(_ name: String) -> (name: String, type: DType, offset: Int)? { members.first { $0.name == name } }
}

public final class EnumType: Equatable {
    public let name: String
    public var values: [(String, Int64)] = []
    public init(name: String) { self.name = name }
    public static func == (a: EnumType, b: EnumType) -> Bool { a === b }
}

public indirect enum DType: Equatable, CustomStringConvertible {
    case void
    case integer(name: String, size: Int, signed: Bool)
    case string
    case pointer(DType)
    case array(DType, Int)
    case composite(CompositeType)
    case enumeration(EnumType)
    /// A name given by typedef; behaves as its target, prints as its name.
    case alias(String, DType)

    public static let int = DType.integer(name: "int", size: 4, signed: true)
    public static let uint = DType.integer(name: "uint_t", size: 4, signed: false)
    public static let long = DType.integer(name: "long", size: 8, signed: true)
    public static let unsignedLong = DType.integer(name: "unsigned long", size: 8, signed: false)
    public static let int64 = DType.integer(name: "int64_t", size: 8, signed: true)
    public static let uint64 = DType.integer(name: "uint64_t", size: 8, signed: false)
    public static let char = DType.integer(name: "char", size: 1, signed: true)
    public static let voidPointer = DType.pointer(.void)
    /// An aggregation named where a value is expected: DTrace's dynamic type, which only
    /// the checks that refuse it see (a format's conversion, an action's argument).
    public static let aggregation = DType.alias("aggregation", .void)
    /// A stack()/ustack() key of an aggregation, as a format's check names it.
    public static let stack = DType.alias("stack", .void)

    /// The type with typedef names removed.
    public var resolved: DType {
        if case .alias(_, let target) = self { return target.resolved }
        return self
    }

    public var size: Int {
        switch resolved {
        case .void: return 0
        case .integer(_, let size, _): return size
        case .string: return 0 // strings are sized by strsize where stored
        case .pointer: return 8
        case .array(let element, let count): return element.size * count
        case .composite(let composite): return composite.size
        case .enumeration: return 4
        case .alias: return 0
        }
    }

    public var alignment: Int {
        switch resolved {
        case .integer(_, let size, _): return max(1, size)
        case .pointer: return 8
        case .array(let element, _): return element.alignment
        case .composite(let composite): return composite.alignment
        case .enumeration: return 4
        default: return 1
        }
    }

    public var isInteger: Bool {
        switch resolved { case .integer, .enumeration: return true; default: return false }
    }
    public var isPointer: Bool { if case .pointer = resolved { return true }; return false }
    public var isString: Bool { if case .string = resolved { return true }; return false }
    public var isArray: Bool { if case .array = resolved { return true }; return false }
    public var isVoid: Bool { if case .void = resolved { return true }; return false }
    public var isComposite: Bool { if case .composite = resolved { return true }; return false }
    /// float, double or long double (4, 8 or 16 bytes, as on x86-64).
    public var isFloatingPoint: Bool { if case .composite(let composite) = resolved { return composite.isFloatingPoint }; return false }
    /// Integers and pointers: what can be tested for truth and compared.
    public var isScalar: Bool { isInteger || isPointer }
    public var isArithmetic: Bool { isInteger }

    public var isSigned: Bool {
        switch resolved {
        case .integer(_, _, let signed): return signed
        case .enumeration: return true
        default: return false
        }
    }

    public var pointee: DType? {
        switch resolved {
        case .pointer(let target): return target
        case .array(let element, _): return element
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .void: return "void"
        case .integer(let name, _, _): return name
        case .string: return "string"
        case .pointer(let target):
            if case .array = target.resolved { return "\(target) *" }
            return target.description.hasSuffix("*") ? "\(target)*" : "\(target) *"
        case .array(let element, let count): return "\(element) [\(count)]"
        case .composite(let composite) where composite.isFloatingPoint: return composite.name
        case .composite(let composite): return "\(composite.isUnion ? "union" : "struct") \(composite.name)"
        case .enumeration(let enumeration): return "enum \(enumeration.name)"
        case .alias(let name, _): return name
        }
    }

    /// C's integer promotion: types narrower than int become int.
    public var promoted: DType {
        guard isInteger else { return self }
        if size < 4 { return .int }
        if case .enumeration = resolved { return .int }
        return self
    }

    /// The type of a binary arithmetic operator's result as DTrace gives it: of the two
    /// operands' types (an enum counting as int), the one of higher rank — its bits, plus
    /// one when unsigned — with no promotion to int first (char + char is a char). The
    /// value itself is computed in 64 bits and only cut to the type where it is stored.
    public static func arithmeticResult(_ a: DType, _ b: DType) -> DType {
        let x = a.rankedOperand, y = b.rankedOperand
        func rank(_ type: DType) -> Int { type.size * 8 + (type.isSigned ? 0 : 1) }
        return rank(y) > rank(x) ? y : x
    }

    /// An operand as arithmetic types it: an enum is an int.
    public var rankedOperand: DType {
        if case .enumeration = resolved { return .int }
        return self
    }

    /// Whether a value of type `source` may be assigned to storage of this type.
    public func acceptsAssignment(from source: DType) -> Bool {
        let target = resolved, from = source.resolved
        if target.isInteger && from.isInteger { return true }
        if target.isString && from.isString { return true }
        if target.isPointer && (from.isPointer || from.isInteger || from.isArray) { return true }
        if target.isInteger && from.isPointer { return true }
        if case .composite(let a) = target, case .composite(let b) = from { return a === b }
        if case .array(let a, let n) = target, case .array(let b, let m) = from { return a == b && n == m }
        return false
    }
}

/// The built-in type names of D on Linux (LP64).
public enum BuiltinTypes {
    public static let table: [String: DType] = {
        var table: [String: DType] = [:]
        func integer(_ name: String, _ size: Int, _ signed: Bool) { table[name] = .integer(name: name, size: size, signed: signed) }
        integer("int8_t", 1, true); integer("int16_t", 2, true); integer("int32_t", 4, true); integer("int64_t", 8, true)
        integer("uint8_t", 1, false); integer("uint16_t", 2, false); integer("uint32_t", 4, false); integer("uint64_t", 8, false)
        integer("intptr_t", 8, true); integer("uintptr_t", 8, false); integer("size_t", 8, false); integer("ssize_t", 8, true)
        integer("off_t", 8, true); integer("pid_t", 4, true); integer("uid_t", 4, false); integer("gid_t", 4, false)
        integer("id_t", 4, true); integer("uint_t", 4, false); integer("uchar_t", 1, false); integer("ushort_t", 2, false)
        integer("ulong_t", 8, false); integer("u_longlong_t", 8, false); integer("longlong_t", 8, true)
        integer("processorid_t", 4, true); integer("hrtime_t", 8, true); integer("time_t", 8, true)
        integer("dev_t", 8, false); integer("ino_t", 8, false); integer("mode_t", 4, false); integer("socklen_t", 4, false)
        integer("caddr_t", 8, false); integer("boolean_t", 4, true); integer("zoneid_t", 4, true); integer("taskid_t", 4, true)
        integer("projid_t", 4, true); integer("major_t", 4, false); integer("minor_t", 4, false); integer("bool", 1, false)
        integer("_Bool", 1, false); integer("u8", 1, false); integer("u16", 2, false); integer("u32", 4, false); integer("u64", 8, false)
        integer("s8", 1, true); integer("s16", 2, true); integer("s32", 4, true); integer("s64", 8, true)
        integer("__u8", 1, false); integer("__u16", 2, false); integer("__u32", 4, false); integer("__u64", 8, false)
        integer("__s8", 1, true); integer("__s16", 2, true); integer("__s32", 4, true); integer("__s64", 8, true)
        integer("__be16", 2, false); integer("__be32", 4, false); integer("__le16", 2, false); integer("__le32", 4, false)
        integer("ipaddr_t", 4, false); integer("in_port_t", 2, false); integer("sa_family_t", 2, false)
        // The kernel's own short names (linux/types.h), which its BTF lists only when
        // something uses them.
        integer("unchar", 1, false); integer("ushort", 2, false); integer("uint", 4, false); integer("ulong", 8, false)
        integer("u_char", 1, false); integer("u_short", 2, false); integer("u_int", 4, false); integer("u_long", 8, false)
        table["uintptr_t"] = .integer(name: "uintptr_t", size: 8, signed: false)
        return table
    }()

    /// Resolves C's combinations of int keywords ("unsigned long long", "short int", "char").
    public static func fromKeywords(signedness: Bool?, shorts: Int, longs: Int, char: Bool, int: Bool) -> DType? {
        if char {
            if shorts > 0 || longs > 0 { return nil }
            if signedness == false { return .integer(name: "unsigned char", size: 1, signed: false) }
            if signedness == true { return .integer(name: "signed char", size: 1, signed: true) }
            return .char
        }
        if shorts > 1 || longs > 2 || (shorts > 0 && longs > 0) { return nil }
        let unsigned = signedness == false
        let prefix = unsigned ? "unsigned " : (signedness == true && !int && shorts == 0 && longs == 0 ? "signed " : "")
        if shorts == 1 { return .integer(name: prefix + "short", size: 2, signed: !unsigned) }
        if longs == 1 { return .integer(name: prefix + "long", size: 8, signed: !unsigned) }
        if longs == 2 { return .integer(name: prefix + "long long", size: 8, signed: !unsigned) }
        return .integer(name: unsigned ? "unsigned int" : (prefix.isEmpty ? "int" : "signed int"), size: 4, signed: !unsigned)
    }
}
