// DTraceProviders/TracepointProbes: what the providers built on kernel tracepoints share
// (sdt, and syscall off the raw path): a probe's tracepoint and the record
// fields that become its arguments, their D types, and the prologue that copies the
// fields a clause reads into the probe context.

import DTraceBPF
import DTraceCodegen
import DTraceLanguage
import DTraceSystem

/// A probe on a tracepoint; `arguments` names the record fields that become arg0..argN
/// (every field but the common ones when nil).
public struct TracepointProbe: Sendable, Equatable {
    public var group: String
    public var event: String
    public var arguments: [String]?
    public init(group: String, event: String, arguments: [String]? = nil) { self.group = group; self.event = event; self.arguments = arguments }

    /// The record fields that are the probe's arguments, in order.
    func argumentFields(of fields: [Tracefs.Field]) -> [Tracefs.Field] {
        arguments.map { names in names.compactMap { name in fields.first { $0.name == name } } } ?? fields.filter { !$0.isCommon }
    }

    /// The D types of the probe's arguments.
    func argumentTypes(in environment: ProbeEnvironment) -> [String] {
        guard let root = environment.tracefsRoot, let fields = Tracefs.format(root: root, group: group, event: event) else { return [] }
        return argumentFields(of: fields).map { ArgumentRecord.type(of: ArgumentRecord.Field($0)).description }
    }

    /// What args[N] are in D: the record's fields as `args->` reads them, typed from the
    /// format (an array or a __data_loc string in the record, so `stringof(args[N])`
    /// reads its characters); a field whose name D cannot spell stays a 64-bit argN.
    func argumentExpressions(in environment: ProbeEnvironment) -> [String]? {
        guard let root = environment.tracefsRoot, let fields = Tracefs.format(root: root, group: group, event: event) else { return nil }
        return argumentFields(of: fields).enumerated().map { index, field in
            Self.isSpellable(field.name) ? "args->\(field.name)" : "(int64_t)arg\(index)"
        }
    }

    /// A field name D reads as a member name: an identifier, not a keyword.
    static func isSpellable(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
            && Keyword(rawValue: name) == nil
    }

    /// The prologue copying the argument fields; the program attaches to the tracepoint.
    func kernelProbe(in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        let fields = argumentFields(of: try setup.format(group: group, event: event)).map { field in
            // Arrays and data_loc fields are not numbers: they read as 0 (args-> reaches them).
            [1, 2, 4, 8].contains(field.size) && !field.typeName.contains("[") ? TracepointPrologue.Field(offset: field.offset, size: field.size, signed: field.signed)
                : TracepointPrologue.Field(offset: field.offset, size: 0, signed: false)
        }
        let (group, event) = (group, event)
        return KernelProbe(programType: .tracepoint, prologue: TracepointPrologue(fields: fields)) { program, attachments in
            try attachments.attachTracepoint(group: group, event: event, program: program)
        }
    }
}

extension Provider {
    /// The argument types of a probe on a tracepoint.
    func tracepointArgumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] {
        probe.detail(as: TracepointProbe.self)?.argumentTypes(in: environment) ?? []
    }

    /// A probe on a tracepoint as the kernel engine runs it.
    func tracepointKernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let tracepoint = probe.detail(as: TracepointProbe.self) else { throw KernelSetupError("\(probe.identity.fullName) has no tracepoint") }
        return try tracepoint.kernelProbe(in: setup)
    }
}

/// Arguments from fields of a tracepoint's record (the program's context); the record's
/// address is the probe's argument record (`args->field`).
public struct TracepointPrologue: ProbePrologue {
    public struct Field: Sendable, Equatable {
        public var offset: Int, size: Int, signed: Bool
        public init(offset: Int, size: Int, signed: Bool) { self.offset = offset; self.size = size; self.signed = signed }
    }
    public let fields: [Field]
    public init(fields: [Field]) { self.fields = fields }
    public var argumentCount: Int { fields.count }

    public func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        if demand.argumentRecord { code.asm.store(.r6, to: .r7, offset: code.argumentRecordSlot, size: .double) }
        for (index, field) in fields.enumerated() where index < ProbeContextSlots.arguments && demand.needsArgument(index) {
            guard let size = BPFSize(bytes: field.size) else {
                code.asm.store(immediate: 0, to: .r7, offset: code.argumentSlot(index), size: .double)
                continue
            }
            code.asm.load(.r0, from: .r6, offset: Int16(field.offset), size: size)
            if field.signed && field.size < 8 {
                code.asm.alu64(.lsh, .r0, immediate: Int32(64 - 8 * field.size))
                code.asm.alu64(.arsh, .r0, immediate: Int32(64 - 8 * field.size))
            }
            code.storeArgument(index, from: .r0)
        }
    }
}

extension ArgumentRecord.Field {
    /// A tracepoint format field as the compiler types it.
    init(_ field: Tracefs.Field) {
        self.init(name: field.name, typeName: field.typeName, offset: field.offset, size: field.size, signed: field.signed)
    }
}
