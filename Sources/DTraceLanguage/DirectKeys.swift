// DTraceLanguage/DirectKeys: aggregation keys whose slot the key's own expression writes,
// with no string built first and copied after.
// - Address keys — `@[args[2]->ip_daddr] = count()`, `@[inet_ntoa(&ip->saddr)] = count()` —
//   hold the address itself (DTraceText's AddressKey: a kind byte and the address's bytes,
//   or a literal's text) and the consumer writes the text, as bpftrace keys by the raw
//   address: the kernel copies 4 or 16 bytes instead of writing the text, and hashes a
//   24-byte key. The expression (a translator member's definition included) is inet_ntoa(),
//   inet_ntoa6() or inet_ntop() of kernel memory with constant family and form, or a ?: of
//   those and string literals.
// - Kernel text keys — `@[args[1]->dev_statname] = count()` — are a ?: of string literals
//   and kernel char arrays (`stringof(name->dn_name)`): each arm writes its text straight
//   into the slot (the array read with one bounded probe read), where a string would be read
//   into a temporary and then copied into the key.
// A key qualifies when it is one of these in every use of the aggregation: the first
// compilation notes it (`observedDirectKeys`) and the program is compiled again with
// `learnedDirectKeys`, as narrower string keys are. A key that is the aggregation's only
// one is its slot's buffer itself.

import DTraceIR
import DTraceText

/// How a key slot is written by its expression.
public enum DirectKey: Equatable, Sendable {
    /// An address key of `width` bytes (AddressKey).
    case address(width: Int)
    /// Kernel text written in place; the slot is as wide as the string key would be.
    case kernelText
}

extension Compiler {
    /// The direct keys this compilation saw (every use of the slot one of the same kind):
    /// by aggregation, per key position; nil when there are none or they are known already.
    public var directKeysToLearn: [String: [DirectKey?]]? {
        let found = observedDirectKeys.filter { $0.value.contains { $0 != nil } }
        return found.isEmpty || learnedDirectKeys == found ? nil : found
    }

    /// Notes one use's key at `position` of `name` (of `count` keys).
    func observeDirectKey(_ name: String, position: Int, count: Int, _ key: DirectKey?) {
        var slots = observedDirectKeys[name] ?? Array(repeating: nil, count: count)
        var seen = observedDirectKeyPositions[name] ?? []
        guard slots.count == count else { observedDirectKeys[name] = Array(repeating: nil, count: max(slots.count, count)); return }
        if seen.insert(position).inserted {
            slots[position] = key
        } else {
            switch (slots[position], key) {
            case (.address(let a)?, .address(let b)?): slots[position] = .address(width: max(a, b))
            case (.kernelText?, .kernelText?): break
            default: slots[position] = nil
            }
        }
        observedDirectKeys[name] = slots
        observedDirectKeyPositions[name] = seen
    }

    /// What `key` is as a direct key, or nil. Nothing it evaluates to find out (a
    /// translator's input, a family) is kept.
    func directKey(_ key: Expression) -> DirectKey? {
        let saved = emitter
        defer { emitter = saved }
        guard let shape = try? withKeySource(key, { (expression: Expression) throws(Diagnostic) -> KeyShape? in try keyShape(expression) }) else { return nil }
        if shape.hasAddress && !shape.hasKernelText { return .address(width: AddressKey.width(longestLiteral: shape.longestLiteral)) }
        if shape.hasKernelText && !shape.hasAddress { return .kernelText }
        return nil
    }

    /// Compiles `key` as the direct key `kind` of `width` bytes: a scratch buffer holding it.
    func compileDirectKey(_ key: Expression, _ kind: DirectKey, width: Int) throws(Diagnostic) -> Value {
        // Alone in its key, the buffer is the key (`buildKey`): room for the CPU after it.
        let buffer = emitter.temporary(width + AggregationDescriptor.keyRoom)
        emitter.emit(.call(.zeroBytes, result: nil, arguments: [buffer, emitter.constant(Int64(width))]))
        try withKeySource(key) { (expression: Expression) throws(Diagnostic) in
            try emitKey(expression, kind, into: buffer, width: width)
        }
        return Value(register: buffer, type: .string)
    }

    /// What a direct key's leaves are: addresses, kernel text, the longest literal.
    struct KeyShape {
        var hasAddress = false
        var hasKernelText = false
        var longestLiteral = 0
    }

