// DTraceLanguage/AddressKeys: aggregation keys that are an address's text —
// `@[args[2]->ip_daddr] = count()`, `@[inet_ntoa(&ip->saddr)] = count()` — kept in the key
// as the address itself (DTraceText's AddressKey: a kind byte and the address's bytes, or
// a literal's text) and written as text by the consumer, as bpftrace keys by the raw
// address: the kernel copies 4 or 16 bytes instead of writing the text, and hashes a
// 24-byte key. A key qualifies when its expression (a translator member's definition
// included) is inet_ntoa(), inet_ntoa6() or inet_ntop() of kernel memory with constant
// family and form, or a ?: of those and string literals, in every use of the
// aggregation: the first compilation notes it (`observedAddressKeys`) and the program
// is compiled again with `learnedAddressKeys`, as narrower string keys are.

import DTraceIR
import DTraceText

extension Compiler {
    /// The address keys this compilation saw (every use of the slot an address's text):
    /// by aggregation, per key position, the slot's width; nil when there are none.
    public var addressKeysToLearn: [String: [Int?]]? {
        let found = observedAddressKeys.filter { $0.value.contains { $0 != nil } }
        return found.isEmpty || learnedAddressKeys == found ? nil : found
    }

    /// Notes one use's key at `position` of `name` (of `count` keys): its width as an
    /// address key, or nil.
    func observeAddressKey(_ name: String, position: Int, count: Int, width: Int?) {
        var slots = observedAddressKeys[name] ?? Array(repeating: width, count: count)
        guard slots.count == count else { observedAddressKeys[name] = Array(repeating: nil, count: max(slots.count, count)); return }
        if let current = slots[position], let width { slots[position] = max(current, width) } else { slots[position] = nil }
        observedAddressKeys[name] = slots
    }

    /// The width of `key` as an address key, or nil when it is not one. Nothing it
    /// evaluates to find out (a translator's input, a family) is kept.
    func addressKeyWidth(_ key: Expression) -> Int? {
        let saved = emitter
        defer { emitter = saved }
        guard let shape = try? withAddressTextSource(key, { (expression: Expression) throws(Diagnostic) -> AddressTextShape? in try addressTextShape(expression) }),
              shape.hasAddress else { return nil }
        return AddressKey.width(longestLiteral: shape.longestLiteral)
    }

    /// Compiles `key` as an address key of `width` bytes: a scratch buffer holding it.
    func compileAddressKey(_ key: Expression, width: Int) throws(Diagnostic) -> Value {
        let buffer = emitter.temporary(width)
        emitter.emit(.call(.zeroBytes, result: nil, arguments: [buffer, emitter.constant(Int64(width))]))
        try withAddressTextSource(key) { (expression: Expression) throws(Diagnostic) in try emitAddressText(expression, into: buffer, width: width) }
        return Value(register: buffer, type: .string)
    }

    /// What an address key's leaves are: whether one is an address, the longest literal.
    struct AddressTextShape {
        var hasAddress: Bool
        var longestLiteral: Int
    }

    /// Runs `body` on the expression whose text the key is: a translated member's
    /// definition (with the translator's input bound), or the key itself.
    func withAddressTextSource<T>(_ key: Expression, _ body: (Expression) throws(Diagnostic) -> T) throws(Diagnostic) -> T {
        guard case .member(let base, let name, let arrow) = key.kind, let translation = try translatedBase(base, arrow: arrow),
              let definition = translation.translator.members.last(where: { $0.name == name }),
              translation.translator.output.member(name)?.type.isString == true else { return try body(key) }
        return try withTranslatorInput(translation.translator, translation.input) { () throws(Diagnostic) in
            try asProviderArgument { () throws(Diagnostic) in try body(definition.value) }
        }
    }

