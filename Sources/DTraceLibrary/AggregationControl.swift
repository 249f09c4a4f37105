// DTraceLibrary/AggregationControl: clear(@a), trunc(@a[, n]), normalize(@a, n) and
// denormalize(@a) — the consumer changes the aggregation (and the kernel engine's maps
// with it) when the firing's record arrives.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct AggregationControl: ActionDefinition {
    var names: [String] { ["clear", "trunc", "normalize", "denormalize"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        switch call.name {
        case "trunc":
            try call.expect(1...2)
            let id = try call.aggregation(0, position: 1)
            let count = call.count == 2 ? try call.integer(1) : nil
            let presence = call.beginAction()
            let fields = count.map { [call.recordInt64($0.register)] } ?? []
            call.addAction(AggregationChange(change: .truncate(keeps: count != nil), aggregation: id), fields: fields, presence: presence)
        case "normalize":
            try call.expect(2...2)
            let id = try call.aggregation(0, position: 1)
            let normal = try call.integer(1)
            let presence = call.beginAction()
            call.addAction(AggregationChange(change: .normalize, aggregation: id), fields: [call.recordInt64(normal.register)], presence: presence)
        default:
            try call.expect(1...1)
            let id = try call.aggregation(0, position: 1)
            let presence = call.beginAction()
            call.addAction(AggregationChange(change: call.name == "clear" ? .clear : .denormalize, aggregation: id), fields: [], presence: presence)
        }
    }
}

struct AggregationChange: ConsumedAction {
    enum Change: Equatable { case clear, denormalize, normalize, truncate(keeps: Bool) }
    let change: Change
    let aggregation: Int
    var description: String { "\(change)(@\(aggregation))" }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        switch change {
        case .clear: consumer.clearAggregation(aggregation)
        case .denormalize: consumer.normalizeAggregation(aggregation, 1)
        case .normalize: consumer.normalizeAggregation(aggregation, consumer.integer(record, fields[0]))
        case .truncate(let keeps): consumer.truncateAggregation(aggregation, keep: keeps ? consumer.integer(record, fields[0]) : nil)
        }
    }
}
