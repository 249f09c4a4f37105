// DTraceProviders/SyscallProvider: syscall::NAME:entry and :return, one pair for every
// system call the kernel's syscalls tracepoints list (IDs 1000 + 2 x index, +1 for
// return: stable for a given kernel).
//
// Two ways into the kernel:
// - with at most `rawLimit` system call probes enabled and every call's number known
//   (`SyscallNumbers`), on raw_syscalls' sys_enter / sys_exit: each program first
//   compares the call's number and the caller's code segment (32-bit callers number
//   their calls differently) and returns, so it skips building the tracepoint record —
//   about half the cost of an event; arguments come from the saved registers;
// - with more than `sharedLimit` (every system call, `syscall:::entry`), on raw_syscalls
//   too, but one program per clause and end serves them all: it finds the probe of the
//   call's number in the shared probe table (a call with no probe leaves at once), so
//   hundreds of probes are one link, attached and closed in milliseconds;
// - otherwise (or with `-x syscallprobes=tracepoint`) each probe on its own
//   syscalls:sys_enter_NAME / sys_exit_NAME tracepoint, so other calls pay nothing.
// Return probes: arg0 = arg1 = the return value, or -1 with errno set on failure.

import DTraceBPF
import DTraceCodegen
import DTraceLanguage
import DTraceIR
import DTracePlatform
import DTraceSystem

/// A system call probe: the call's name and which end.
public struct SyscallProbe: Sendable, Equatable {
    public var call: String
    public var isReturn: Bool
    var event: String { (isReturn ? "sys_exit_" : "sys_enter_") + call }
}

public struct SyscallProvider: Provider {
    public init() {}
    public var name: String { "syscall" }
    public var probeAttributes: ProbeAttributes { ProbeAttributes("Evolving", "Common") }
    public var argumentAttributes: ProbeAttributes { ProbeAttributes("Private", "ISA") }
    public var requirement: ProviderRequirement {
        ProviderRequirement(provider: name, needs: [.bpf, .tracefs, .tracepoints], how: "syscalls tracepoints", ptraceEngine: "seccomp or PTRACE_SYSCALL stops of the -c/-p process")
    }
    /// At most this many system call probes go on raw_syscalls one program each; more
    /// than `sharedLimit` share one program per clause there.
    public static let rawLimit = 8
    public static let sharedLimit = 32
    /// System call numbers are below this (the shared table's range per clause).
    static let numberSpan: UInt32 = 1024

    /// Where tracefs cannot be read (an unprivileged user), the calls of dtrace's own
    /// table, for the ptrace engine.
    public var listsWithoutTracefs: Bool { true }

    public func probes(in environment: ProbeEnvironment) -> [Probe] {
        let names: [String], exits: Set<String>
        if let root = environment.tracefsRoot {
            let events = Tracefs.listDirectory(root + "/events/syscalls")
            names = events.filter { $0.hasPrefix("sys_enter_") }.map { String($0.dropFirst("sys_enter_".count)) }
            exits = Set(events.filter { $0.hasPrefix("sys_exit_") }.map { String($0.dropFirst("sys_exit_".count)) })
        } else {
            names = SyscallNumbers.x86_64.keys.sorted()
            exits = Set(names)
        }
        var probes: [Probe] = []
        for (index, call) in names.enumerated() {
            probes.append(makeProbe(id: 1000 + 2 * index, module: "vmlinux", function: call, name: "entry", detail: SyscallProbe(call: call, isReturn: false)))
            if exits.contains(call) {
                probes.append(makeProbe(id: 1001 + 2 * index, module: "vmlinux", function: call, name: "return", detail: SyscallProbe(call: call, isReturn: true)))
            }
        }
        return probes
    }

    /// In the ptrace engine: a stop at the call's entry or return in the traced process;
    /// entry arguments from the system call registers (rdi, rsi, rdx, r10, r8, r9), the
    /// return value from rax, as -1 and errno when it failed.
    public func tracedProbe(for probe: Probe) -> TracedProbe? {
        guard let syscall = probe.detail(as: SyscallProbe.self), let number = SyscallNumbers.x86_64[syscall.call] else { return nil }
        if syscall.isReturn {
            var traced = TracedProbe(sites: [.systemCall(number: number, returns: true)]) { thread, _ in
                let value = Int64(bitPattern: thread.register(atSavedOffset: SavedRegisters.rax))
                let result: Int64 = value < 0 && value >= -4095 ? -1 : value
                return [result, result]
            }
            traced.errorNumber = { thread in
                let value = Int64(bitPattern: thread.register(atSavedOffset: SavedRegisters.rax))
                return value < 0 && value >= -4095 ? -value : 0
            }
            return traced
        }
        let registers = [SavedRegisters.rdi, SavedRegisters.rsi, SavedRegisters.rdx, SavedRegisters.r10, SavedRegisters.r8, SavedRegisters.r9]
        return TracedProbe(sites: [.systemCall(number: number, returns: false)]) { thread, _ in
            registers.map { Int64(bitPattern: thread.register(atSavedOffset: $0)) }
        }
    }