    /// Runs `body` on the expression whose text the key is: a translated member's
    /// definition (with the translator's input bound), or the key itself.
    func withKeySource<T>(_ key: Expression, _ body: (Expression) throws(Diagnostic) -> T) throws(Diagnostic) -> T {
        guard case .member(let base, let name, let arrow) = key.kind, let translation = try translatedBase(base, arrow: arrow),
              let definition = translation.translator.members.last(where: { $0.name == name }),
              translation.translator.output.member(name)?.type.isString == true else { return try body(key) }
        return try withTranslatorInput(translation.translator, translation.input) { () throws(Diagnostic) in
            try asProviderArgument { () throws(Diagnostic) in try body(definition.value) }
        }
    }

    /// The shape of a direct key's expression, or nil when it is not one.
    func keyShape(_ expression: Expression) throws(Diagnostic) -> KeyShape? {
        switch expression.kind {
        case .string(let bytes):
            guard !bytes.contains(0) else { return nil }
            return KeyShape(longestLiteral: min(bytes.count, options.stringSize))
        case .conditional(_, let then, let otherwise):
            guard let a = try keyShape(then), let b = try keyShape(otherwise) else { return nil }
            return KeyShape(hasAddress: a.hasAddress || b.hasAddress, hasKernelText: a.hasKernelText || b.hasKernelText,
                            longestLiteral: max(a.longestLiteral, b.longestLiteral))
        case .call:
            guard let leaf = try addressLeaf(expression) else { return nil }
            // The address must be kernel memory, read as the subroutine would read it.
            guard try rvalue(leaf.address).space == .tracee else { return nil }
            return KeyShape(hasAddress: true)
        case .stringof(let operand):
            guard try kernelCharacters(operand) != nil else { return nil }
            return KeyShape(hasKernelText: true)
        default:
            return nil
        }
    }

    /// A char array in kernel memory: its address.
    func kernelCharacters(_ operand: Expression) throws(Diagnostic) -> Register? {
        let value = try rvalue(operand)
        guard value.space == .tracee, case .array(let element, _) = value.type.resolved, element.size == 1, element.isInteger else { return nil }
        return value.register
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

    /// Writes a direct key's expression into `buffer` (zeroed): a ?: tests and writes one
    /// arm; an address leaf writes its kind and copies its bytes; kernel text is read into
    /// the slot, at most `width` bytes with its NUL; a literal writes its text (after an
    /// address key's kind byte and padding, at the start of a text key).
    func emitKey(_ expression: Expression, _ kind: DirectKey, into buffer: Register, width: Int) throws(Diagnostic) {
        switch expression.kind {
        case .string(let bytes):
            // A string constant is at most strsize characters, and the slot holds its NUL.
            let start = kind == .kernelText ? 0 : AddressKey.textOffset
            let text = Array(bytes.prefix(max(0, min(options.stringSize, width - 1 - start)))) + [0]
            var offset = 0
            while offset < text.count {
                let word = text[offset..<min(offset + 8, text.count)].enumerated().reduce(Int64(0)) { $0 | Int64($1.element) << (8 * Int64($1.offset)) }
                emitter.emit(.store(base: buffer, offset: start + offset, value: emitter.constant(word), width: 8, space: .scratch))
                offset += 8
            }
        case .conditional(let condition, let then, let otherwise):
            let test = try rvalue(condition)
            let truth = try truthValue(test, line: expression.line)
            if let constant = test.constant { return try emitKey(constant != 0 ? then : otherwise, kind, into: buffer, width: width) }
            let elseLabel = emitter.label(), endLabel = emitter.label()
            emitter.emit(.branchIfZero(truth, elseLabel))
            try emitKey(then, kind, into: buffer, width: width)
            emitter.emit(.jump(endLabel))
            emitter.emit(.label(elseLabel))
            try emitKey(otherwise, kind, into: buffer, width: width)
            emitter.emit(.label(endLabel))
        case .stringof(let operand):
            guard let address = try kernelCharacters(operand) else {
                throw error(.aggregationDimensions, "key is not kernel text", line: expression.line)
            }
            emitter.emit(.call(.copyInKernelString, result: nil, arguments: [buffer, address, emitter.constant(Int64(width))]))
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
