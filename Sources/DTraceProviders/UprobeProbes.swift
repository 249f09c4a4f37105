// DTraceProviders/UprobeProbes: what the providers on user code share (pid, USDT): the
// prologues that fill the probe context from the registers a uprobe saw (struct pt_regs,
// the program's context) and from the user stack, and the shared attach step — one
// uprobe_multi link per file and per kind (entry or return), every probe a cookie.

import DTraceBPF
import DTraceCodegen
import DTraceSystem

/// x86-64 `struct pt_regs`: where each saved register lies in a uprobe program's context.
public enum SavedRegisters {
    public static let r15 = 0, r14 = 8, r13 = 16, r12 = 24, rbp = 32, rbx = 40, r11 = 48, r10 = 56, r9 = 64, r8 = 72
    public static let rax = 80, rcx = 88, rdx = 96, rsi = 104, rdi = 112, originalRAX = 120, rip = 128, cs = 136, flags = 144
    public static let rsp = 152, ss = 160
    /// The System V ABI's integer argument registers, in order.
    public static let arguments = [rdi, rsi, rdx, rcx, r8, r9]
    /// Every register in pt_regs order (uregs[] indexes it: R_R15 is 0 ... R_SS 20).
    public static let count = 21
}

/// A function's entry: arg0..arg5 from the argument registers, arg6..arg9 from the
/// caller's stack (above the return address), as the System V ABI passes them.
public struct UserEntryPrologue: ProbePrologue {
    public init() {}
    public var argumentCount: Int { 10 }

    public func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        for index in 0..<10 where demand.needsArgument(index) {
            if index < SavedRegisters.arguments.count {
                code.asm.load(.r0, from: .r6, offset: Int16(SavedRegisters.arguments[index]), size: .double)
                code.storeArgument(index, from: .r0)
                continue
            }
            // The slot is zeroed already; a failed read leaves it zero.
            code.asm.load(.r3, from: .r6, offset: Int16(SavedRegisters.rsp), size: .double)
            code.asm.alu64(.add, .r3, immediate: Int32(8 * (index - SavedRegisters.arguments.count + 1)))
            code.asm.move(.r1, .r7)
            code.asm.alu64(.add, .r1, immediate: Int32(code.argumentSlot(index)))
            code.asm.load(.r2, constant: 8)
            code.asm.call(.probeReadUser)
        }
    }
}

/// A function's return: arg0 the offset of the probe in its function (`returnOffset`),
/// arg1 the return value (rax).
public struct UserReturnPrologue: ProbePrologue {
    public init() {}
    public var argumentCount: Int { 2 }

    public func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        if demand.needsArgument(0) {
            code.asm.store(immediate: 0, to: .r7, offset: code.argumentSlot(0), size: .double)
        }
        if demand.needsArgument(1) {
            code.asm.load(.r0, from: .r6, offset: Int16(SavedRegisters.rax), size: .double)
            code.storeArgument(1, from: .r0)
        }
    }
}

/// Where a probe on user code lies: a file (by its real path) and a file offset, and
/// the process it is limited to (0: every process).
public struct UprobeSite: Sendable, Equatable, Hashable {
    public var path: String
    public var fileOffset: UInt64
    public var returns: Bool
    public var processID: Int32
    /// The file offset of a USDT semaphore the kernel raises while the probe is enabled (0: none).
    public var semaphoreOffset: UInt64 = 0
    public init(path: String, fileOffset: UInt64, returns: Bool, processID: Int32, semaphoreOffset: UInt64 = 0) {
        self.path = path; self.fileOffset = fileOffset; self.returns = returns; self.processID = processID; self.semaphoreOffset = semaphoreOffset
    }
}

extension KernelAttachments {
    /// Attaches one program to many uprobe sites: one uprobe_multi link per file,
    /// process and kind, each site with its cookie (or, without uprobe_multi, one perf
    /// event per site).
    func attachUprobes(_ members: [(site: UprobeSite, cookie: UInt64)], program: BPFProgram, throughMultiLinks: Bool) throws(SystemError) {
        struct LinkKey: Hashable { var path: String; var processID: Int32; var returns: Bool }
        var order: [LinkKey] = []
        var sites: [LinkKey: [(site: UprobeSite, cookie: UInt64)]] = [:]
        for member in members {
            let key = LinkKey(path: member.site.path, processID: member.site.processID, returns: member.site.returns)
            if sites[key] == nil { order.append(key) }
            sites[key, default: []].append(member)
        }
        for key in order {
            let group = sites[key]!
            if throughMultiLinks {
                try attachUprobes(path: key.path, offsets: group.map(\.site.fileOffset), cookies: group.map(\.cookie),
                                  referenceCounterOffsets: group.map(\.site.semaphoreOffset), processID: key.processID, returns: key.returns, program: program)
            } else {
                try attachPerfUprobes(path: key.path, offsets: group.map(\.site.fileOffset), cookies: group.map(\.cookie),
                                      referenceCounterOffsets: group.map(\.site.semaphoreOffset), processID: key.processID, returns: key.returns, program: program)
            }
        }
    }
}

/// What the running kernel offers the providers on user code, by its release.
public enum KernelFeatures {
    /// uprobe_multi links arrived in Linux 6.6.
    public static let hasUprobeMultiLinks: Bool = {
        guard let release = SystemName.current()?.release else { return false }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return (numbers[0], numbers[1]) >= (6, 6)
    }()
}

/// How probes on user code attach on this kernel, as `-x platform` says it.
enum UserCodeAttachment {
    static var description: String {
        KernelFeatures.hasUprobeMultiLinks ? "uprobes through uprobe_multi links"
            : "uprobes as one perf event each: this kernel has no uprobe_multi links (Linux 6.6)"
    }
}
