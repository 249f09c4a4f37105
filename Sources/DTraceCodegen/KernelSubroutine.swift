// DTraceCodegen/KernelSubroutine: a library subroutine's BPF body, and an aggregating
// function's BPF update. The generator meets
// `.subroutine(call)` in a clause and hands the call to what the library registered
// under that name; the body is an extension of BPFCodeGenerator in the subroutine's own
// file (DTraceLibrary), written with the generator's public tools (string temporaries,
// routine slots, tagged-address access, faults, bpf_loop callbacks).

import DTraceIR

public protocol KernelSubroutine: Sendable {
    /// Per-CPU scratch the body needs beyond the shared string temporaries and routine
    /// slots, which the layout allocates (by name, once per program).
    func scratchAreas(stringSize: Int) -> [ScratchArea]
    /// Emits the call: `arguments` as the IR passed them (a string result's destination
    /// first); the value, if any, is stored to `result`.
    func emit(_ call: SubroutineCall, arguments: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError)
}

extension KernelSubroutine {
    public func scratchAreas(stringSize: Int) -> [ScratchArea] { [] }
}

/// A named piece of per-CPU scratch a library subroutine declares (strtok's saved string).
public struct ScratchArea: Hashable, Sendable {
    public var name: String
    public var size: Int
    public init(name: String, size: Int) { self.name = name; self.size = size }
}

/// An aggregating function's update in BPF (the library's, beside its interpreter
/// semantics): r0 points at this CPU's entry (`function.wordCount` u64 words, zeroed when
/// new), r1 holds the value and r2 the increment.
public protocol KernelAggregation: Sendable {
    func emitUpdate(_ function: AggregatingFunction, generator: inout BPFCodeGenerator)
}
