// DTraceELF/ELFLoadError: why a file cannot be read as an x86-64 ELF object, in plain
// words a message can quote after the file's name ("/bin/x: is a 32-bit ELF file").

import DTraceSystem

public enum ELFLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// open(2) failed: the error's text ("No such file or directory").
    case cannotOpen(reason: String)
    /// A directory, device or FIFO.
    case notARegularFile
    /// Shorter than four bytes, or not starting with "\x7fELF".
    case notELF
    /// ELFCLASS32: a 32-bit program or library.
    case is32Bit
    /// ELFDATA2MSB: big-endian, so not for x86-64.
    case bigEndian
    /// An ELF64 file for another machine (e_machine).
    case notX86_64(machine: UInt16)
    /// The ELF header or program header table is cut short or inconsistent: what is wrong.
    case malformed(String)

    public var description: String {
        switch self {
        case .cannotOpen(let reason): return "cannot open: \(reason)"
        case .notARegularFile: return "not a regular file"
        case .notELF: return "not an ELF file"
        case .is32Bit: return "is a 32-bit ELF file"
        case .bigEndian: return "is a big-endian ELF file, not x86-64"
        case .notX86_64(let machine): return "is an ELF file for another machine (e_machine \(machine)), not x86-64"
        case .malformed(let what): return "malformed ELF file: \(what)"
        }
    }

    init(_ error: SystemError) { self = .cannotOpen(reason: error.reason) }
}