    /// Entry: the call's arguments as its tracepoint types them; return: its value.
    public func argumentTypes(of probe: Probe, in environment: ProbeEnvironment) -> [String] {
        guard let syscall = probe.detail(as: SyscallProbe.self), let root = environment.tracefsRoot,
              let fields = Tracefs.format(root: root, group: "syscalls", event: syscall.event) else { return [] }
        if syscall.isReturn { return fields.contains { $0.name == "ret" } ? ["int64_t", "int64_t"] : [] }
        return fields.filter { !$0.isCommon && $0.name != "__syscall_nr" }.map { ArgumentRecord.type(of: ArgumentRecord.Field($0)).description }
    }

    public func kernelProbe(for probe: Probe, in setup: KernelSetup) throws(KernelSetupError) -> KernelProbe {
        guard let syscall = probe.detail(as: SyscallProbe.self) else { throw KernelSetupError("\(probe.identity.fullName) is not a system call probe") }
        if Self.sharesRawProgram(in: setup), let number = SyscallNumbers.x86_64[syscall.call], number >= 0, UInt32(number) < Self.numberSpan {
            let tracepoint = syscall.isReturn ? "sys_exit" : "sys_enter"
            let prologue = RawSyscallPrologue(number: nil, isReturn: syscall.isReturn, compatStatusOffset: setup.types.compatStatusOffset)
            return KernelProbe(programType: .rawTracepoint, attachType: .unspecified, prologue: prologue,
                               sharing: SharedAttachment(key: "raw_syscalls " + tracepoint, keyOfProbe: { probe in
                                   UInt32(SyscallNumbers.x86_64[probe.detail(as: SyscallProbe.self)?.call ?? ""] ?? 0)
                               }, keySpan: Self.numberSpan) { program, _, attachments in
                                   try attachments.attachRawTracepoint(tracepoint, program: program)
                               })
        }
        if let number = Self.rawNumber(of: syscall, in: setup) {
            let prologue = RawSyscallPrologue(number: number, isReturn: syscall.isReturn, compatStatusOffset: setup.types.compatStatusOffset)
            let tracepoint = syscall.isReturn ? "sys_exit" : "sys_enter"
            return KernelProbe(programType: .rawTracepoint, prologue: prologue,
                               // A kernel that refuses BTF pointers here gets the probe-read compat test.
                               fallbackPrologue: prologue.compatStatusOffset == nil ? nil : RawSyscallPrologue(number: number, isReturn: syscall.isReturn, compatStatusOffset: nil)) { program, attachments in
                try attachments.attachRawTracepoint(tracepoint, program: program)
            }
        }
        let fields = try setup.format(group: "syscalls", event: syscall.event)
        let prologue: any ProbePrologue
        if syscall.isReturn {
            guard let ret = fields.first(where: { $0.name == "ret" }) else { throw KernelSetupError("tracepoint syscalls:\(syscall.event) has no ret field") }
            prologue = SyscallReturnPrologue(returnValueOffset: Int16(ret.offset))
        } else {
            prologue = TracepointPrologue(fields: fields.filter { !$0.isCommon && $0.name != "__syscall_nr" }.map { TracepointPrologue.Field(offset: $0.offset, size: 8, signed: false) })
        }
        return KernelProbe(programType: .tracepoint, prologue: prologue) { program, attachments in
            try attachments.attachTracepoint(group: "syscalls", event: syscall.event, program: program)
        }
    }

    /// The call's number when the probe goes on raw_syscalls: few enough system call
    /// probes enabled, every one's number known, and the raw path allowed.
    /// Whether the enabled system call probes share one raw_syscalls program per clause:
    /// many of them and the raw path allowed (a call whose number dtrace does not know
    /// keeps its own tracepoint).
    static func sharesRawProgram(in setup: KernelSetup) -> Bool {
        guard setup.allowsRawSyscalls, PlatformArchitecture.isX86_64 else { return false }
        return setup.enabledProbes.lazy.filter { $0.detail(as: SyscallProbe.self) != nil }.count > sharedLimit
    }

    static func rawNumber(of syscall: SyscallProbe, in setup: KernelSetup) -> Int? {
        guard setup.allowsRawSyscalls, PlatformArchitecture.isX86_64 else { return nil }
        let enabled = setup.enabledProbes.compactMap { $0.detail(as: SyscallProbe.self) }
        guard enabled.count <= rawLimit, enabled.allSatisfy({ SyscallNumbers.x86_64[$0.call] != nil }) else { return nil }
        return SyscallNumbers.x86_64[syscall.call]
    }
}

