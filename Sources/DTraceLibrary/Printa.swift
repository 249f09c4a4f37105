// DTraceLibrary/Printa: printa([format, ] @a[, @b...]) — the aggregations printed now,
// jointly when several are given, with the format or DTrace's default layout.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Printa: ActionDefinition {
    var names: [String] { ["printa"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        guard call.count > 0 else { throw call.error(.prototypeLength, "printa( ) prototype mismatch: 0 args passed, at least 1 expected") }
        var format: (index: Int, format: PrintfFormat)?
        var first = 0
        if call.isStringLiteral(0) {
            format = try call.format(0)
            first = 1
            guard call.count > 1 else { throw call.error(.printaProto, "printa( ) prototype mismatch: 1 args passed, 2 expected") }
        }
        var ids: [Int] = []
        var firstSignature: (name: String, keys: [DType])?
        for index in first..<call.count {
            ids.append(try call.aggregation(index, position: index + 1))
            // As DTrace's dt_printa_validate: printed jointly, the aggregations' keys match.
            let signature = try call.aggregationSignature(index)
            if let first = firstSignature {
                try Self.checkKeysMatch(first, signature, call)
            } else {
                firstSignature = signature
            }
            if let format { try call.checkFormatKeys(format.format, signature.keys) }
        }
        let presence = call.beginAction()
        call.addAction(PrintaUse(format: format?.index, aggregations: ids), fields: [], presence: presence)
    }

    static func checkKeysMatch(_ first: (name: String, keys: [DType]), _ other: (name: String, keys: [DType]), _ call: ActionArguments) throws(Diagnostic) {
        func plural(_ count: Int) -> String { "\(count) key\(count == 1 ? "" : "s")" }
        guard first.keys.count == other.keys.count else {
            throw call.error(.printaKeyCount, "printa( ): @\(first.name) and @\(other.name) do not have matching key signatures: @\(first.name) has \(plural(first.keys.count)), @\(other.name) has \(plural(other.keys.count))")
        }
        for (position, (a, b)) in zip(first.keys, other.keys).enumerated() {
            if (a.isInteger && b.isInteger) || (a.isString && b.isString) || a == b { continue }
            let left = String(repeating: " ", count: max(0, 9 - first.name.count)) + first.name
            let right = String(repeating: " ", count: max(0, 9 - other.name.count)) + other.name
            throw call.error(.printaKeyType, "printa( ): @\(other.name)[ ] key #\(position + 1) is incompatible with @\(first.name):\n\(left) key #\(position + 1): \(a)\n\(right) key #\(position + 1): \(b)")
        }
    }
}

struct PrintaUse: ConsumedAction {
    let format: Int?
    let aggregations: [Int]
    var description: String { "printa(\(format.map(String.init) ?? "-"), \(aggregations))" }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        consumer.printAggregations(aggregations, format: format)
    }
}
