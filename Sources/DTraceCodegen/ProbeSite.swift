// DTraceCodegen/ProbeSite: the probe one program is generated for: its identity, EPID, the
// provider's prologue, and the kernel offsets the built-ins need; or, for a program that
// serves many probes (one clause on every uprobe of a pid description), the table its
// firings find their probe in by the attach cookie.

import DTraceBPF
import DTraceIR

/// The probe one program is generated for.
public struct ProbeSite: Sendable {
    public var identity: ProbeIdentity
    public var epid: Int
    /// The provider's code at the start of the program: it fills the probe context.
    public var prologue: any ProbePrologue
    /// task_struct.real_parent and task_struct.tgid (from the kernel's BTF), for ppid.
    public var parentOffsets: (realParent: Int, processID: Int)?
    /// task_struct.se.sum_exec_runtime (from the kernel's BTF), for vtimestamp.
    public var executionTimeOffset: Int?
    /// uregs[R_DS] to uregs[R_TRAPNO]: fields of the task's thread_struct (BTF), by index.
    public var threadRegisterFields: [Int64: ThreadRegisterField] = [:]
    /// task_struct.comm (from the kernel's BTF): execname is then two loads through
    /// bpf_get_current_task_btf() instead of bpf_get_current_comm()'s copy.
    public var commandNameOffset: Int?
    /// CLOCK_REALTIME - CLOCK_MONOTONIC when the program is loaded: walltimestamp is
    /// then bpf_ktime_get_ns() (monotonic) plus this.
    public var wallClockOffset: Int64 = 0
    /// `-x cpu=N`: the program does nothing on other CPUs.
    public var onlyCPU: Int?
    /// Whether this clause is the first its probes' firings run: it zeroes the this->
    /// variables, which the firing's later clauses share.
    public var startsFiring = true
    /// The program of the firing's next clause, where the clauses of a probe run as a
    /// chain (`KernelProbe.chainsClauses`): a program array and its index, tail-called
    /// when this clause is done, whatever way it ends.
    public var nextClause: (programs: Int32, index: Int32)?

    /// The program is typed (tp_btf) and its prologue's arguments are the context's
    /// words: reads of kernel memory through pointers the arguments lead to are plain
    /// loads the verifier checks against the kernel's BTF (a faulting one reads 0), not
    /// probe-read calls. The engine loads the probe's untyped program instead when the
    /// verifier refuses one.
    public var readsKernelDirectly = false

    /// Set when one program serves many enablings of a clause: each firing's attach
    /// cookie names its site in this table, where its EPID, probe ID and names are.
    public var sharedProbes: SharedProbeTable?
    /// The group's first key in that table, for prologues that compute their site's key
    /// (`ProbePrologue.computesSiteKey`).
    public var sharedKeyBase: Int = 0

    /// A clause at a system call's entry that is run again at the call's return when a
    /// copyinstr() finds its page absent (ReplayedClauses): where it notes that.
    public var replay: ReplaySite?

    public init(identity: ProbeIdentity, epid: Int, prologue: any ProbePrologue) {
        self.identity = identity; self.epid = epid; self.prologue = prologue
    }
}

/// The probe sites of programs that serve many enablings: an array map from a site's
/// attach cookie to its probe's ID and EPID, a word of the provider's own about the site
/// (a USDT site's address as linked), and the probe's four names, each a NUL-padded field
/// of `nameWidth` bytes. A probe may have many sites (a USDT probe's notes), each with
/// its cookie.
public struct SharedProbeTable: Sendable {
    public var descriptor: Int32
    public var nameWidth: Int
    public init(descriptor: Int32, nameWidth: Int) { self.descriptor = descriptor; self.nameWidth = nameWidth }

    public static let identifierOffset = 0
    public static let epidOffset = 8
    public static let siteDataOffset = 16
    /// The offset of a name (0 provider, 1 module, 2 function, 3 name) in a value.
    public func nameOffset(_ index: Int) -> Int { 24 + index * nameWidth }
    public var valueSize: Int { 24 + 4 * nameWidth }

    /// The table's value for one site of a probe.
    public func value(for identity: ProbeIdentity, epid: Int, siteData: UInt64) -> [UInt8] {
        var value: [UInt8] = []
        for word in [UInt64(identity.id), UInt64(epid), siteData] { value += withUnsafeBytes(of: word.littleEndian) { Array($0) } }
        for name in [identity.provider, identity.module, identity.function, identity.name] {
            let bytes = Array(name.utf8.prefix(nameWidth - 1))
            value += bytes + [UInt8](repeating: 0, count: nameWidth - bytes.count)
        }
        return value
    }
}
