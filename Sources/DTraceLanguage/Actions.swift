// DTraceLanguage/Actions: what the compiler itself does for calls — argument checks shared
// by every call (D_PROTO_LEN, D_PROTO_ARG), record building (presence flags, fields,
// values stored with their process), printf format checks, aggregation keys and updates —
// and the dispatch of actions, aggregating functions and subroutines to the library's
// definitions (DTraceLibrary), refusing D's names it does not define.

import DTraceText
import DTraceIR

enum Actions {
    /// Every action name D has (those the library does not define are refused with
    /// D_ACT_UNSUP, and none may be used in an expression).
    static let names: Set<String> = [
        "trace", "printf", "printa", "print", "exit", "speculate", "commit", "discard", "clear", "trunc",
        "normalize", "denormalize", "setopt", "tracemem", "bcopy", "raise", "stop", "system", "ftruncate",
        "freopen", "copyinto", "stack", "ustack", "jstack", "sym", "mod", "usym", "umod", "uaddr", "func", "ufunc",
        "breakpoint", "panic", "chill",
    ]
    static func isAction(_ name: String) -> Bool { names.contains(name) }

    /// The prototypes of D's actions this dtrace does not run (DTrace for Linux does not
    /// either): a call is checked against them (D_PROTO_LEN, D_PROTO_ARG) before it is
    /// refused, as DTrace checks a call before it finds it has no code for it.
    static let unrunPrototypes: [String: (count: ClosedRange<Int>, integers: Int)] = [
        "breakpoint": (0...0, 0), "panic": (0...0, 0), "stop": (0...0, 0), "chill": (1...1, 1), "jstack": (0...2, 2),
    ]
}