/// The failed-call convention: a value in [-4095, -1] is -errno; the probe sees -1.
private func emitReturnValue(_ code: inout PrologueCode, demand: ContextDemand, load: (inout PrologueCode) -> Void) {
    if demand.needsArgument(0) || demand.needsArgument(1) {
        load(&code)
        let done = code.asm.newLabel()
        code.asm.jump(.jsge, .r0, immediate: 0, done)
        code.asm.jump(.jslt, .r0, immediate: -4095, done)
        code.asm.load(.r0, constant: -1)
        code.asm.bind(done)
        code.storeArgument(0, from: .r0)
        code.storeArgument(1, from: .r0)
    }
    if demand.errno {
        load(&code)
        code.asm.move(.r1, .r0)
        code.asm.load(.r0, constant: 0)
        let done = code.asm.newLabel()
        code.asm.jump(.jsge, .r1, immediate: 0, done)
        code.asm.jump(.jslt, .r1, immediate: -4095, done)
        code.asm.move(.r0, .r1)
        code.asm.negate(.r0)
        code.asm.bind(done)
        code.asm.store(.r0, to: .r7, offset: code.errnoSlot, size: .double)
    }
}

/// A syscalls:sys_exit_NAME tracepoint: the return value is the record's `ret`.
struct SyscallReturnPrologue: ProbePrologue {
    let returnValueOffset: Int16
    var argumentCount: Int { 2 }

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        let offset = returnValueOffset
        emitReturnValue(&code, demand: demand) { $0.asm.load(.r0, from: .r6, offset: offset, size: .double) }
    }
}

/// raw_syscalls sys_enter (context: the pt_regs pointer, the call's number) or sys_exit
/// (the pt_regs pointer, the return value), for one call — or, with no `number`, for the
/// probes of a shared program, whose site key is the call's number.
struct RawSyscallPrologue: ProbePrologue {
    let number: Int?
    let isReturn: Bool
    /// task_struct.thread_info.status (from the kernel's BTF): the compat test is then
    /// one load through bpf_get_current_task_btf() instead of a probe read of the saved
    /// code segment.
    let compatStatusOffset: Int?
    var argumentCount: Int { isReturn ? 2 : Self.argumentRegisters.count }

    /// x86-64 struct pt_regs offsets: the system call's arguments (di, si, dx, r10, r8,
    /// r9), orig_ax (the call's number) and cs (0x33 for 64-bit user code).
    static let argumentRegisters: [Int32] = [112, 104, 96, 56, 72, 64]
    static let originalAX: Int32 = 120
    static let codeSegment: Int32 = 136
    static let userCodeSegment64: Int32 = 0x33
    static let threadStatusCompat: Int32 = 0x0002   // TS_COMPAT

    /// r0 = the saved register at `offset` of pt_regs, through the frame temporary.
    func readSavedRegister(_ code: inout PrologueCode, at offset: Int32) {
        code.asm.load(.r3, from: .r6, offset: 0, size: .double)
        code.probeReadKernel(from: .r3, offset: offset, size: 8, into: PrologueCode.frameTemporary, of: .frame)
        code.asm.load(.r0, from: .frame, offset: PrologueCode.frameTemporary, size: .double)
    }

    /// Every system call runs this: leave as early as possible.
    func emitFilter(_ code: inout PrologueCode) {
        if let number {
            emitNumber(&code)
            code.asm.jump(.jne, .r0, immediate: Int32(number), code.exit)
        }
        // A 32-bit caller's calls are numbered differently (the syscalls tracepoints
        // leave them out): TS_COMPAT in thread_info.status, or else the saved code
        // segment (0x33 for 64-bit user code).
        if let offset = compatStatusOffset, let small = Int16(exactly: offset) {
            code.asm.call(.getCurrentTaskBTF)
            code.asm.load(.r1, from: .r0, offset: small, size: .word)
            code.asm.jump(.jset, .r1, immediate: Self.threadStatusCompat, code.exit)
        } else {
            readSavedRegister(&code, at: Self.codeSegment)
            code.asm.jump(.jne, .r0, immediate: Self.userCodeSegment64, code.exit)
        }
    }

    /// r0 = the call's number: sys_enter passes it, sys_exit leaves it in orig_ax.
    func emitNumber(_ code: inout PrologueCode) {
        if isReturn {
            readSavedRegister(&code, at: Self.originalAX)
        } else {
            code.asm.load(.r0, from: .r6, offset: 8, size: .double)
        }
    }

    var computesSiteKey: Bool { number == nil }

    /// The call's number is the site's key; a number beyond the table's range (-1 for a
    /// call that does not exist) has no site.
    func emitSiteKey(_ code: inout PrologueCode) {
        emitNumber(&code)
        code.asm.jump(.jge, .r0, immediate: Int32(SyscallProvider.numberSpan), code.exit)
    }

    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        if isReturn {
            emitReturnValue(&code, demand: demand) { $0.asm.load(.r0, from: .r6, offset: 8, size: .double) }
            return
        }
        for (index, register) in Self.argumentRegisters.enumerated() where demand.needsArgument(index) {
            code.asm.load(.r3, from: .r6, offset: 0, size: .double)
            code.probeReadKernel(from: .r3, offset: register, size: 8, into: code.argumentSlot(index), of: .r7)
        }
    }
}
