// DTraceProviders/TracedProbe: a probe as the ptrace engine runs it — without the kernel's
// help, in a process dtrace traces itself: where its breakpoints go (a file offset in one
// of the process's objects, or the return of the function there) or which system call
// stops it, and how its arguments are read from the stopped thread's registers and memory.
// A provider that can run in the ptrace engine answers `tracedProbe(for:)`; the engine
// never looks inside a provider's probe details.

/// The registers and memory of a thread stopped at a probe.
public protocol StoppedThread {
    /// The thread's saved registers in `struct user_regs_struct` order (r15, r14, r13,
    /// r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs,
    /// eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs): its first 21 words are laid out
    /// as struct pt_regs (`SavedRegisters` offsets / 8). At a breakpoint, rip is the
    /// probed instruction's address (the engine has moved it back over the int3).
    var registers: [UInt64] { get }
    /// The saved register at pt_regs byte offset `offset` (0 past the end): a thread that
    /// knows some registers without reading them all answers those itself.
    func register(atSavedOffset offset: Int) -> UInt64
    /// `count` bytes of the process's memory at `address` (as the program sees them,
    /// breakpoints hidden); nil where nothing is mapped.
    func read(address: UInt64, count: Int) -> [UInt8]?
}

extension StoppedThread {
    /// The saved register at pt_regs byte offset `offset`.
    public func register(atSavedOffset offset: Int) -> UInt64 {
        let index = offset / 8
        return index >= 0 && index < registers.count ? registers[index] : 0
    }

    /// A little-endian word of `size` bytes at `address` (0 when unreadable).
    public func word(at address: UInt64, size: Int = 8) -> UInt64 {
        guard let bytes = read(address: address, count: size), bytes.count == size else { return 0 }
        return bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The thread a probe fired in, as the clause sees it (pid, tid, execname).
public protocol FiringThread: StoppedThread {
    var processID: Int32 { get }
    var threadID: Int32 { get }
    var executableName: [UInt8] { get }
    /// Stopped at a function's first instruction (a pid entry probe): its caller's
    /// return address is at the top of the stack, no frame of its own made yet.
    var isAtFunctionEntry: Bool { get }
    /// ppid, uid, gid of the process; the CPU the thread last ran on; its CPU time (ns):
    /// read when a clause asks.
    var parentProcessID: Int32 { get }
    var userID: Int32 { get }
    var groupID: Int32 { get }
    var cpu: Int32 { get }
    var cpuTime: Int64 { get }
}

extension FiringThread {
    /// The user stack, innermost first: the program counter, then (at a function's entry)
    /// the return address on top of the stack, then each frame's return address along the
    /// frame-pointer chain, read from the process's memory (code built without frame
    /// pointers cuts it short, as with DTrace).
    public func userStack(limit: Int = 100) -> [UInt64] {
        var frames = [register(atSavedOffset: SavedRegisters.rip)]
        let stackPointer = register(atSavedOffset: SavedRegisters.rsp)
        if isAtFunctionEntry, let top = read(address: stackPointer, count: 8), top.count == 8 {
            frames.append(top.reversed().reduce(0) { $0 << 8 | UInt64($1) })
        }
        var framePointer = register(atSavedOffset: SavedRegisters.rbp)
        var previous = stackPointer
        while frames.count < limit, framePointer >= previous, framePointer & 7 == 0,
              let pair = read(address: framePointer, count: 16), pair.count == 16 {
            let next = pair[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let returnAddress = pair[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard returnAddress != 0 else { break }
            frames.append(returnAddress)
            previous = framePointer &+ 16
            if next <= framePointer { break }
            framePointer = next
        }
        return frames
    }
}

/// A probe as the ptrace engine runs it.
public struct TracedProbe: @unchecked Sendable {
    public enum Site: Sendable, Equatable, Hashable {
        /// A breakpoint on the instruction at `fileOffset` of the file at `path`.
        case instruction(path: String, fileOffset: UInt64)
        /// The return of the function whose first instruction is at `fileOffset`: a
        /// breakpoint there, and one on the return address each call pushed.
        case functionReturn(path: String, fileOffset: UInt64)
        /// A system call's entry or return.
        case systemCall(number: Int, returns: Bool)

        public var isSystemCall: Bool { if case .systemCall = self { return true }; return false }
    }
    public var sites: [Site]
    /// The process whose code the sites are in (pid and USDT probes); nil for probes of
    /// whichever process is traced (system calls).
    public var processID: Int32?
    /// USDT is-enabled semaphores (2-byte counters at a file offset of an object), raised
    /// while the probe is enabled.
    public var semaphores: [(path: String, fileOffset: UInt64)] = []
    /// arg0..arg9 of a firing, from the stopped thread; `site` is the site that fired.
    public var arguments: (_ thread: any StoppedThread, _ site: Int) -> [Int64]
    /// The arguments past those `arguments` gives, read only when a clause asks (a
    /// function's stack arguments: `index` 6 is the first).
    public var laterArgument: ((_ thread: any StoppedThread, _ index: Int) -> Int64)?
    /// The probe fires at a function's first instruction (pid entry probes).
    public var firesAtFunctionEntry = false
    /// errno of a firing (system call returns), else 0.
    public var errorNumber: (_ thread: any StoppedThread) -> Int64 = { _ in 0 }

    public init(sites: [Site], processID: Int32? = nil, arguments: @escaping (_ thread: any StoppedThread, _ site: Int) -> [Int64]) {
        self.sites = sites; self.processID = processID; self.arguments = arguments
    }
}

/// The arguments of a function's entry as the System V ABI passes them: six registers,
/// then the caller's stack above the return address.
enum FunctionArguments {
    /// arg0..arg5, from their registers.
    static func atEntry(_ thread: any StoppedThread) -> [Int64] {
        SavedRegisters.arguments.map { Int64(bitPattern: thread.register(atSavedOffset: $0)) }
    }

    /// arg6 and on: the caller's stack above the return address.
    static func onStack(_ thread: any StoppedThread, index: Int) -> Int64 {
        let stack = thread.register(atSavedOffset: SavedRegisters.rsp)
        return Int64(bitPattern: thread.word(at: stack &+ UInt64(8 * (index - SavedRegisters.arguments.count + 1))))
    }

    /// At a return: arg0 0 (as Oracle's DTrace gives pid returns), arg1 the value.
    static func atReturn(_ thread: any StoppedThread) -> [Int64] {
        [0, Int64(bitPattern: thread.register(atSavedOffset: SavedRegisters.rax))]
    }
}
