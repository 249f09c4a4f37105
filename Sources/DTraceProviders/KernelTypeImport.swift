// DTraceProviders/KernelTypeImport: the kernel's BTF types as D types, for scripts that
// name kernel structures (`curthread->real_parent->comm`, `(struct sock *)arg0`) and for
// the translators. A struct is made when first named and its members only when first
// used; anonymous struct and union members are flattened into their parent, as C lets a
// script name their members directly (print() still sees them as declared); bitfields keep
// their bit position and width.

import DTraceBPF
import DTraceLanguage

extension KernelTypes: KernelTypeSource {
    public func deferredType(named name: String) -> CompositeType {
        if case .composite(let known)?? = namedTypes[name] { return known }
        if let placeholder = placeholders[name] { return placeholder }
        let words = name.split(separator: " ")
        let placeholder = CompositeType(name: words.count == 2 ? String(words[1]) : name, isUnion: words.first == "union")
        placeholders[name] = placeholder
        placeholder.resolver = { [unowned self] _ in _ = self.kernelType(named: name) }
        return placeholder
    }

    public func kernelType(named name: String) -> DType? {
        if let known = namedTypes[name] { return known }
        var found: DType?
        if let btf {
            let words = name.split(separator: " ", maxSplits: 1).map(String.init)
            let id: UInt32?
            switch (words.count == 2 ? words[0] : "", words.last ?? "") {
            case ("struct", let tag): id = try? btf.typeID(named: tag, kind: .structure)
            case ("union", let tag): id = try? btf.typeID(named: tag, kind: .union)
            case ("enum", let tag): id = try? btf.typeID(named: tag, kind: .enumeration)
            case ("", let typedef): id = try? btf.typeID(named: typedef, kind: .typedef)
            default: id = nil
            }
            if let id { found = importType(id, from: btf) }
        }
        if found == nil, let placeholder = placeholders[name] {
            placeholder.isKernel = true   // no such kernel structure: stays incomplete
            found = .composite(placeholder)
        }
        namedTypes[name] = .some(found)
        return found
    }

    /// The D type of BTF type `id` (void for what D cannot hold).
    func importType(_ id: UInt32, from btf: BTF) -> DType {
        if id == 0 { return .void }
        if let known = importedTypes[id] { return known }
        guard let described = try? btf.type(id) else { return .void }
        importedTypes[id] = .void   // a cycle (only in a hostile blob) ends here
        let type: DType
        switch described {
        case .integer(let name, let size, let signed, let isChar, let isBool, _, _):
            if isBool { type = .integer(name: name, size: max(size, 1), signed: false) }
            else if size == 1 && (isChar || name == "char") && signed { type = .char }
            else if [1, 2, 4, 8].contains(size) { type = .integer(name: name, size: size, signed: signed) }
            else { type = .array(.integer(name: "unsigned char", size: 1, signed: false), size) }
        case .pointer(let target):
            type = .pointer(importType(target, from: btf))
        case .array(let element, let count):
            type = .array(importType(element, from: btf), count)
        case .structure(let name, let isUnion, let size, let members):
            // A named structure a declaration deferred becomes that very type.
            let composite = placeholders.removeValue(forKey: (isUnion ? "union " : "struct ") + name).flatMap { name.isEmpty ? nil : $0 }
                ?? CompositeType(name: name.isEmpty ? "<anon>" : name, isUnion: isUnion)
            composite.isKernel = true
            composite.size = size
            composite.alignment = size == 0 ? 1 : min(8, size & -size)
            composite.isComplete = true
            composite.memberLoader = { [unowned self] composite in
                self.addMembers(members, of: id, to: composite, from: btf)
                composite.size = size
            }
            type = .composite(composite)
        case .enumeration(let name, _, _, let values):
            let enumeration = EnumType(name: name.isEmpty ? "<anon>" : name)
            enumeration.values = values
            type = .enumeration(enumeration)
        case .forward(let name, let isUnion):
            if let complete = try? btf.typeID(named: name, kind: isUnion ? .union : .structure) {
                type = importType(complete, from: btf)
            } else {
                let composite = CompositeType(name: name, isUnion: isUnion)
                composite.isKernel = true
                type = .composite(composite)
            }
        case .typedef(let name, let target):
            type = .alias(name, importType(target, from: btf))
        case .qualifier(let target):
            type = importType(target, from: btf)
        case .float(_, let size):
            type = .array(.integer(name: "unsigned char", size: 1, signed: false), size)
        case .functionPrototype, .function, .other:
            type = .void
        }
        importedTypes[id] = type
        return type
    }

    /// Adds the members of BTF structure `id` into `composite`: anonymous structs and unions
    /// flattened, bitfields recorded with their bit position. A type being flattened that
    /// contains itself (only in a hostile blob) is not entered again, nesting deeper than any kernel's stops, and so does
    /// a structure with more members than any kernel's.
    func addMembers(_ members: [BTFType.Member], of id: UInt32, to composite: CompositeType, from btf: BTF) {
        var budget = Self.flattenedMemberLimit
        addMembers(members, at: 0, to: composite, from: btf, flattening: [id], budget: &budget)
        // print() shows the anonymous structs and unions as the kernel declares them.
        if members.contains(where: { $0.name.isEmpty }) {
            composite.declaredMembers = members.prefix(Self.flattenedMemberLimit).compactMap { member in
                let type = importType(member.type, from: btf)
                // An unnamed bit-field is padding; an unnamed struct or union is a member of its own.
                guard !member.name.isEmpty || type.isComposite else { return nil }
                return (member.name, type, member.bitOffset / 8)
            }
        }
    }

    private func addMembers(_ members: [BTFType.Member], at base: Int, to composite: CompositeType, from btf: BTF,
                            flattening: Set<UInt32>, budget: inout Int) {
        for member in members {
            guard budget > 0 else { return }
            budget -= 1
            let type = importType(member.type, from: btf)
            let bitOffset = base + member.bitOffset
            if member.name.isEmpty {
                let inner = resolvedID(member.type, in: btf)
                if !flattening.contains(inner), flattening.count < Self.anonymousNestingLimit,
                   case .structure(_, _, _, let innerMembers)? = try? btf.type(inner) {
                    addMembers(innerMembers, at: bitOffset, to: composite, from: btf, flattening: flattening.union([inner]), budget: &budget)
                }
                continue
            }
            var bits = member.bitfieldSize
            var start = bitOffset
            if bits == 0, case .integer(_, let size, _, _, _, let encodedOffset, let encodedBits)? = try? btf.type(resolvedID(member.type, in: btf)),
               encodedBits != 0, encodedBits != size * 8 || encodedOffset != 0 {
                bits = encodedBits
                start += encodedOffset
            }
            if bits != 0 || start % 8 != 0 {
                composite.bitFields[member.name] = (start, bits == 0 ? type.size * 8 : bits)
            }
            composite.addMember(member.name, type, at: start / 8)
        }
    }

    /// Anonymous structs and unions nested in one another deeper than this are not
    /// flattened (the kernel's own nest a few levels).
    static let anonymousNestingLimit = 32
    /// The most members one structure takes in, its anonymous members' included (the
    /// kernel's largest has a few hundred): a hostile blob cannot make the import endless.
    static let flattenedMemberLimit = 1 << 16

    /// The ID behind typedefs and qualifiers.
    func resolvedID(_ id: UInt32, in btf: BTF) -> UInt32 {
        var current = id
        for _ in 0..<32 {
            switch try? btf.type(current) {
            case .typedef(_, let target)?, .qualifier(let target)?: current = target
            default: return current
            }
        }
        return current
    }
}
