// DTraceLanguage/VariableListing: what `dtrace -S`'s variable table says of the compiler's
// variables — DTrace's ids and storage layout for them (dt_idhash ids, dt_ident_set_storage),
// kept beside this compiler's own storage; the uses a clause's code makes of each variable
// (read, written), noted as its code is emitted; the built-in variables as DTrace numbers
// and types them; and the clause's table entries built from these.

import DTraceIR

/// How the table lists a variable: what DTrace calls it and where DTrace's layout puts it.
struct ListedVariable {
    /// The name without `self->`, `this->` or `@`.
    var name: String
    var id: Int
    /// Nil for a variable with no storage (a built-in).
    var offset: Int?
    var kind: VariableTableEntry.Kind
    var scope: VariableTableEntry.Scope
}

/// DTrace's numbering and storage of the program's variables so far: ids per scope (globals
/// and thread-locals from DIF_VAR_OTHER_UBASE, clause-locals from 0) and the next free byte
/// of the global and clause-local areas.
struct DTraceVariableLayout {
    static let firstUserVariableID = 0x500
    var nextGlobalID = firstUserVariableID
    var nextThreadLocalID = firstUserVariableID
    var nextClauseLocalID = 0
    var globalBytes = 0
    var clauseLocalBytes = 0

    /// Numbers a variable and gives it storage as DTrace does: a global (scalar or
    /// associative array) or clause-local at the next offset its alignment allows, after
    /// the previous one; a thread-local at 0.
    mutating func place(name: String, kind: VariableTableEntry.Kind, scope: VariableTableEntry.Scope,
                        alignment: Int, size: Int) -> ListedVariable {
        func aligned(_ next: Int) -> Int { (next + alignment - 1) & ~(alignment - 1) }   // dt_ident_set_storage's rounding
        switch scope {
        case .global:
            defer { nextGlobalID += 1 }
            let offset = aligned(globalBytes)
            globalBytes = offset + size
            return ListedVariable(name: name, id: nextGlobalID, offset: offset, kind: kind, scope: scope)
        case .clauseLocal:
            defer { nextClauseLocalID += 1 }
            let offset = aligned(clauseLocalBytes)
            clauseLocalBytes = offset + size
            return ListedVariable(name: name, id: nextClauseLocalID, offset: offset, kind: kind, scope: scope)
        case .threadLocal:
            defer { nextThreadLocalID += 1 }
            return ListedVariable(name: name, id: nextThreadLocalID, offset: 0, kind: kind, scope: scope)
        }
    }
}

/// A variable a clause's code uses, by where the compiler keeps it.
enum VariableReference: Hashable {
    /// A global scalar or associative array, by its key in `globals` (a thread-local
    /// associative array is kept there as "self.NAME").
    case global(String)
    case threadLocal(String)
    case clauseLocal(String)
    /// A built-in variable, by this compiler's name for it.
    case builtin(String)
}

/// What a clause's code does with a variable.
struct VariableUse {
    var read = false
    var written = false
}

