// DTraceLanguage/ArgumentRecord: a probe's argument record as the kernel lays it out (a
// tracepoint's fields at their offsets, under the kernel's type names) and the D type of
// each field.

import DTraceIR
import DTraceText

/// A probe's argument record as the kernel lays it out: e.g. sched_switch's prev_comm,
/// prev_pid, ... at their offsets. `typeName` is the kernel's ("char[16]", "pid_t").
public struct ArgumentRecord: Equatable, Sendable {
    public struct Field: Equatable, Sendable {
        public var name: String
        public var typeName: String
        public var offset: Int
        public var size: Int
        public var signed: Bool
        public init(name: String, typeName: String, offset: Int, size: Int, signed: Bool) {
            self.name = name; self.typeName = typeName; self.offset = offset; self.size = size; self.signed = signed
        }
    }
    public var name: String
    public var fields: [Field]
    public init(name: String, fields: [Field]) { self.name = name; self.fields = fields }

    /// The D type of one field: integers by size and signedness under the kernel's name,
    /// arrays by element count, pointers as pointers (to char for char pointers), and
    /// __data_loc fields as the 32-bit offset/length word they are.
    public static func type(of field: Field) -> DType {
        var name = field.typeName
        if name.hasPrefix("__data_loc") || name.hasPrefix("__rel_loc") { return .integer(name: "uint32_t", size: 4, signed: false) }
        if name.hasSuffix("*") {
            let target = name.dropLast().trimming(anyOf: " ")
            return .pointer(target.hasSuffix("char") ? .char : .void)
        }
        var count = 1
        if let bracket = name.firstIndex(of: "["), name.hasSuffix("]"), let parsed = Int(name[name.index(after: bracket)..<name.index(before: name.endIndex)]), parsed > 0 {
            count = parsed
            name = String(name[..<bracket]).trimming(anyOf: " ")
        } else if name.contains("[") {
            return .array(.char, max(field.size, 1))
        }
        let elementSize = field.size / count
        let element: DType = name.hasSuffix("char") && elementSize == 1 ? .char
            : [1, 2, 4, 8].contains(elementSize) ? .integer(name: name, size: elementSize, signed: field.signed) : .array(.char, max(elementSize, 1))
        return count > 1 || field.typeName.contains("[") ? .array(element, count) : element
    }

    /// `args`'s type: a pointer to a struct of the fields at their offsets.
    func compositeType() -> DType {
        let composite = CompositeType(name: name, isUnion: false)
        for field in fields {
            composite.addMember(field.name, ArgumentRecord.type(of: field), at: field.offset)
            if field.typeName.hasPrefix("__data_loc") || field.typeName.hasPrefix("__rel_loc") {
                composite.dataLocationMembers[field.name] = field.typeName.hasPrefix("__rel_loc")
            }
        }
        composite.finish()
        return .pointer(.composite(composite))
    }
}
