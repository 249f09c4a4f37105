// DTraceProviders/KernelProbe: a probe as the kernel engine runs it: program type,
// prologue (and a fallback), attach step.

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

    public init(programType: BPFProgramType, prologue: any ProbePrologue, fallbackPrologue: (any ProbePrologue)? = nil,
                attach: ((BPFProgram, KernelAttachments) throws -> Void)?) {
        self.programType = programType; self.prologue = prologue; self.fallbackPrologue = fallbackPrologue; self.attach = attach
    }
}