/// The built-in variables as DTrace numbers (DIF_VAR_*) and declares them, by this
/// compiler's names (cwd and root, which DTrace does not have as variables, are not listed).
enum BuiltinVariableListing {
    static let table: [String: (name: String, id: Int, kind: VariableTableEntry.Kind, type: VariableTypeDescription)] = {
        func integer(_ size: Int) -> VariableTypeDescription { VariableTypeDescription(family: .dType, kind: .integer, byReference: false, size: size) }
        let pointer = VariableTypeDescription(family: .dType, kind: .pointer, byReference: false, size: 8)
        // Sized by strsize where listed.
        let string = VariableTypeDescription(family: .string, kind: .unknown, byReference: true, size: 0)
        var table: [String: (name: String, id: Int, kind: VariableTableEntry.Kind, type: VariableTypeDescription)] = [
            "args": ("args", 0x000, .associativeArray, .any),
            "uregs": ("uregs", 0x002, .associativeArray, integer(8)),
            "curthread": ("curthread", 0x100, .scalar, pointer),
            "timestamp": ("timestamp", 0x101, .scalar, integer(8)),
            "vtimestamp": ("vtimestamp", 0x102, .scalar, integer(8)),
            "ipl": ("ipl", 0x103, .scalar, integer(4)),
            "epid": ("epid", 0x104, .scalar, integer(8)),
            "id": ("id", 0x105, .scalar, integer(4)),
            "stackdepth": ("stackdepth", 0x110, .scalar, integer(4)),
            "caller": ("caller", 0x111, .scalar, integer(8)),
            "probeprov": ("probeprov", 0x112, .scalar, string),
            "probemod": ("probemod", 0x113, .scalar, string),
            "probefunc": ("probefunc", 0x114, .scalar, string),
            "probename": ("probename", 0x115, .scalar, string),
            "pid": ("pid", 0x116, .scalar, integer(4)),
            "tid": ("tid", 0x117, .scalar, integer(4)),
            "execname": ("execname", 0x118, .scalar, string),
            "zonename": ("zonename", 0x119, .scalar, string),
            "walltimestamp": ("walltimestamp", 0x11a, .scalar, integer(8)),
            "ustackdepth": ("ustackdepth", 0x11b, .scalar, integer(4)),
            "ucaller": ("ucaller", 0x11c, .scalar, integer(8)),
            "ppid": ("ppid", 0x11d, .scalar, integer(4)),
            "uid": ("uid", 0x11e, .scalar, integer(4)),
            "gid": ("gid", 0x11f, .scalar, integer(4)),
            "errno": ("errno", 0x120, .scalar, integer(4)),
            // In DTrace `cpu` is an inline over `curcpu` (curcpu->cpu_id): the variable read is curcpu.
            "cpu": ("curcpu", 0x121, .scalar, pointer),
        ]
        for argument in 0...9 { table["arg\(argument)"] = ("arg\(argument)", 0x106 + argument, .scalar, integer(8)) }
        return table
    }()
}

extension Compiler {
    /// Numbers a variable being defined and places it in DTrace's layout: `declared` when
    /// a declaration names its type, else it takes the type of its first assignment (which
    /// aligns arrays, structs and unions to 8 rather than by their elements).
    func listedVariable(_ name: String, kind: VariableTableEntry.Kind, scope: VariableTableEntry.Scope, type: DType, declared: Bool) -> ListedVariable {
        dtraceLayout.place(name: name, kind: kind, scope: scope, alignment: dtraceAlignment(of: type, declared: declared), size: dtraceSize(of: type))
    }

    /// A type's size as DTrace gives it: a string is strsize bytes.
    func dtraceSize(of type: DType) -> Int {
        switch type.resolved {
        case .string: return options.stringSize
        case .array(let element, let count): return dtraceSize(of: element) * count
        default: return type.size
        }
    }

    /// The alignment DTrace gives a variable's storage: integers, enums and pointers their
    /// size, strings 1; a declared array its element's size; anything else 8.
    func dtraceAlignment(of type: DType, declared: Bool) -> Int {
        switch type.resolved {
        case .integer, .enumeration, .pointer: return max(type.size, 1)
        case .string: return 1
        case .array(let element, _) where declared: return max(dtraceSize(of: element), 1)
        default: return 8
        }
    }

    /// Notes that the clause's code reads and/or writes the variable `expression` names
    /// (a global, `self->`, `this->` variable or an associative array's element); anything
    /// else is not a variable of its own.
    func noteVariableUse(_ expression: Expression, read: Bool = false, written: Bool = false) {
        let reference: VariableReference
        switch expression.kind {
        case .identifier(let name) where globals[name] != nil: reference = .global(name)
        case .threadLocal(let name) where threadLocals[name] != nil: reference = .threadLocal(name)
        case .clauseLocal(let name) where clauseLocals[name] != nil: reference = .clauseLocal(name)
        case .index(let base, _):
            switch base.kind {
            case .identifier(let name):
                guard let variable = globals[name], case .associative = variable.storage else { return }
                reference = .global(name)
            case .threadLocal(let name) where globals["self." + name] != nil: reference = .global("self." + name)
            default: return
            }
        default: return
        }
        emitter.noteUse(reference, read: read, written: written)
    }

