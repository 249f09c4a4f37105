// DTraceProviders/UprobeProbes: what the providers on user code share (pid, USDT): where
// a probe lies (a file, an offset, a process), the shared attach step — one uprobe_multi
// link per file and per kind (entry or return), every probe a cookie, or one perf event
// per probe on older kernels — and what the running kernel offers for it. Their
// prologues are the function-boundary ones (FunctionProbes).

import DTraceSystem

/// Where a probe on user code lies: a file (by its real path) and a file offset, and
/// the process it is limited to (0: every process).
public struct UprobeSite: Sendable, Equatable, Hashable {
    /// What a failure to place a probe in process `pid` says once the process has ended.
    public static func processEnded(_ pid: Int32) -> String { "process \(pid) has exited" }

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
    public func attachUprobes(_ members: [(site: UprobeSite, cookie: UInt64)], program: BPFProgram, throughMultiLinks: Bool) throws(SystemError) {
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
            do throws(SystemError) {
                if throughMultiLinks {
                    try attachUprobes(path: key.path, offsets: group.map(\.site.fileOffset), cookies: group.map(\.cookie),
                                      referenceCounterOffsets: group.map(\.site.semaphoreOffset), processID: key.processID, returns: key.returns, program: program)
                } else {
                    try attachPerfUprobes(path: key.path, offsets: group.map(\.site.fileOffset), cookies: group.map(\.cookie),
                                          referenceCounterOffsets: group.map(\.site.semaphoreOffset), processID: key.processID, returns: key.returns, program: program)
                }
            } catch where error.code == ErrorNumber.noSuchProcess && key.processID > 0 {
                // The process ended while its probes were being placed: say that, not the call.
                throw SystemError(UprobeSite.processEnded(key.processID), code: error.code)
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
