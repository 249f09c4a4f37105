// DTraceELF/USDTProbes: the statically defined probes of an object (USDT, <sys/sdt.h>):
// the notes of .note.stapsdt (type 3, owner "stapsdt"), each giving the probe's address,
// the address of .stapsdt.base when it was linked, its semaphore's address, provider,
// name and argument specifications. Addresses are corrected when the file was moved
// after linking (prelink: .stapsdt.base's address differs from the note's), and turned
// into file offsets through the PT_LOAD segments — the probe's for the uprobe, the
// semaphore's for the uprobe's reference counter (the kernel's ref_ctr_offset is a file
// offset; semaphores live in .probes, a data section). Arguments are parsed
// (USDTArgument) with symbols resolved through the object's symbol tables.

import DTraceSystem

public struct USDTProbe: Equatable, Sendable {
    public var provider: String
    public var name: String
    /// The probe's address as linked (after the prelink correction).
    public var address: UInt64
    /// The file offset of `address`: where the uprobe goes.
    public var fileOffset: UInt64
    /// The semaphore's address as linked; nil when the probe has none.
    public var semaphoreAddress: UInt64?
    /// The semaphore's file offset (the uprobe's reference-counter offset); nil when there
    /// is no semaphore or no segment loads it from the file.
    public var semaphoreFileOffset: UInt64?
    /// The argument specifications as written.
    public var argumentText: String
    /// Each argument, parsed and resolved, or why it cannot be read.
    public var arguments: [Result<USDTArgument, USDTArgumentError>]

    public init(provider: String, name: String, address: UInt64, fileOffset: UInt64, semaphoreAddress: UInt64? = nil,
                semaphoreFileOffset: UInt64? = nil, argumentText: String = "", arguments: [Result<USDTArgument, USDTArgumentError>] = []) {
        self.provider = provider
        self.name = name
        self.address = address
        self.fileOffset = fileOffset
        self.semaphoreAddress = semaphoreAddress
        self.semaphoreFileOffset = semaphoreFileOffset
        self.argumentText = argumentText
        self.arguments = arguments
    }
}

extension ELFObject {
    /// At most this many notes are read, from a note section of at most 64 MB.
    static let noteLimit = 1 << 20
    static let noteSectionLimit: UInt64 = 64 << 20

    /// The USDT probes of the object, in note order; probes whose address no segment
    /// loads from the file are left out (no uprobe can be placed). Read from the file on
    /// each use: keep the result.
    public var usdtProbes: [USDTProbe] {
        guard let notes = section(named: ".note.stapsdt"), notes.type == 7 /* SHT_NOTE */,
              let data = contents(of: notes, limit: Self.noteSectionLimit) else { return [] }
        let actualBase = section(named: ".stapsdt.base")?.address
        var symbols: [String: UInt64]?
        var probes: [USDTProbe] = []
        let reader = ByteReader(data, .littleEndian)
        var offset = 0
        var count = 0
        while offset + 12 <= data.count, count < Self.noteLimit {
            count += 1
            guard let nameSize = reader.uint32(at: offset), let descriptionSize = reader.uint32(at: offset + 4),
                  let type = reader.uint32(at: offset + 8) else { break }
            let nameStart = offset + 12
            let descriptionStart = nameStart + Self.alignedToFour(Int(nameSize))
            let next = descriptionStart + Self.alignedToFour(Int(descriptionSize))
            guard reader.contains(offset: descriptionStart, count: Int(descriptionSize)) else { break }
            offset = next
            guard type == 3, reader.string(at: nameStart, limit: Int(nameSize)) == "stapsdt",
                  let description = reader.bytes(at: descriptionStart, count: Int(descriptionSize)),
                  var probe = Self.probe(fromNote: ByteReader(description, .littleEndian), actualBase: actualBase) else { continue }
            guard let fileOffset = fileOffset(ofAddress: probe.address) else { continue }
            probe.fileOffset = fileOffset
            if let semaphore = probe.semaphoreAddress { probe.semaphoreFileOffset = self.fileOffset(ofAddress: semaphore) }
            probe.arguments = probe.arguments.map { parsed in
                parsed.flatMap { argument in
                    guard case .memory(let memory) = argument.operand, memory.symbol != nil else { return .success(argument) }
                    if symbols == nil { symbols = symbolAddresses() }
                    return argument.resolvingSymbol { symbols?[$0] }
                }
            }
            probes.append(probe)
        }
        return probes
    }

    /// A stapsdt note's description: pc, base and semaphore (8 bytes each), then the
    /// provider, name and arguments as NUL-terminated strings. The file offsets are
    /// filled in by the caller.
    static func probe<Bytes>(fromNote description: ByteReader<Bytes>, actualBase: UInt64?) -> USDTProbe? {
        guard var address = description.uint64(at: 0), let notedBase = description.uint64(at: 8),
              var semaphore = description.uint64(at: 16) else { return nil }
        func text(at offset: Int) -> (text: String, byteCount: Int)? {
            guard let bytes = description.cString(at: offset, limit: nameLimit) else { return nil }
            return (String(decoding: bytes, as: UTF8.self), bytes.count)
        }
        let providerStart = 24
        guard let provider = text(at: providerStart), provider.byteCount > 0 else { return nil }
        let nameStart = providerStart + provider.byteCount + 1
        guard let name = text(at: nameStart), name.byteCount > 0 else { return nil }
        let argumentText = text(at: nameStart + name.byteCount + 1)?.text ?? ""
        if let actualBase, actualBase != notedBase {
            address = address &+ (actualBase &- notedBase)
            if semaphore != 0 { semaphore = semaphore &+ (actualBase &- notedBase) }
        }
        return USDTProbe(provider: provider.text, name: name.text, address: address, fileOffset: 0,
                         semaphoreAddress: semaphore == 0 ? nil : semaphore, semaphoreFileOffset: nil,
                         argumentText: argumentText, arguments: USDTArgument.parseList(argumentText))
    }

    static func alignedToFour(_ value: Int) -> Int { (value + 3) & ~3 }
}
