// DTraceELF/DebugFile: an object's separate debug file, found by its GNU build ID as
// debuggers find it — /usr/lib/debug/.build-id/ab/cdef….debug (Debian's -dbg and
// -dbgsym packages install them there) — for the static function names a stripped file
// no longer holds (libc's __libc_start_call_main). The build ID is read from the
// .note.gnu.build-id section (a note of owner "GNU", type NT_GNU_BUILD_ID); a debug
// file is used only when it carries the same ID and a .symtab. Hostile notes give nil.

import DTraceSystem

extension ELFObject {
    /// The object's build ID (usually 20 bytes), or nil when it has none.
    public var buildID: [UInt8]? {
        guard let notes = section(named: ".note.gnu.build-id"), notes.type == 7 /* SHT_NOTE */,
              let data = contents(of: notes, limit: 4096) else { return nil }
        let reader = ByteReader(data, .littleEndian)
        var offset = 0
        while offset + 12 <= data.count {
            guard let nameSize = reader.uint32(at: offset), let descriptionSize = reader.uint32(at: offset + 4),
                  let type = reader.uint32(at: offset + 8) else { return nil }
            let nameStart = offset + 12
            let descriptionStart = nameStart + ((Int(nameSize) + 3) & ~3)
            guard descriptionSize <= 1024, reader.contains(offset: descriptionStart, count: Int(descriptionSize)) else { return nil }
            if type == 3 /* NT_GNU_BUILD_ID */, reader.string(at: nameStart, limit: Int(nameSize)) == "GNU",
               let identifier = reader.bytes(at: descriptionStart, count: Int(descriptionSize)), !identifier.isEmpty {
                return Array(identifier)
            }
            offset = descriptionStart + ((Int(descriptionSize) + 3) & ~3)
        }
        return nil
    }

    /// Where the debug file of an object with `buildID` lies under `debugDirectory`.
    public static func debugFilePath(buildID: [UInt8], debugDirectory: String = "/usr/lib/debug") -> String? {
        guard buildID.count >= 2 else { return nil }
        let hex = buildID.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
        return debugDirectory + "/.build-id/" + hex[0] + "/" + hex.dropFirst().joined() + ".debug"
    }

    /// The separate debug file of this object (same build ID, with a .symtab), or nil.
    public func debugFile(debugDirectory: String = "/usr/lib/debug") -> ELFObject? {
        guard let identifier = buildID, let path = Self.debugFilePath(buildID: identifier, debugDirectory: debugDirectory),
              case .success(let debug) = ELFObject.load(path: path, requireX86_64: false),
              debug.buildID == identifier, debug.section(named: ".symtab") != nil else { return nil }
        return debug
    }
}