    /// The shape of an address text expression, or nil when it is not one.
    func addressTextShape(_ expression: Expression) throws(Diagnostic) -> AddressTextShape? {
        switch expression.kind {
        case .string(let bytes):
            guard !bytes.contains(0) else { return nil }
            return AddressTextShape(hasAddress: false, longestLiteral: bytes.count)
        case .conditional(_, let then, let otherwise):
            guard let a = try addressTextShape(then), let b = try addressTextShape(otherwise) else { return nil }
            return AddressTextShape(hasAddress: a.hasAddress || b.hasAddress, longestLiteral: max(a.longestLiteral, b.longestLiteral))
        case .call:
            guard let leaf = try addressLeaf(expression) else { return nil }
            // The address must be kernel memory, read as the subroutine would read it.
            guard try rvalue(leaf.address).space == .tracee else { return nil }
            return AddressTextShape(hasAddress: true, longestLiteral: 0)
        default:
            return nil
        }
    }

    /// inet_ntoa(a), inet_ntoa6(a[, strict]) or inet_ntop(family, a) with constant family
    /// and form: the address expression and the slot's kind.
    func addressLeaf(_ expression: Expression) throws(Diagnostic) -> (address: Expression, kind: UInt8)? {
        guard case .call(let name, let arguments) = expression.kind, options.subroutines[name] != nil else { return nil }
        switch (name, arguments.count) {
        case ("inet_ntoa", 1):
            return (arguments[0], AddressKey.ipv4)
        case ("inet_ntoa6", 1):
            return (arguments[0], AddressKey.ipv6EmbeddedAlone)
        case ("inet_ntoa6", 2):
            guard let strict = try rvalue(arguments[1]).constant else { return nil }
            return (arguments[0], strict != 0 ? AddressKey.ipv6 : AddressKey.ipv6EmbeddedAlone)
        case ("inet_ntop", 2):
            switch try rvalue(arguments[0]).constant {
            case 2?: return (arguments[1], AddressKey.ipv4)
            case 10?: return (arguments[1], AddressKey.ipv6)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// Writes an address text expression's slot into `buffer` (zeroed): a ?: tests and
    /// writes one arm; an address leaf writes its kind and copies its bytes; a literal
    /// writes its text.
    func emitAddressText(_ expression: Expression, into buffer: Register, width: Int) throws(Diagnostic) {
        switch expression.kind {
        case .string(let bytes):
            let text = bytes + [0]
            var offset = 0
            while offset < text.count {
                let word = text[offset..<min(offset + 8, text.count)].enumerated().reduce(Int64(0)) { $0 | Int64($1.element) << (8 * Int64($1.offset)) }
                emitter.emit(.store(base: buffer, offset: AddressKey.textOffset + offset, value: emitter.constant(word), width: 8, space: .scratch))
                offset += 8
            }
        case .conditional(let condition, let then, let otherwise):
            let test = try rvalue(condition)
            let truth = try truthValue(test, line: expression.line)
            if let constant = test.constant { return try emitAddressText(constant != 0 ? then : otherwise, into: buffer, width: width) }
            let elseLabel = emitter.label(), endLabel = emitter.label()
            emitter.emit(.branchIfZero(truth, elseLabel))
            try emitAddressText(then, into: buffer, width: width)
            emitter.emit(.jump(endLabel))
            emitter.emit(.label(elseLabel))
            try emitAddressText(otherwise, into: buffer, width: width)
            emitter.emit(.label(endLabel))
        default:
            guard let leaf = try addressLeaf(expression) else {
                throw error(.aggregationDimensions, "address key is not an address's text", line: expression.line)
            }
            let address = try rvalue(leaf.address)
            emitter.emit(.store(base: buffer, offset: 0, value: emitter.constant(Int64(leaf.kind)), width: 1, space: .scratch))
            let ipv4 = leaf.kind == AddressKey.ipv4
            let destination = emitter.register()
            emitter.emit(.arithmetic(.add, destination, buffer, emitter.constant(Int64(ipv4 ? AddressKey.ipv4Offset : AddressKey.ipv6Offset))))
            emitter.emit(.call(.copyInKernel, result: nil, arguments: [destination, address.register, emitter.constant(ipv4 ? 4 : 16)]))
        }
    }
}