extension Compiler {
    func checkCount(_ name: String, _ arguments: [Expression], _ range: ClosedRange<Int>, line: Int) throws(Diagnostic) {
        guard range.contains(arguments.count) else {
            // As DTrace says it: "N expected", or "at least N" / "at most N" for a range.
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)"
                : arguments.count < range.lowerBound ? "at least \(range.lowerBound)" : "at most \(range.upperBound)"
            throw error(.prototypeLength, "\(name)( ) prototype mismatch: \(arguments.count) arg\(arguments.count == 1 ? "" : "s") passed, \(expected) expected", line: line)
        }
    }

    func argumentMismatch(_ name: String, _ index: Int, prototype: String, argument: DType, line: Int) -> Diagnostic {
        error(.prototypeArgument, "\(name)( ) argument #\(index) is incompatible with prototype:\n\tprototype: \(prototype)\n\t argument: \(argument)", line: line)
    }

    func stringArgument(_ name: String, _ arguments: [Expression], _ index: Int, line: Int) throws(Diagnostic) -> Value {
        let value = try rvalue(arguments[index])
        // A char * into alloca() memory is D's own string, as DTrace takes a DPTR.
        if let string = asString(value, pointers: value.pointsIntoAlloca, charactersOnly: true) {
            return value.pointsIntoAlloca ? Value(register: string.register, type: .string, space: .scratch) : string
        }
        // NULL (0, or a void pointer 0) is a char * as C has it: reading it faults at run
        // time, as in DTrace.
        if value.constant == 0, value.type.isInteger || Self.isVoidPointer(value.type) {
            return Value(register: value.register, type: .string)
        }
        throw argumentMismatch(name, index + 1, prototype: "char *", argument: value.type, line: line)
    }

    func integerArgument(_ name: String, _ arguments: [Expression], _ index: Int, line: Int, prototype: String = "int") throws(Diagnostic) -> Value {
        if arguments[index].isAggregationReference { throw argumentMismatch(name, index + 1, prototype: prototype, argument: .aggregation, line: line) }
        let value = try rvalue(arguments[index])
        guard value.type.isScalar else { throw argumentMismatch(name, index + 1, prototype: prototype, argument: value.type, line: line) }
        return value
    }

    func aggregationArgument(_ name: String, _ expression: Expression, index: Int, line: Int) throws(Diagnostic) -> AggregationInfo {
        guard case .aggregation(let aggregation) = expression.kind else {
            // Each action's own tag, as DTrace's.
            let tag = ["clear": "D_CLEAR_AGGARG", "trunc": "D_TRUNC_AGGARG", "normalize": "D_NORMALIZE_AGGARG",
                       "denormalize": "D_NORMALIZE_AGGARG"][name] ?? DiagnosticTag.printaAggregationArgument.rawValue
            throw Diagnostic(tag, "\(name)( ) argument #\(index) is incompatible with prototype:\n\tprototype: aggregation\n\t argument: \(try describeType(expression))", line: line)
        }
        guard let info = aggregations[aggregation] else {
            throw error(.undefinedIdentifier, "failed to resolve @\(aggregation): Unknown aggregation", line: line)
        }
        return info
    }

    func describeType(_ expression: Expression) throws(Diagnostic) -> String {
        if expression.isAggregationReference { return DType.aggregation.description }
        let saved = emitter
        defer { emitter = saved }
        return (try? rvalue(expression).type.description) ?? "unknown"
    }

    // MARK: record building



    /// Starts a record action: reserves and sets its presence flag.
    func beginAction() -> Int {
        let presence = record.reserve(8, isData: false)
        let address = emitter.scratchAddress(.record, presence)
        emitter.emit(.store(base: address, offset: 0, value: emitter.constant(1), width: 8, space: .scratch))
        return presence
    }

    /// After a data-recording action of a speculating clause: once the clause's data (with
    /// the record's 16-byte header) passes specsize, a speculative drop is counted and the
    /// clause ends there, as in Oracle's DTrace.
    func checkSpeculationRoom() {
        guard record.speculates, !record.speculationChecked, 16 + record.dataSize > options.speculationSize else { return }
        record.speculationChecked = true
        let dropped = emitter.call(.speculationDrop, [])
        let proceed = emitter.label()
        emitter.emit(.branchIfZero(dropped, proceed))
        emitter.emit(.returnFromClause)
        emitter.emit(.label(proceed))
    }

    /// Stores a value into the record and describes the field.
    func recordField(_ value: Value, line: Int, charactersAsString: Bool = true) -> RecordField {
        let type = value.type.resolved
        let kernelCharacters = value.space == .tracee && (type.isString || (charactersAsString && type.isArray && type.pointee?.size == 1))
        if type.isString || kernelCharacters {
            let offset = record.reserve(stringStorage)
            let address = emitter.scratchAddress(.record, offset)
            emitter.emit(.call(kernelCharacters ? .copyInKernelString : .stringCopy, result: nil, arguments: [address, value.register]))
            return RecordField(offset: offset, type: .string(size: stringStorage))
        }
        if type.isInteger || type.isPointer {
            let size = type.isPointer ? 8 : type.size
            let offset = record.reserve(8)
            let address = emitter.scratchAddress(.record, offset)
            // Recorded at the type's width, as DTrace records it (char + char wraps as a char).
            let stored = type.isInteger && size < 8 ? fit(value.register, type) : value.register
            emitter.emit(.store(base: address, offset: 0, value: stored, width: 8, space: .scratch))
            return RecordField(offset: offset, type: type.isPointer ? .pointer : .integer(size: size, signed: type.isSigned))
        }
        let size = max(type.size, 1)
        let offset = record.reserve(size)
        let address = emitter.scratchAddress(.record, offset)
        emitter.emit(.call(.copyBytes, result: nil, arguments: [value.register, address, emitter.constant(Int64(size))]))
        return RecordField(offset: offset, type: type.isFloatingPoint ? .floating(size: size) : .bytes(size: size))
    }

    /// A user stack's id or a user address, followed by the current process id, which the
    /// consumer needs to name the address (16 bytes, as DTrace records them).
    func recordWithProcess(_ value: Register, as type: ValueType) -> RecordField {
        let offset = record.reserve(16)
        program.recordsUserAddresses = true
        let address = emitter.scratchAddress(.record, offset)
        emitter.emit(.store(base: address, offset: 0, value: value, width: 8, space: .scratch))
        emitter.emit(.store(base: address, offset: 8, value: currentProcessID(), width: 8, space: .scratch))
        return RecordField(offset: offset, type: type)
    }

    func currentProcessID() -> Register { emitter.call(.readBuiltin(.pid), []) }

    func formatIndex(_ expression: Expression, name: String, line: Int) throws(Diagnostic) -> (Int, PrintfFormat) {
        guard case .string(let bytes) = expression.kind else {
            // Not a string at all: the prototype's string; a string computed at run time:
            // the constant a format must be.
            let described = try describeType(expression)
            if described == "string" || described.hasPrefix("char [") || described.hasPrefix("char *") {
                throw error(.printfArgumentFormat, "\(name)( ) argument #1 is incompatible with prototype:\n\tprototype: string constant\n\t argument: \(described)", line: line)
            }
            throw error(.prototypeArgument, "\(name)( ) argument #1 is incompatible with prototype:\n\tprototype: string\n\t argument: \(described)", line: line)
        }
        let text = RawText.string(bytes)
        let format: PrintfFormat
        if let message = PrintfFormat.syntaxError(in: text) { throw self.error(.syntax, message, line: line) }
        do { format = try PrintfFormat.parse(text) } catch {
            switch error {
            case .incomplete(let conversion), .unknownConversion(let conversion):
                throw self.error(.printfFormat, "\(name)( ) format string contains an invalid conversion: \"\(conversion)\"", line: line)
            }
        }
        program.formats.append(FormatDescriptor(text: text, format: format))
        return (program.formats.count - 1, format)
    }

    /// nil when a value of `type` may be given to the conversion; else the prototype the
    /// conversion wants, as DTrace's dictionary of conversions words it.
    static func conversionAccepts(_ conversion: PrintfConversion, _ type: DType) -> String? {
        switch conversion.conversion {
        case "d", "i", "o", "u", "x", "X", "c":
            return type.isScalar ? nil : "char, short, int, long, or long long"
        case "s", "S":
            return (type.isString || (type.isArray && type.pointee?.size == 1)) ? nil : "char [] or string (or use stringof)"
        case "k":
            return type.isScalar || type == .stack ? nil : "stack"
        case "p", "a", "A":
            return type.isScalar ? nil : "pointer or integer"
        case "Y", "T":
            return type.isInteger ? nil : "int64_t"
        case "e", "E", "f", "g", "G":
            // Only floating-point values (D has no conversion to them); %Le... a long double.
            if conversion.length == "L" { return type.isFloatingPoint && type.size == 16 ? nil : "long double" }
            return type.isFloatingPoint ? nil : "float, double, or long double"
        default:
            return nil
        }
    }

    // MARK: actions

    func compileAction(_ name: String, _ arguments: [Expression], line: Int) throws(Diagnostic) {
        guard let definition = options.actions[name] else {
            if let prototype = Actions.unrunPrototypes[name] {
                try checkCount(name, arguments, prototype.count, line: line)
                for index in arguments.indices.prefix(prototype.integers) {
                    _ = try integerArgument(name, arguments, index, line: line, prototype: name == "jstack" ? "uint32_t" : "int")
                }
            }
            throw error(.undefinedIdentifier, "\(name)( ) is not supported by this version of dtrace", line: line).tagged("D_ACT_UNSUP")
        }
        try definition.compile(ActionArguments(compiler: self, name: name, expressions: arguments, line: line))
    }

    /// Checks a format's conversions against the values given for them (printf(), system()...).
    /// `types` are the values' (printf) or the aggregation's keys' (printa, where %@ takes
    /// the aggregation's value and the keys may outnumber the conversions).
    func checkFormatArguments(_ name: String, _ format: PrintfFormat, _ types: [DType], forAggregation: Bool = false, line: Int) throws(Diagnostic) {
        if format.segments.isEmpty { throw error(.printfFormatEmpty, "\(name)( ) format string is empty", line: line) }
        var position = 0
        for (number, conversion) in format.conversions.enumerated() {
            if conversion.isAggregationValue && !forAggregation {
                throw error(.printfAggregationConversion, "%@ conversion requires an aggregation and is not for use with \(name)( )", line: line)
            }
            // A `*` width, then a `.*` precision, each an integer argument of its own.
            let stars = (conversion.width == .fromArgument ? ["*"] : []) + (conversion.precision == .fromArgument ? [".*"] : [])
            let conversionName = conversion.length + String(conversion.conversion)
            for star in stars {
                guard position < types.count else {
                    throw error(.printfDynamicArgumentMissing, "\(name)( ) prototype mismatch: conversion #\(number + 1) (%\(conversionName)) is missing a corresponding \"\(star)\" argument", line: line)
                }
                guard types[position].isInteger else {
                    throw error(.printfDynamicArgumentType, "\(name)( ) argument #\(position + 2) is incompatible with conversion #\(number + 1) prototype:\n\tconversion: % \(star) \(conversionName)\n\t prototype: int\n\t  argument: \(types[position])", line: line)
                }
                position += 1
            }
            if conversion.isAggregationValue { continue }
            guard position < types.count else {
                throw error(.printfArgumentMissing, "\(name)( ) prototype mismatch: conversion #\(number + 1) (%\(conversionName)) is missing a corresponding value argument", line: line)
            }
            if let prototype = Compiler.conversionAccepts(conversion, types[position]) {
                throw error(.printfArgumentType, "\(name)( ) argument #\(position + 2) is incompatible with conversion #\(number + 1) prototype:\n\tconversion: %\(conversionName)\n\t prototype: \(prototype)\n\t  argument: \(types[position])", line: line)
            }
            position += 1
        }
        if !forAggregation && position < types.count {
            throw error(.printfArgumentExtra, "\(name)( ) prototype mismatch: only \(position) arguments required by this format string", line: line)
        }
    }

    // MARK: aggregations

    func compileAggregation(_ target: Expression, _ value: Expression, line: Int) throws(Diagnostic) {
        var name = ""
        var keyExpressions: [Expression] = []
        switch target.kind {
        case .aggregation(let aggregation): name = aggregation
        case .index(let base, let keys):
            if case .aggregation(let aggregation) = base.kind { name = aggregation }
            keyExpressions = keys
        default: break
        }
        try checkTupleRegisters(keyExpressions.count)
        if case .index(let base, _) = target.kind, case .index(let inner, _) = base.kind, case .aggregation(let aggregation) = inner.kind {
            throw error(.aggregationDimensions, "improper attempt to reference @\(aggregation) as a multi-dimensional array", line: line)
        }
        guard case .call(let function, let arguments) = value.kind, options.aggregatingFunctions[function] != nil else {
            if case .call(let function, _) = value.kind, !Actions.isAction(function), options.actions[function] == nil,
               options.subroutines[function] == nil, function != "speculation" {
                throw error(.functionUndefined, "undefined function name: \(function)", line: line)
            }
            throw error(.aggregationFunction, "@\(name) must be assigned the result of an aggregating function", line: line)
        }
        var keys: [Value] = []
        var stackKeys: [Int: (frames: Int, user: Bool)] = [:]
        var symbolKeys: [Int: SymbolKind] = [:]
        // User stacks and addresses: the process id in the key's next 8 bytes.
        var processKeys: [Int: Register] = [:]
        // Keys their expressions write (DirectKeys): their slots' widths; of those, address keys.
        var directKeys: [Int: Int] = [:], addressKeys: [Int: Int] = [:]
        for (position, key) in keyExpressions.enumerated() {
            if case .call(let stackFunction, let stackArguments) = key.kind, stackFunction == "stack" || stackFunction == "ustack" {
                let frames = try stackFrames(stackFunction, stackArguments, line: line)
                stackKeys[position] = (frames, stackFunction == "ustack")
                program.usesStacks = true
                keys.append(Value(register: emitter.call(.stackID(user: stackFunction == "ustack"), []), type: .int64))
                if stackFunction == "ustack" { processKeys[position] = currentProcessID() }
                continue
            }
            if case .call(let symbolFunction, let symbolArguments) = key.kind, let kind = SymbolKind(function: symbolFunction) {
                try checkCount(symbolFunction, symbolArguments, 1...1, line: line)
                symbolKeys[position] = kind
                keys.append(Value(register: try integerArgument(symbolFunction, symbolArguments, 0, line: line, prototype: "uintptr_t").register, type: .uint64))
                if kind.isUser { processKeys[position] = currentProcessID() }
                continue
            }
            // stack(), sym() and their like were keys above; other actions have no value.
            if isActionCall(key) {
                throw error(.keyType, "void expression may not be used as aggregation index: key #\(position + 1)", line: line)
            }
            if key.isAggregationReference {
                throw error(.keyType, "aggregation expression may not be used as aggregation index: key #\(position + 1)", line: line)
            }
            // A key its expression writes in every use of the slot (DirectKeys): an address,
            // written as text by the consumer, or kernel text read straight into the slot.
            let learned = learnedDirectKeys[name].flatMap { $0.count == keyExpressions.count ? $0[position] : nil }
            observeDirectKey(name, position: position, count: keyExpressions.count, learned ?? directKey(key))
            if let learned {
                let width: Int
                switch learned {
                case .address(let addressWidth):
                    width = addressWidth
                    addressKeys[position] = addressWidth
                case .kernelText:
                    let bounded = boundedAggregationKeys[name].flatMap { position < $0.count ? $0[position] : nil }
                    width = min(stringStorage, bounded ?? stringStorage)
                }
                directKeys[position] = width
                keys.append(try compileDirectKey(key, learned, width: width))
                continue
            }
            var keyValue = try rvalue(key)
            if keyValue.isTranslatedPointer {
                throw error(.keyType, "\(keyValue.type) expression may not be used as aggregation index: key #\(position + 1)", line: line)
            }
            // A char array (a kernel structure's name field) is a string key, as in DTrace.
            if case .array(let element, _) = keyValue.type.resolved, element.size == 1, element.isInteger,
               let string = asString(keyValue, pointers: false, charactersOnly: true) { keyValue = string }
            guard keyValue.type.isScalar || keyValue.type.isString else {
                throw error(.operandNotScalar, "aggregation keys must be scalars or strings", line: line)
            }
            keys.append(keyValue)
        }
        let definition = options.aggregatingFunctions[function]!
        let call = try definition.compile(AggregationArguments(arguments: SubroutineArguments(compiler: self, name: function, expressions: arguments, line: line)))
        let aggregating = call.function
        let valueRegister = call.value, incrementRegister = call.increment
        let keyTypes = keys.map { $0.type.isString ? DType.string : $0.type }
        let bounds = keys.map { $0.type.isString ? $0.stringBound : nil }
        if let previous = observedKeyBounds[name] {
            observedKeyBounds[name] = previous.count == bounds.count ? zip(previous, bounds).map { a, b in a.flatMap { a in b.map { max(a, $0) } } }
                                                                    : bounds.map { _ in nil }
        } else {
            observedKeyBounds[name] = bounds
        }
        let info: AggregationInfo
        if let existing = aggregations[name] {
            if existing.function.name == aggregating.name, existing.function != aggregating,
               let (tag, message) = definition.parameterMismatch(previous: existing.function.parameters, current: aggregating.parameters) {
                throw Diagnostic(tag, message, line: line)
            }
            guard existing.function == aggregating else {
                throw error(.aggregationRedefined, "aggregation redefined: @\(name)\n\t current: \(function)( )\n\tprevious: \(existing.function.name)( )", line: line)
            }
            guard existing.keyTypes.count == keyTypes.count, zip(existing.keyTypes, keyTypes).allSatisfy({ $0.isString == $1.isString }) else {
                throw error(.aggregationDimensions, "@\(name)[ ] key #\(keyTypes.count) is incompatible with its previous use", line: line)
            }
            info = existing
        } else {
            var offset = 0, nominalSize = 0
            var fields: [RecordField] = []
            var widths: [Int] = []
            let bounded = boundedAggregationKeys[name]
            for (position, type) in keyTypes.enumerated() {
                var width = keySlotSize(type)
                nominalSize += processKeys[position] != nil ? 16 : width
                if type.isString, let bounded, position < bounded.count, let narrow = bounded[position] { width = min(width, narrow) }
                if processKeys[position] != nil { width = 16 }
                if let addressWidth = addressKeys[position] { width = addressWidth }
                if let stack = stackKeys[position] { fields.append(RecordField(offset: offset, type: .stack(frames: stack.frames, user: stack.user))) }
                else if let kind = symbolKeys[position] { fields.append(RecordField(offset: offset, type: .symbol(kind))) }
                else if addressKeys[position] != nil { fields.append(RecordField(offset: offset, type: .addressText(size: width))) }
                else if type.isString { fields.append(RecordField(offset: offset, type: .string(size: width))) }
                else if type.isPointer { fields.append(RecordField(offset: offset, type: .pointer)) }
                else { fields.append(RecordField(offset: offset, type: .integer(size: max(1, type.size), signed: type.isSigned))) }
                widths.append(width)
                offset += width
            }
            let id = program.aggregations.count
            var descriptor = AggregationDescriptor(id: id, name: name, function: aggregating, keyFields: fields, keySize: offset)
            descriptor.nominalKeySize = nominalSize
            program.aggregations.append(descriptor)
            info = AggregationInfo(id: id, function: aggregating, keyTypes: keyTypes, callText: function, keyWidths: widths)
            aggregations[name] = info
        }
        // A narrowed slot only ever receives what the prescan saw; anything else is a
        // program the prescan did not cover (a text compiled on its own), refused.
        for (position, key) in keyExpressions.enumerated() where info.keyTypes[position].isString && info.keyWidths[position] < stringStorage && directKeys[position] == nil {
            guard let bound = keys[position].stringBound ?? Compiler.stringKeyBound(key), bound <= info.keyWidths[position] else { throw error(.aggregationDimensions, "@\(name)[ ] key #\(position + 1) is wider than its previous uses", line: line) }
        }
        let key = keys.isEmpty ? emitter.constant(0) : try buildKey(keys, keyTypes: info.keyTypes, widths: info.keyWidths, companions: processKeys, rawKeys: Set(directKeys.keys),
                                                                 room: AggregationDescriptor.keyRoom, line: line)
        if !processKeys.isEmpty {
            program.notesProcesses = true
            emitter.emit(.call(.noteProcess, result: nil, arguments: []))
        }
        emitter.emit(.call(.aggregate(aggregation: info.id), result: nil, arguments: [key, valueRegister, incrementRegister]))
    }

    // MARK: subroutines

    func callSubroutine(_ name: String, _ arguments: [Expression], line: Int) throws(Diagnostic) -> Value {
        if let definition = options.subroutines[name] {
            try noteAttributes(.ofBuiltin(name), of: "function \(name)( )", line: line)
            let result = try definition.compile(SubroutineArguments(compiler: self, name: name, expressions: arguments, line: line))
            var value = Value(register: result.register, type: result.type)
            value.pointsIntoAlloca = result.pointsIntoAlloca
            value.stringBound = result.stringBound
            return value
        }
        switch name {
        case "speculation":
            try checkCount(name, arguments, 0...0, line: line)
            return Value(register: emitter.call(.speculation, []), type: .int)
        default:
            if Actions.isAction(name) || options.actions[name] != nil {
                // As in DTrace, an action is a void expression: what uses it says why it cannot.
                return Value(register: emitter.constant(0), type: .void)
            }
            if options.aggregatingFunctions[name] != nil {
                throw error(.aggregationFunction, "\(name)( ) may only be used as the value of an aggregation", line: line)
            }
            throw error(.functionUndefined, "undefined function name: \(name)", line: line)
        }
    }
}

