// DTraceConsumer/UserSymbols: names for user-space addresses — ustack() frames, usym(),
// umod(), uaddr() — as dtrace(1M) prints them: "module`symbol+0xoffset", "module`0xaddress"
// when no symbol covers it, the bare address when no mapping does. A process's mappings
// come from /proc/PID/maps, read the first time the process is named and kept after it
// exits (so records that arrive late still resolve); a file's symbols are read once per
// file (device and inode), when an address in it is first resolved (not while a process
// is only being noted, so tracing is not slowed by symbol tables it may never need),
// through /proc/PID/root while the process lives so a process in a container resolves
// against its own files. As with DTrace, a process gone before it was noted shows bare
// addresses. The maps are parsed and the files read by DTraceELF
// (ProcessMappings, ELFSymbols).

import DTraceELF
import DTraceSystem

public final class UserSymbols {
    public struct Mapping: Equatable {
        public var start: UInt64, end: UInt64, fileOffset: UInt64
        public var path: String
        public var fileKey: String       // device:inode
    }

    /// What an address resolves to: its module, and the symbol over it if any.
    public struct Resolution: Equatable {
        public var module: String
        /// The symbol's name and start, as a process address.
        public var symbol: (name: String, start: UInt64)?
        /// The lowest address the module is mapped at (umod's address in aggregation keys).
        public var moduleBase: UInt64

        public static func == (a: Resolution, b: Resolution) -> Bool {
            a.module == b.module && a.moduleBase == b.moduleBase && a.symbol?.name == b.symbol?.name && a.symbol?.start == b.symbol?.start
        }
    }


    var mappings: [Int32: [Mapping]] = [:]
    /// The symbols of each file read so far (nil: read, and none there).
    var filesByKey: [String: ELFSymbols?] = [:]
    /// Processes whose maps were re-read for an address no mapping covered (once each).
    var rereadFor: Set<Int32> = []
    /// Where /proc is (tests point it elsewhere).
    let procRoot: String
    /// Whether Swift and C++ symbols are shown demangled (false with -x mangled).
    public var demangles = true
    /// The demangled form of each mangled name met (nil: not mangled, shown as it is).
    var demangledNames: [String: String?] = [:]

    public init(procRoot: String = "/proc") { self.procRoot = procRoot }

    /// Parses /proc/PID/maps text: the file-backed mappings (a deleted file keeps its path).
    public static func parseMaps(_ text: String) -> [Mapping] {
        ProcessMappings.parse(text).filter(\.isFile).map {
            Mapping(start: $0.start, end: $0.end, fileOffset: $0.fileOffset, path: $0.pathname, fileKey: $0.fileKey)
        }
    }

    /// Reads (or re-reads) a process's mappings; false when the process has none to read
    /// (gone, or a kernel thread).
    @discardableResult
    public func load(_ pid: Int32) -> Bool {
        guard pid > 0, let text = SystemFiles.readSmallTextFile("\(procRoot)/\(pid)/maps", limit: 16 << 20) else { return false }
        let parsed = Self.parseMaps(text)
        guard !parsed.isEmpty else { return false }
        mappings[pid] = parsed
        return true
    }

    /// The symbols of a mapped file, read the first time one of its addresses is resolved:
    /// the file and its debug file as the process sees them, else as dtrace does.
    func symbols(of mapping: Mapping, in pid: Int32) -> ELFSymbols? {
        if let known = filesByKey[mapping.fileKey] { return known }
        let root = "\(procRoot)/\(pid)/root"
        let symbols = ELFSymbols.load(path: root + mapping.path, debugDirectory: root + "/usr/lib/debug") ?? ELFSymbols.load(path: mapping.path)
        filesByKey[mapping.fileKey] = .some(symbols)
        return symbols
    }

    /// Makes sure a process's mappings are known while it still runs.
    public func remember(_ pid: Int32) {
        if mappings[pid] == nil { load(pid) }
    }

    func mapping(_ pid: Int32, _ address: UInt64) -> Mapping? {
        if mappings[pid] == nil { load(pid) }
        if let found = mappings[pid]?.first(where: { address >= $0.start && address < $0.end }) { return found }
        // A library mapped since the maps were read: read them again, once.
        guard !rereadFor.contains(pid) else { return nil }
        rereadFor.insert(pid)
        guard load(pid) else { return nil }
        return mappings[pid]?.first(where: { address >= $0.start && address < $0.end })
    }

    public func resolve(_ pid: Int32, _ address: UInt64) -> Resolution? {
        guard let mapping = mapping(pid, address) else { return nil }
        let module = ELFModuleName.library(path: mapping.path)
        let base = mappings[pid]?.filter { $0.fileKey == mapping.fileKey }.map(\.start).min() ?? mapping.start
        var resolution = Resolution(module: module, symbol: nil, moduleBase: base)
        guard let file = symbols(of: mapping, in: pid),
              let fileAddress = file.address(ofFileOffset: (address - mapping.start) &+ mapping.fileOffset),
              let symbol = file.symbol(covering: fileAddress) else { return resolution }
        resolution.symbol = (displayName(symbol.name), address &- (fileAddress &- symbol.address))
        return resolution
    }

    /// A symbol's name as printed: demangled when it is a Swift or C++ name (and
    /// demangling is on), else as the file writes it.
    func displayName(_ name: String) -> String {
        guard demangles else { return name }
        if let known = demangledNames[name] { return known ?? name }
        let demangled = SymbolDemangler.demangle(name)
        demangledNames[name] = demangled
        return demangled ?? name
    }

    /// uaddr() and ustack() frames: "module`symbol+0xoffset", "module`symbol",
    /// "module`0xaddress" or "0xaddress".
    public func addressText(_ pid: Int32, _ address: UInt64) -> String {
        let hex = "0x" + String(address, radix: 16)
        guard let resolution = resolve(pid, address) else { return hex }
        guard let symbol = resolution.symbol else { return resolution.module + "`" + hex }
        let offset = address &- symbol.start
        return resolution.module + "`" + symbol.name + (offset > 0 ? "+0x" + String(offset, radix: 16) : "")
    }

    /// usym(): the symbol without its offset.
    public func symbolText(_ pid: Int32, _ address: UInt64) -> String {
        guard let start = resolve(pid, address)?.symbol?.start else { return addressText(pid, address) }
        return addressText(pid, start)
    }

    /// umod(): the module, or the bare address.
    public func moduleText(_ pid: Int32, _ address: UInt64) -> String {
        resolve(pid, address)?.module ?? "0x" + String(address, radix: 16)
    }
}
