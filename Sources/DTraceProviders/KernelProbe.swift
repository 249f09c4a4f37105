// DTraceProviders/KernelProbe: a probe as the kernel engine runs it: program type,
// prologue (and a fallback), attach step — alone, or shared with the other probes of a
// clause that one program serves (told apart by attach cookies).

import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem

/// A probe as the kernel engine runs it.
public struct KernelProbe {
    public var programType: BPFProgramType
    public var prologue: any ProbePrologue
    /// A second prologue to try when the kernel refuses the first (nil: none).
    public var fallbackPrologue: (any ProbePrologue)?
    /// Attaches the loaded program; nil for probes dtrace runs itself (BEGIN, END, ERROR).
    public var attach: ((BPFProgram, KernelAttachments) throws -> Void)?
    /// The attach type the program is loaded for.
    public var attachType: BPFAttachType = .unspecified
    /// Set for probes one program serves together (see `SharedAttachment`); `attach` is
    /// then unused.
    public var sharing: SharedAttachment?
    /// Set where each attachment is an event source of its own (a timer): the clauses
    /// enabled on the probe then run as one firing — only the first is attached, and
    /// each calls the next — so that they share its this-> variables and its order.
    public var chainsClauses = false
    /// The same probe as a typed program (tp_btf), where the kernel's BTF names its
    /// tracepoint: the verifier then knows the kernel type of each pointer argument, so
    /// the clause's reads of kernel structures through them are plain loads instead of
    /// probe-read calls (`ProbeSite.readsKernelDirectly`). The engine loads this first
    /// and the untyped program when the verifier refuses it.
    public var typed: TypedProgram?

    public struct TypedProgram {
        /// The BTF type of the kernel the program is loaded for (btf_trace_EVENT).
        public var attachBTFID: UInt32
        public var attach: (BPFProgram, KernelAttachments) throws -> Void
        public init(attachBTFID: UInt32, attach: @escaping (BPFProgram, KernelAttachments) throws -> Void) {
            self.attachBTFID = attachBTFID; self.attach = attach
        }
    }

    public init(programType: BPFProgramType, prologue: any ProbePrologue, fallbackPrologue: (any ProbePrologue)? = nil,
                attach: ((BPFProgram, KernelAttachments) throws -> Void)?) {
        self.programType = programType; self.prologue = prologue; self.fallbackPrologue = fallbackPrologue; self.attach = attach
    }

    /// A probe that shares its clause's program with the other probes of the same key.
    public init(programType: BPFProgramType, attachType: BPFAttachType, prologue: any ProbePrologue, sharing: SharedAttachment) {
        self.programType = programType; self.attachType = attachType; self.prologue = prologue; self.sharing = sharing
    }
}

/// Probes that one program per clause serves: every enabled probe of a clause with the
/// same `key` (and so the same prologue) runs that program, which finds its probe by the
/// cookie each site's attachment carries (a key of the shared probe table, holding the
/// probe's EPID and names). Thousands of uprobes then cost one program load per clause,
/// not one per probe.
public struct SharedAttachment {
    public var key: String
    /// A word per site of a probe that the prologue may read from the table (a USDT
    /// site's address as linked); a probe has as many sites as words.
    public var siteData: (Probe) -> [UInt64]
    /// Attaches the program to every site of the probes in `members`, each site with its
    /// cookie (in the order of `siteData`).
    public var attach: (BPFProgram, [(probe: Probe, cookies: [UInt64])], KernelAttachments) throws -> Void
    /// The kernel runs the programs on one site newest first (uprobes, through
    /// uprobe_multi links or perf events: each new consumer goes to the head of the
    /// uprobe's list), so the engine attaches the clauses in reverse to have them run in
    /// program order.
    public var runsNewestFirst: Bool
    /// For a prologue that computes its site's key (a system call's number): each probe's
    /// key, below `keySpan`; the engine gives the group keys base..<base + keySpan.
    public var keyOfProbe: ((Probe) -> UInt32)?
    public var keySpan: UInt32 = 0
    public init(key: String, runsNewestFirst: Bool = false, siteData: @escaping (Probe) -> [UInt64] = { _ in [0] },
                keyOfProbe: ((Probe) -> UInt32)? = nil, keySpan: UInt32 = 0,
                attach: @escaping (BPFProgram, [(probe: Probe, cookies: [UInt64])], KernelAttachments) throws -> Void) {
        self.key = key; self.runsNewestFirst = runsNewestFirst; self.siteData = siteData; self.attach = attach
        self.keyOfProbe = keyOfProbe; self.keySpan = keySpan
    }
}
