// DTraceIR/VariableTable: the variables one clause's code uses, as DTrace's DIFO variable
// table (dtrace_difv_t) describes them — name, variable id, storage offset, kind (scalar,
// associative array, aggregation), scope (global, thread-local, clause-local), whether the
// code reads or writes it, its type — and the table as `dtrace -S` prints it after the
// clause's listing, in the columns of DTrace's disassembler (dt_dis_difo).

/// One variable of a clause's table.
public struct VariableTableEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case scalar, associativeArray, aggregation }
    public enum Scope: Sendable, Equatable { case global, threadLocal, clauseLocal }

    public var name: String
    /// DTrace's variable id: a built-in's DIF_VAR_* number; user globals and thread-locals
    /// from DIF_VAR_OTHER_UBASE (0x500) and clause-locals from 0, each scope counting in
    /// the order its variables were declared or first assigned; aggregations from 1.
    public var id: Int
    /// Where DTrace's own storage layout (dt_ident_set_storage) puts the variable: globals
    /// and clause-locals each naturally aligned after the previous one, thread-locals and
    /// aggregations at 0; nil for a built-in, which has no storage. The program's own
    /// storage may differ (strings here keep room for their terminator).
    public var offset: Int?
    public var kind: Kind
    public var scope: Scope
    /// Whether the clause's code reads the variable (DIFV_F_REF): its value, or its address
    /// to reach an element or a member.
    public var isRead: Bool
    /// Whether the clause's code stores to the variable itself (DIFV_F_MOD).
    public var isWritten: Bool
    public var type: VariableTypeDescription

    public init(name: String, id: Int, offset: Int?, kind: Kind, scope: Scope, isRead: Bool, isWritten: Bool, type: VariableTypeDescription) {
        self.name = name; self.id = id; self.offset = offset; self.kind = kind; self.scope = scope
        self.isRead = isRead; self.isWritten = isWritten; self.type = type
    }
}

/// A variable's type as DTrace's DIF type (dtrace_diftype_t) gives it: a D (CTF) type of some
/// kind, a string, or any type (a dynamic type: aggregations, `args[]`); whether it is held
/// by reference (strings, arrays, structs and unions); its size in bytes.
public struct VariableTypeDescription: Sendable, Equatable {
    public enum Family: String, Sendable, Equatable {
        case dType = "D type", string = "string", any = "any"
    }
    /// The kind of a D type with typedefs resolved (CTF's kinds, as DTrace names them).
    public enum TypeKind: String, Sendable, Equatable {
        case unknown, integer, float, pointer, array, function, `struct`, union, `enum`, forward
    }

    public var family: Family
    public var kind: TypeKind
    public var byReference: Bool
    public var size: Int

    public init(family: Family, kind: TypeKind, byReference: Bool, size: Int) {
        self.family = family; self.kind = kind; self.byReference = byReference; self.size = size
    }

    /// A dynamic type: what aggregations and `args[]` are.
    public static let any = VariableTypeDescription(family: .any, kind: .unknown, byReference: true, size: 0)

    /// As DTrace's disassembler writes it (dt_dis_typestr): "D type (integer) (size 4)",
    /// "string (unknown) by ref (size 256)".
    public var description: String {
        "\(family.rawValue) (\(kind.rawValue))\(byReference ? " by ref" : "") (size \(size))"
    }
}

public enum VariableTable {
    /// The table printed after a clause's listing: a blank line, the column heads, one row
    /// per variable and a blank line that ends it; nothing when the clause uses no variables.
    /// Every variable's range is the whole clause (its `instructionCount` instructions), as
    /// DTrace gives it.
    public static func listing(_ entries: [VariableTableEntry], instructionCount: Int) -> String {
        guard !entries.isEmpty else { return "" }
        var text = "\n" + row("NAME", "ID", "OFFSET", "KND", "SCP", "RANGE", "FLAG", "TYPE")
        let range = "[0-\(max(instructionCount - 1, 0))]"
        for entry in entries {
            let kind: String
            switch entry.kind {
            case .scalar: kind = "scl"
            case .associativeArray: kind = "arr"
            case .aggregation: kind = "agg"
            }
            let scope: String
            switch entry.scope {
            case .global: scope = "glb"
            case .threadLocal: scope = "tls"
            case .clauseLocal: scope = "loc"
            }
            let flags = [entry.isRead ? "r" : nil, entry.isWritten ? "w" : nil].compactMap { $0 }.joined(separator: "/")
            text += row(entry.name, String(entry.id, radix: 16), entry.offset.map(String.init) ?? "", kind, scope, range, flags, entry.type.description)
        }
        return text + "\n"
    }

    /// One line in DTrace's columns: "%-16s %-4s %-6s %-3s %-3s %-11s %-4s %s".
    static func row(_ name: String, _ id: String, _ offset: String, _ kind: String, _ scope: String, _ range: String, _ flags: String, _ type: String) -> String {
        func left(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        return [left(name, 16), left(id, 4), left(offset, 6), left(kind, 3), left(scope, 3), left(range, 11), left(flags, 4), type].joined(separator: " ") + "\n"
    }
}
