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
        var format: Int?
        var first = 0
        if call.isStringLiteral(0) {
            format = try call.format(0).index
            first = 1
            guard call.count > 1 else { throw call.error(.printaProto, "printa( ) prototype mismatch: 1 arg passed, at least 2 expected") }
        }
        var ids: [Int] = []
        for index in first..<call.count { ids.append(try call.aggregation(index, position: index + 1)) }
        let presence = call.beginAction()
        call.addAction(PrintaUse(format: format, aggregations: ids), fields: [], presence: presence)
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
