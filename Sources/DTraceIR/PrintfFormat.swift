// DTraceIR/PrintfFormat: the parsed form of a D printf/printa format string, shared by
// the compiler (which checks arguments against conversions) and the consumer (which
// formats records). Parsing never fails silently: a bad conversion is an error value.

public struct PrintfConversion: Sendable, Equatable {
    public enum Amount: Sendable, Equatable { case none, fixed(Int), fromArgument }
    /// Written widths and precisions count up to this (16M: a line of ten million
    /// blanks prints, as in DTrace; a width of billions does not exhaust memory).
    public static let widthLimit = 1 << 24
    public var flags: String          // any of "-+ #0'" in the order written
    public var width: Amount
    public var precision: Amount
    public var length: String         // "", "h", "hh", "l", "ll", "L", "z", "j", "t", "w"
    public var conversion: Character  // d i u o x X c s S e E f F g G p a A k Y T @ ...
    public var isAggregationValue: Bool // the '@' flag: the aggregation's value (printa)
    public var text: String            // as written, for messages

    public init(flags: String, width: Amount, precision: Amount, length: String, conversion: Character, isAggregationValue: Bool, text: String) {
        self.flags = flags; self.width = width; self.precision = precision; self.length = length
        self.conversion = conversion; self.isAggregationValue = isAggregationValue; self.text = text
    }

    /// How many arguments the conversion consumes (stars included).
    public var argumentCount: Int {
        var count = conversion == "%" ? 0 : 1
        if width == .fromArgument { count += 1 }
        if precision == .fromArgument { count += 1 }
        return count
    }
}

public enum PrintfSegment: Sendable, Equatable {
    case literal(String)
    case conversion(PrintfConversion)
}

public struct PrintfFormat: Sendable, Equatable {
    public var segments: [PrintfSegment]
    public init(segments: [PrintfSegment]) { self.segments = segments }

    public var conversions: [PrintfConversion] {
        segments.compactMap { if case .conversion(let c) = $0 { return c } else { return nil } }
    }

    public enum ParseError: Error, Equatable {
        case incomplete(String)
        case unknownConversion(String)
    }

    static let knownConversions: Set<Character> = [
        "a", "A", "c", "d", "i", "e", "E", "f", "g", "G", "k", "o", "p", "P", "s", "S",
        "T", "u", "x", "X", "Y", "@",
    ]

    /// The floating-point conversions: bare or with L (long double), as DTrace's
    /// dictionary has them (no %F, no %lf).
    static let floatingConversions: Set<Character> = ["e", "E", "f", "g", "G"]

    /// What DTrace says of a format string its printf parser refuses (dt_printf_create's
    /// checks, in its order, conversions numbered from 1), or nil when it accepts it.
    public static func syntaxError(in text: String) -> String? {
        let characters = Array(text)
        var position = 0, number = 0
        while let percent = characters[position...].firstIndex(of: "%") {
            number += 1
            var index = percent, dot = 0, digits = 0
            var dynamicWidth = false, dynamicPrecision = false
            var name = ""
            scan: while true {
                index += 1
                guard index < characters.count else { return "format conversion #\(number) name expected before end of format string" }
                let character = characters[index]
                switch character {
                case "0"..."9":
                    if dot == 0 && digits == 0 && character == "0" { continue }
                    while index < characters.count, characters[index].isASCII, characters[index].isNumber { index += 1 }
                    index -= 1
                    digits += 1
                case "#", "+", "-", "?", "@", "'", " ":
                    continue
                case "*":
                    if dot > 0 {
                        if dynamicPrecision { return "format conversion #\(number) has more than one '*' specified for the output precision" }
                        dynamicPrecision = true
                    } else {
                        if dynamicWidth { return "format conversion #\(number) has more than one '*' specified for the output width" }
                        dynamicWidth = true
                    }
                case ".":
                    if dot != 0 { return "format conversion #\(number) has more than one '.' specified" }
                    dot += 1
                    digits = 0
                case "$":
                    return "format conversion #\(number) uses unsupported positional format (%n$)"
                case "%":
                    guard characters[index - 1] == "%" else { return "format conversion #\(number) cannot be combined with other format flags: %%" }
                    name = "%"
                    break scan
                case "h", "l", "L", "w":
                    name.append(character)
                default:
                    name.append(character)
                    break scan
                }
            }
            if name != "%", let last = name.last, !knownConversions.contains(last) && last != "i" || name.dropLast().contains(where: { !"hlLw".contains($0) })
                || floatingConversions.contains(last) && name.count > 1 && name != "L" + String(last) {
                return "format conversion #\(number) is undefined: %\(name)"
            }
            position = index + 1
            if position >= characters.count { break }
        }
        return nil
    }

    /// Parses a format string (escapes already decoded).
    public static func parse(_ text: String) throws(ParseError) -> PrintfFormat {
        var segments: [PrintfSegment] = []
        var literal = ""
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "%" else { literal.append(character); index += 1; continue }
            let start = index
            index += 1
            guard index < characters.count else { throw .incomplete(String(characters[start...])) }
            if characters[index] == "%" { literal.append("%"); index += 1; continue }
            var flags = ""
            var aggregation = false
            var width = PrintfConversion.Amount.none
            var precision = PrintfConversion.Amount.none
            while index < characters.count, "-+ #0'@?".contains(characters[index]) {
                // `?`: the width of an address (16 digits), as DTrace's.
                if characters[index] == "@" { aggregation = true } else if characters[index] == "?" { width = .fixed(16) } else { flags.append(characters[index]) }
                index += 1
            }
            if index < characters.count, characters[index] == "*" {
                width = .fromArgument; index += 1
            } else {
                var digits = 0, any = false
                while index < characters.count, let value = characters[index].wholeNumberValue, characters[index].isASCII {
                    digits = min(digits * 10 + value, PrintfConversion.widthLimit); any = true; index += 1
                }
                if any { width = .fixed(digits) }
            }
            while index < characters.count, characters[index] == "@" { aggregation = true; index += 1 }
            if index < characters.count, characters[index] == "." {
                index += 1
                if index < characters.count, characters[index] == "*" {
                    precision = .fromArgument; index += 1
                } else {
                    var digits = 0
                    while index < characters.count, let value = characters[index].wholeNumberValue, characters[index].isASCII {
                        digits = min(digits * 10 + value, PrintfConversion.widthLimit); index += 1
                    }
                    precision = .fixed(digits)
                }
            }
            var length = ""
            while index < characters.count, "hlLzjtw".contains(characters[index]), length.count < 2 {
                length.append(characters[index]); index += 1
            }
            guard index < characters.count else { throw .incomplete(String(characters[start...])) }
            var conversion = characters[index]
            index += 1
            if aggregation && !knownConversions.contains(conversion) { throw .unknownConversion(String(characters[start..<index])) }
            if conversion == "i" { conversion = "d" }
            guard knownConversions.contains(conversion) else {
                throw .unknownConversion(String(characters[start..<index]))
            }
            if !literal.isEmpty { segments.append(.literal(literal)); literal = "" }
            segments.append(.conversion(PrintfConversion(
                flags: flags, width: width, precision: precision, length: length,
                conversion: conversion, isAggregationValue: aggregation || conversion == "@",
                text: String(characters[start..<index]))))
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        return PrintfFormat(segments: segments)
    }
}
