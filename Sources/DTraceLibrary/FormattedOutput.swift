// DTraceLibrary/FormattedOutput: printf(format, ...), system(format, ...) and
// freopen(format, ...) — the arguments checked against the format's conversions and
// recorded; the consumer formats them with the C library's conversions. system() runs the
// text as a shell command; freopen() moves the traced output to the file the text names
// ("" moves it back). Both are destructive.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct FormattedOutput: ActionDefinition {
    var names: [String] { ["printf", "system", "freopen"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        if call.name != "printf" { call.markDestructive() }
        guard call.count > 0 else { throw call.error(.prototypeLength, "\(call.name)( ) prototype mismatch: 0 args passed, at least 1 expected") }
        // As in DTrace, the arguments are checked before the format is.
        var values: [ActionValue] = []
        for position in 1..<max(1, call.count) { values.append(try call.formatValue(position)) }
        var (index, format) = try call.format(0)
        if call.name == "freopen" {
            // "" restores the output: DTrace stands "." for it (which no file can be
            // opened as), so a "." written in the program is refused.
            let text = try call.stringLiteral(0)
            if text == "." { throw call.error(.freopenInvalid, "freopen( ) argument #1 cannot be \".\"") }
            if text.isEmpty { format = PrintfFormat(segments: [.literal(".")]) }
        }
        try call.checkFormatArguments(format, values)
        let presence = call.beginAction()
        let fields = values.map(call.recordField)
        call.addAction(FormattedOutputUse(action: call.name, format: index), fields: fields, presence: presence)
    }
}

/// One printf(), system() or freopen() with its format.
struct FormattedOutputUse: ConsumedAction {
    let action: String
    let format: Int
    var description: String { "\(action)(#\(format))" }
    var waitsForProbes: Bool { action == "system" }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        let text = consumer.formatted(format, fields: fields, record: record)
        switch action {
        case "system": consumer.runCommand(text)
        case "freopen": consumer.freopen(text)
        default: consumer.write(text)
        }
    }

    /// printf: the format, the text and the arguments; system: the command (its output
    /// goes to standard error under -x oformat=json); freopen: the file ("" restores).
    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        let text = consumer.formatted(format, fields: fields, record: record)
        switch action {
        case "printf":
            return .object([("action", .string("printf")), ("format", .string(consumer.formatText(format))), ("output", .string(text)),
                            ("args", .array(consumer.jsonArguments(fields, record: record)))])
        case "system": return .object([("action", .string("system")), ("command", .string(text))])
        case "freopen": return .object([("action", .string("freopen")), ("file", .string(text))])
        default: return nil
        }
    }
}
