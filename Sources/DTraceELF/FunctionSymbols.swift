// DTraceELF/FunctionSymbols: the functions an object defines, as the pid provider lists
// them for probes — STT_FUNC and STT_GNU_IFUNC symbols with a section, from .symtab when
// the file has one and from .dynsym (all a stripped file keeps), each named without a
// version suffix, once per name and address, sorted by address, with the file offset a
// uprobe is placed at — and the bytes of one function read from the file (bounded by its
// size, its segment and `functionByteLimit`), for instruction decoding.

import DTraceSystem

public struct FunctionSymbol: Equatable, Hashable, Sendable {
    /// The probe name: the symbol's name up to any "@" version suffix.
    public var name: String
    /// The address as linked (add the load bias for a process address).
    public var address: UInt64
    /// st_size in bytes (0 when the symbol does not say).
    public var size: UInt64
    /// Where the function's first byte is in the file (a uprobe's offset).
    public var fileOffset: UInt64
    /// STT_GNU_IFUNC: the symbol is a resolver that picks the implementation at load time.
    public var isIndirect: Bool
    /// STB_LOCAL: a static function, only in .symtab.
    public var isLocal: Bool

    public init(name: String, address: UInt64, size: UInt64, fileOffset: UInt64, isIndirect: Bool = false, isLocal: Bool = false) {
        self.name = name
        self.address = address
        self.size = size
        self.fileOffset = fileOffset
        self.isIndirect = isIndirect
        self.isLocal = isLocal
    }
}

extension ELFObject {
    /// At most this many bytes of one function are read.
    public static let functionByteLimit = 1 << 20

    /// The defined functions, sorted by address then name; those whose address no
    /// PT_LOAD segment loads from the file are left out (they cannot be probed). Read
    /// from the file on each use: keep the result.
    public var functions: [FunctionSymbol] {
        var seen = Set<FunctionKey>()
        var result: [FunctionSymbol] = []
        for entry in (symbolEntries(.symtab) ?? []) + (symbolEntries(.dynsym) ?? []) {
            guard entry.type == ELFSymbolEntry.typeFunction || entry.type == ELFSymbolEntry.typeIndirectFunction, entry.isDefined,
                  let fileOffset = fileOffset(ofAddress: entry.value) else { continue }
            let name = ELFSymbolEntry.unversioned(entry.name)
            guard seen.insert(FunctionKey(name: name, address: entry.value)).inserted else { continue }
            result.append(FunctionSymbol(name: name, address: entry.value, size: entry.size, fileOffset: fileOffset,
                                         isIndirect: entry.type == ELFSymbolEntry.typeIndirectFunction, isLocal: entry.binding == 0))
        }
        result.sort { $0.address != $1.address ? $0.address < $1.address : $0.name < $1.name }
        return result
    }

    /// `count` bytes of the file at `fileOffset` (at most a page); nil past its end.
    public func bytes(atFileOffset fileOffset: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, count <= 4096 else { return nil }
        return bytes.readExactly(offset: fileOffset, count: UInt64(count))
    }

    /// The bytes of `function` as the file holds them: `size` bytes from its file offset,
    /// no further than its segment's end nor `functionByteLimit`; nil when it has no size,
    /// lies in no segment, or the file is shorter.
    public func bytes(ofFunction function: FunctionSymbol) -> [UInt8]? {
        guard function.size > 0, let segment = loadSegments.first(where: { $0.containsFileBacked(address: function.address) }) else { return nil }
        let fileOffset = segment.fileOffset &+ (function.address - segment.address)
        let segmentRemainder = segment.fileSize - (function.address - segment.address)
        let count = min(function.size, segmentRemainder, UInt64(Self.functionByteLimit))
        return bytes.readExactly(offset: fileOffset, count: count)
    }
}

private struct FunctionKey: Hashable {
    var name: String
    var address: UInt64
}
