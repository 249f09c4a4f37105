// DTraceELF/ELFSymbols: the function and object symbols of an ELF64 little-endian file
// (an executable or a shared library, of any machine), with its loadable segments, so
// that a file offset can be turned into the address its symbols are written in and an
// address into the symbol over it — how the consumer names user addresses (UserSymbols).
// A stripped file is named from its separate debug file when one is installed (DebugFile).
// The headers and tables are read by ELFObject and ELFSymbolTable: a truncated, hostile
// or foreign file gives nil or fewer symbols, never a trap.

import DTraceSystem

public struct ELFSymbols: Sendable {
    public struct Symbol: Sendable, Equatable {
        public var address: UInt64
        public var size: UInt64
        public var name: String
    }

    /// A PT_LOAD segment: file bytes [fileOffset, fileOffset + fileSize) are at `address`.
    public typealias Segment = ELFSegment

    /// Sorted by address; among symbols at one address, the preferred name first (Candidate).
    public let symbols: [Symbol]
    public let segments: [Segment]

    /// The symbols of the file at `path`; nil when it cannot be read or is not ELF64 LE.
    /// A stripped file's names come from its debug file under `debugDirectory` when one
    /// is installed (DebugFile), else from its .dynsym.
    public static func load(path: String, debugDirectory: String? = "/usr/lib/debug") -> ELFSymbols? {
        guard case .success(let object) = ELFObject.load(path: path, requireX86_64: false) else { return nil }
        if object.section(named: ".symtab") == nil, let debugDirectory, let debug = object.debugFile(debugDirectory: debugDirectory) {
            return ELFSymbols(object, symbolsFrom: debug)
        }
        return ELFSymbols(object)
    }

    /// The symbols of an ELF image in memory (tests, and any bytes already read).
    public static func parse(bytes: [UInt8]) -> ELFSymbols? {
        guard case .success(let object) = ELFObject.parse(ELFBytes(bytes: bytes), path: nil, requireX86_64: false) else { return nil }
        return ELFSymbols(object)
    }

    /// The symbols of a loaded object: .symtab when it has one (it names everything),
    /// else .dynsym (all a stripped file keeps); `symbolsFrom`, its debug file, names
    /// them instead when given.
    public init(_ object: ELFObject, symbolsFrom debug: ELFObject? = nil) {
        segments = object.loadSegments
        let source = debug ?? object
        let entries = source.symbolEntries(.symtab) ?? source.symbolEntries(.dynsym) ?? []
        var found: [Candidate] = []
        for entry in entries {
            // Functions, objects and GNU indirect functions, defined, at a nonzero address.
            guard entry.type == ELFSymbolEntry.typeObject || entry.type == ELFSymbolEntry.typeFunction || entry.type == ELFSymbolEntry.typeIndirectFunction,
                  entry.isDefined, entry.value != 0 else { continue }
            found.append(Candidate(symbol: Symbol(address: entry.value, size: entry.size, name: entry.name),
                                   isFunction: entry.type != ELFSymbolEntry.typeObject, isLocal: entry.binding == 0))
        }
        found.sort(by: Candidate.precedes)
        symbols = found.map(\.symbol)
    }

    /// A symbol read, with what decides which of several names at one address is shown.
    struct Candidate {
        var symbol: Symbol
        var isFunction: Bool
        var isLocal: Bool

        /// By address; at one address the name a debugger shows first: a function before
        /// an object, a global or weak name before a local one, a name not starting with
        /// "$", fewer leading underscores, the smaller symbol, then by name.
        static func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
            if a.symbol.address != b.symbol.address { return a.symbol.address < b.symbol.address }
            if a.isFunction != b.isFunction { return a.isFunction }
            if a.isLocal != b.isLocal { return !a.isLocal }
            let aDollar = a.symbol.name.hasPrefix("$"), bDollar = b.symbol.name.hasPrefix("$")
            if aDollar != bDollar { return bDollar }
            let aUnderscores = a.symbol.name.prefix { $0 == "_" }.count, bUnderscores = b.symbol.name.prefix { $0 == "_" }.count
            if aUnderscores != bUnderscores { return aUnderscores < bUnderscores }
            if a.symbol.size != b.symbol.size { return a.symbol.size < b.symbol.size }
            return a.symbol.name < b.symbol.name
        }
    }

    /// The address a byte at `fileOffset` of the file is loaded at (its segment's), or nil.
    public func address(ofFileOffset fileOffset: UInt64) -> UInt64? {
        for segment in segments where segment.contains(fileOffset: fileOffset) {
            return segment.address &+ (fileOffset - segment.fileOffset)
        }
        return nil
    }

    /// The symbol covering `address` (an address in the file's own terms), or nil.
    public func symbol(covering address: UInt64) -> Symbol? {
        var low = 0, high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        // Symbols may nest or overlap: look back a little for one whose extent covers it.
        var candidate = low - 1
        while candidate >= 0, low - candidate <= 16 {
            let symbol = symbols[candidate]
            if address - symbol.address < max(symbol.size, 1) {
                // The first of the symbols at that address (the preferred name).
                var first = candidate
                while first > 0, symbols[first - 1].address == symbol.address { first -= 1 }
                return symbols[first]
            }
            candidate -= 1
        }
        return nil
    }
}