    /// Notes that the clause's code reads a built-in variable.
    func noteBuiltinUse(_ name: String) {
        guard globals[name] == nil, BuiltinVariableListing.table[name] != nil else { return }
        emitter.noteUse(.builtin(name), read: true, written: false)
    }

    /// The clause's variable table: the variables its code used and every aggregation the
    /// program has so far, in DTrace's order — thread-locals, aggregations, globals (the
    /// built-ins first), clause-locals, each by id.
    func clauseVariableTable() -> [VariableTableEntry] {
        var entries: [VariableTableEntry] = []
        for (reference, use) in emitter.variableUses {
            let variable: Variable?
            switch reference {
            case .global(let name): variable = globals[name]
            case .threadLocal(let name): variable = threadLocals[name]
            case .clauseLocal(let name): variable = clauseLocals[name]
            case .builtin(let name):
                guard let builtin = BuiltinVariableListing.table[name] else { continue }
                var type = builtin.type
                if type.family == .string { type.size = options.stringSize }
                entries.append(VariableTableEntry(name: builtin.name, id: builtin.id, offset: nil, kind: builtin.kind, scope: .global,
                                                  isRead: use.read, isWritten: use.written, type: type))
                continue
            }
            guard let variable else { continue }
            let listed = variable.listed
            entries.append(VariableTableEntry(name: listed.name, id: listed.id, offset: listed.offset, kind: listed.kind, scope: listed.scope,
                                              isRead: use.read, isWritten: use.written, type: typeDescription(variable.type)))
        }
        for aggregation in program.aggregations {
            entries.append(VariableTableEntry(name: aggregation.name, id: aggregation.id + 1, offset: 0, kind: .aggregation, scope: .global,
                                              isRead: false, isWritten: false, type: .any))
        }
        func rank(_ entry: VariableTableEntry) -> Int {
            switch (entry.kind, entry.scope) {
            case (_, .threadLocal): return 0
            case (.aggregation, _): return 1
            case (_, .global): return 2
            case (_, .clauseLocal): return 3
            }
        }
        return entries.sorted { a, b in
            if rank(a) != rank(b) { return rank(a) < rank(b) }
            if a.id != b.id { return a.id < b.id }
            return a.name < b.name
        }
    }

    /// A variable's type as DTrace's DIF type describes it.
    func typeDescription(_ type: DType) -> VariableTypeDescription {
        let size = dtraceSize(of: type)
        switch type.resolved {
        case .string: return VariableTypeDescription(family: .string, kind: .unknown, byReference: true, size: size)
        case .integer: return VariableTypeDescription(family: .dType, kind: .integer, byReference: false, size: size)
        case .enumeration: return VariableTypeDescription(family: .dType, kind: .enum, byReference: false, size: size)
        case .pointer: return VariableTypeDescription(family: .dType, kind: .pointer, byReference: false, size: size)
        case .array: return VariableTypeDescription(family: .dType, kind: .array, byReference: true, size: size)
        case .composite(let composite):
            // Floating-point types are opaque here; DTrace holds those wider than 8 bytes by reference.
            if composite.isFloatingPoint { return VariableTypeDescription(family: .dType, kind: .float, byReference: size > 8, size: size) }
            return VariableTypeDescription(family: .dType, kind: composite.isComplete ? (composite.isUnion ? .union : .struct) : .forward,
                                           byReference: true, size: size)
        case .void, .alias: return VariableTypeDescription(family: .dType, kind: .unknown, byReference: false, size: size)
        }
    }
}

extension Emitter {
    /// Records what the code being emitted does with a variable.
    mutating func noteUse(_ reference: VariableReference, read: Bool, written: Bool) {
        var use = variableUses[reference] ?? VariableUse()
        use.read = use.read || read
        use.written = use.written || written
        variableUses[reference] = use
    }
}
