// DTraceConsumer/ConsumedAction: what an action of the D library does when a record
// holding it arrives, and the consumer's services it does it with — output, record
// fields, printf formats, the aggregations (print, clear, trunc, normalize), options,
// stacks and symbol names, exit(); under -x oformat=json the action's entry in its
// firing's object. Each action's own file (DTraceLibrary) conforms.

import DTraceIR
import DTraceSystem

public protocol ConsumedAction: ActionOutput {
    /// Runs for a firing whose record holds this action (its presence flag set).
    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer)

    /// -x oformat=json: this action's entry in the firing's "actions" (docs/JSON-OUTPUT.md),
    /// asked after `perform` ran. nil: the text `perform` wrote, if any, as
    /// {"action": name, "output": text}.
    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue?
}

extension ConsumedAction {
    public func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? { nil }
}

extension Consumer {
    /// Appends to the output (flushed at the end of the record).
    public func write(_ text: String) {
        if capturedText != nil { capturedText! += text } else { output.write(text) }
    }

    /// ftruncate(): the output so far flushed and its file emptied.
    public func truncateOutput() {
        if capturedText != nil { capturedText = "" }
        output.truncate()
    }

    /// Whether the output is JSON (-x oformat=json).
    public var isJSON: Bool { options.format == .json }

    /// -q (quiet) is in effect.
    public var isQuiet: Bool { options.quiet }

    /// The integer in `field` of the record (8 bytes).
    public func integer(_ record: [UInt8], _ field: RecordField) -> Int64 { RecordReader.integer(record, at: field.offset, size: 8) }

    /// The NUL-terminated string in `field` of the record, at most `size` bytes.
    public func string(_ record: [UInt8], _ field: RecordField, size: Int) -> [UInt8] { RecordReader.string(record, at: field.offset, size: size) }

    /// `size` bytes of `field` of the record (fewer when the record is short).
    public func bytes(_ record: [UInt8], _ field: RecordField, size: Int) -> [UInt8] {
        Array(record[min(record.count, field.offset)..<min(record.count, field.offset + size)])
    }

    /// A printf format of the program applied to the fields.
    public func formatted(_ format: Int, fields: [RecordField], record: [UInt8]) -> String {
        formatPrintf(program.formats[format].format, fields: fields, bytes: record)
    }

    /// Runs a shell command now, its output on dtrace's own standard output, in order
    /// (on standard error under -x oformat=json, which keeps the output JSON).
    public func runCommand(_ command: String) {
        output.flush()
        Shell.run(command, output: isJSON ? 2 : output.descriptor)
    }

    /// printf()'s arguments as JSON: integers and floating-point values as numbers (a long
    /// double as the nearest double), strings and symbol names as strings.
    public func jsonArguments(_ fields: [RecordField], record: [UInt8]) -> [JSONValue] {
        arguments(fields, record).map { argument in
            switch argument {
            case .integer(let value, let size, let signed): return JSONValue.recorded(value, size: size, signed: signed)
            case .string(let bytes): return .text(bytes)
            case .floating(.double(let number)): return .number(number)
            case .floating(.extended(let sign, let exponent, let significand)):
                return .number(CFormat.longDoubleValue(sign: sign, exponent: exponent, significand: significand))
            }
        }
    }

    /// The text of a printf format of the program.
    public func formatText(_ format: Int) -> String { program.formats[format].text }

    /// A recorded stack's frames, leaf first, as stack() names them.
    public func stackFrames(_ record: [UInt8], _ field: RecordField, frames: Int, user: Bool) -> [String] {
        StackText.names(record, field, frames: frames, user: user, source: stackSource, symbols: userSymbols)
    }

    /// A recorded address's name as sym(), mod(), usym()... give it, unpadded.
    public func symbolText(_ kind: SymbolKind, _ record: [UInt8], _ field: RecordField) -> String {
        SymbolText.text(kind, record, field, user: userSymbols)
    }

    /// printa(): the aggregations `ids` together, with a format of the program or the default layout.
    public func printAggregations(_ ids: [Int], format: Int?) {
        printAggregations(ids, format: format.map { program.formats[$0].format }, formatText: format.map { program.formats[$0].text })
    }

    /// exit(status): tracing stops after this firing; dtrace exits with the last status
    /// given (an END clause's exit() overrides the one that stopped tracing), as DTrace.
    public func requestExit(_ status: Int32) { exitStatus = status }

    /// clear(@a): every value back to its initial words, keys kept.
    public func clearAggregation(_ id: Int) {
        aggregationBackend?.refresh()
        aggregations.clear(id)
        aggregationBackend?.cleared(id)
    }

    /// trunc(@a[, n]): all keys, or all but the n largest (n < 0: smallest).
    public func truncateAggregation(_ id: Int, keep: Int64?) {
        aggregationBackend?.refresh()
        aggregations.truncate(id, keep: keep, options: options)
        aggregationBackend?.truncated(id, keeping: aggregations.keys(id))
    }

    /// normalize(@a, n) and denormalize(@a) (n = 1).
    public func normalizeAggregation(_ id: Int, _ normal: Int64) { aggregations.normalize(id, normal) }

    /// setopt(name[, value]): the option set through the session's table of options
    /// (`optionSetter`: the same checks as -x and #pragma D option); the consumer takes
    /// the output options that result. An option the table refuses changes nothing.
    /// setopt(): sets an option while tracing; nil, or why it cannot be set.
    public func setOption(_ name: String, _ value: String?) -> String? {
        guard let optionSetter else { return nil }
        switch optionSetter(name, value) {
        case .success(let options): self.options = options; return nil
        case .failure(let problem): return problem.description
        }
    }

    /// An error of the firing being consumed that is not a fault (DTrace's library
    /// errors): "dtrace: error in dt_clause_N for probe ID ... : " and the message.
    public func reportLibraryError(_ message: String) {
        flush()
        guard let (clause, probe) = firing else { errors.write("dtrace: \(message)\n"); return }
        errors.write("dtrace: error in dt_clause_\(clauseNumber(clause)) for probe ID \(probe.id) (\(probe.fullName)): \(message)\n")
    }

    /// A recorded stack, a frame a line.
    public func stackText(_ record: [UInt8], _ field: RecordField, frames: Int, user: Bool) -> String {
        StackText.render(record, field, frames: frames, user: user, source: stackSource, symbols: userSymbols)
    }

    /// A recorded address named as sym(), mod(), usym()... name it, padded as dtrace(1M) does.
    public func symbolField(_ kind: SymbolKind, _ record: [UInt8], _ field: RecordField) -> String {
        SymbolText.field(kind, record, field, user: userSymbols)
    }

    /// print()'s text for the bytes `address` points to, laid out by their type (as many
    /// bytes as the printsize option lets it show).
    public func printed(address: UInt64, _ type: PrintType, _ data: [UInt8]) -> String {
        PrintWalk.render(address: address, type: type, bytes: data, printSize: options.printSize)
    }
}