extension Diagnostic {
    func tagged(_ tag: String) -> Diagnostic { var copy = self; copy.tag = tag; return copy }
}

extension Compiler {
    /// stack(n) / ustack(n): the number of frames to show (by default the stackframes
    /// option, 20, or ustackframes, 100), at most maxframes and the 127 a stack holds.
    func stackFrames(_ name: String, _ arguments: [Expression], line: Int) throws(Diagnostic) -> Int {
        try checkCount(name, arguments, name == "ustack" ? 0...2 : 0...1, line: line)
        let most = min(127, frameOption("maxframes", default: 127))
        guard let first = arguments.first else {
            return min(most, name == "ustack" ? frameOption("ustackframes", default: 100) : frameOption("stackframes", default: 20))
        }
        let saved = emitter
        let count = try rvalue(first)
        emitter = saved
        guard count.type.isScalar else { throw argumentMismatch(name, 1, prototype: "uint32_t", argument: count.type, line: line) }
        guard let constant = count.constant, count.type.isInteger, constant > 0 else {
            throw error(.prototypeArgument, "\(name)( ) argument #1 must be a non-zero positive integer constant", line: line)
                .tagged(name == "ustack" ? "D_USTACK_FRAMES" : "D_STACK_SIZE")
        }
        if name == "ustack", arguments.count == 2 {
            // The string space for frames a helper names: a constant, not negative.
            let size = try rvalue(arguments[1])
            emitter = saved
            guard size.type.isScalar else { throw argumentMismatch(name, 2, prototype: "uint32_t", argument: size.type, line: line) }
            guard let bytes = size.constant, size.type.isInteger, bytes >= 0 else {
                throw error(.prototypeArgument, "ustack( ) argument #2 must be a positive integer constant", line: line).tagged("D_USTACK_STRSIZE")
            }
        }
        return Int(min(constant, Int64(most)))
    }
}
