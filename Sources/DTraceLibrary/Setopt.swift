// DTraceLibrary/Setopt: setopt(name[, value]) — an option changed while tracing (quiet, the
// aggregation sort options and printsize; the others are accepted and change nothing here).
// Name and value are strings, constant or computed when the clause runs. As in Oracle's
// DTrace, an option that cannot change is reported as an error of the firing and tracing
// goes on: an unknown name, a bad value, or an option fixed once tracing has started.

import DTraceText
import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct Setopt: ActionDefinition {
    var names: [String] { ["setopt"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(1...2)
        var texts: [SetoptUse.Text] = []
        var values: [ActionValue] = []
        for position in 0..<call.count {
            if call.isStringLiteral(position) { texts.append(.constant(try call.stringLiteral(position))); continue }
            let value = try call.value(position)
            guard value.type.isString else { throw call.argumentMismatch(position + 1, prototype: "char *", argument: value.type) }
            texts.append(.recorded(values.count))
            values.append(value)
        }
        let presence = call.beginAction()
        call.addAction(SetoptUse(name: texts[0], value: texts.count > 1 ? texts[1] : nil), fields: values.map(call.recordField), presence: presence)
    }
}

struct SetoptUse: ConsumedAction {
    /// A string of the call: written in the program, or the record's field N.
    enum Text: Sendable, Equatable { case constant(String), recorded(Int) }
    let name: Text
    let value: Text?
    var description: String { "setopt(\(name), \(value.map { "\($0)" } ?? "-"))" }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        func text(_ text: Text) -> String {
            switch text {
            case .constant(let string): return string
            case .recorded(let index):
                guard case .string(let size) = fields[index].type else { return "" }
                return RawText.string(consumer.string(record, fields[index], size: size))
            }
        }
        let name = text(self.name), value = self.value.map(text)
        if let problem = consumer.setOption(name, value) {
            consumer.reportLibraryError("couldn't set option \"\(name)\" to \"\(value ?? "1")\": \(problem)\n")
        }
    }
}
