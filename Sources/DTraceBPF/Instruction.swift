// DTraceBPF/Instruction: the eBPF instruction set, defined once as data. Every opcode
// field (class, size, mode, ALU and jump operation, source) is an enum whose raw value
// is the kernel's encoding and whose `mnemonic` is what the disassembler prints; an
// instruction is the kernel's 8-byte `struct bpf_insn`.

public enum BPFRegister: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case r0 = 0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10
    public static let frame = BPFRegister.r10
    public var description: String { "r\(rawValue)" }
}

public enum BPFClass: UInt8, Sendable {
    case ld = 0x00, ldx = 0x01, st = 0x02, stx = 0x03, alu = 0x04, jmp = 0x05, jmp32 = 0x06, alu64 = 0x07
}

public enum BPFSize: UInt8, Sendable, CaseIterable {
    case word = 0x00, half = 0x08, byte = 0x10, double = 0x18
    public var bytes: Int {
        switch self { case .byte: return 1; case .half: return 2; case .word: return 4; case .double: return 8 }
    }
    public var typeName: String { "u\(bytes * 8)" }
    public init?(bytes: Int) {
        switch bytes { case 1: self = .byte; case 2: self = .half; case 4: self = .word; case 8: self = .double; default: return nil }
    }
}

public enum BPFMode: UInt8, Sendable { case imm = 0x00, abs = 0x20, ind = 0x40, mem = 0x60, atomic = 0xc0 }

public enum BPFSource: UInt8, Sendable { case immediate = 0x00, register = 0x08 }

public enum BPFALUOperation: UInt8, Sendable, CaseIterable {
    case add = 0x00, sub = 0x10, mul = 0x20, div = 0x30, or = 0x40, and = 0x50, lsh = 0x60, rsh = 0x70
    case neg = 0x80, mod = 0x90, xor = 0xa0, mov = 0xb0, arsh = 0xc0, end = 0xd0
    public var symbol: String {
        switch self {
        case .add: return "+="
        case .sub: return "-="
        case .mul: return "*="
        case .div: return "/="
        case .or: return "|="
        case .and: return "&="
        case .lsh: return "<<="
        case .rsh: return ">>="
        case .neg: return "= -"
        case .mod: return "%="
        case .xor: return "^="
        case .mov: return "="
        case .arsh: return "s>>="
        case .end: return "= be"
        }
    }
}

public enum BPFJumpOperation: UInt8, Sendable, CaseIterable {
    case ja = 0x00, jeq = 0x10, jgt = 0x20, jge = 0x30, jset = 0x40, jne = 0x50, jsgt = 0x60, jsge = 0x70
    case call = 0x80, exit = 0x90, jlt = 0xa0, jle = 0xb0, jslt = 0xc0, jsle = 0xd0
    public var symbol: String {
        switch self {
        case .jeq: return "=="
        case .jgt: return ">"
        case .jge: return ">="
        case .jset: return "&"
        case .jne: return "!="
        case .jsgt: return "s>"
        case .jsge: return "s>="
        case .jlt: return "<"
        case .jle: return "<="
        case .jslt: return "s<"
        case .jsle: return "s<="
        case .ja, .call, .exit: return ""
        }
    }
}

/// Kernel helper functions used by the code generator, with their kernel ids.
public enum BPFHelper: Int32, Sendable, CaseIterable {
    case mapLookupElement = 1, mapUpdateElement = 2, mapDeleteElement = 3
    case ktimeGetNanoseconds = 5, getPrandomU32 = 7, getSMPProcessorID = 8
    case tailCall = 12
    case getCurrentPIDTGID = 14, getCurrentUIDGID = 15, getCurrentComm = 16
    case getCurrentTask = 35, getStackID = 27, probeWriteUser = 36, getStack = 67
    case probeReadUser = 112, probeReadKernel = 113, probeReadUserString = 114, probeReadKernelString = 115
    case ringbufOutput = 130, ringbufReserve = 131, ringbufSubmit = 132, ringbufDiscard = 133, ringbufQuery = 134
    case sendSignal = 109
    case loop = 181
    case getCurrentTaskBTF = 158
    case getFunctionIP = 173, getAttachCookie = 174, taskPtRegs = 175

    public var name: String {
        switch self {
        case .mapLookupElement: return "map_lookup_elem"
        case .mapUpdateElement: return "map_update_elem"
        case .mapDeleteElement: return "map_delete_elem"
        case .ktimeGetNanoseconds: return "ktime_get_ns"
        case .getPrandomU32: return "get_prandom_u32"
        case .getSMPProcessorID: return "get_smp_processor_id"
        case .tailCall: return "tail_call"
        case .getCurrentPIDTGID: return "get_current_pid_tgid"
        case .getCurrentUIDGID: return "get_current_uid_gid"
        case .getCurrentComm: return "get_current_comm"
        case .getCurrentTask: return "get_current_task"
        case .getStackID: return "get_stackid"
        case .getStack: return "get_stack"
        case .probeWriteUser: return "probe_write_user"
        case .probeReadUser: return "probe_read_user"
        case .probeReadKernel: return "probe_read_kernel"
        case .probeReadUserString: return "probe_read_user_str"
        case .probeReadKernelString: return "probe_read_kernel_str"
        case .ringbufOutput: return "ringbuf_output"
        case .ringbufReserve: return "ringbuf_reserve"
        case .ringbufSubmit: return "ringbuf_submit"
        case .ringbufDiscard: return "ringbuf_discard"
        case .ringbufQuery: return "ringbuf_query"
        case .sendSignal: return "send_signal"
        case .loop: return "loop"
        case .getCurrentTaskBTF: return "get_current_task_btf"
        case .getFunctionIP: return "get_func_ip"
        case .getAttachCookie: return "get_attach_cookie"
        case .taskPtRegs: return "task_pt_regs"
        }
    }
}

/// One `struct bpf_insn`.
public struct BPFInstruction: Sendable, Equatable {
    public var opcode: UInt8
    public var destination: UInt8
    public var source: UInt8
    public var offset: Int16
    public var immediate: Int32

    public init(opcode: UInt8, destination: UInt8 = 0, source: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) {
        self.opcode = opcode; self.destination = destination; self.source = source; self.offset = offset; self.immediate = immediate
    }

    public var instructionClass: BPFClass { BPFClass(rawValue: opcode & 0x07)! }

    /// The kernel's little-endian encoding.
    public var bytes: [UInt8] {
        let offsetBits = UInt16(bitPattern: offset), immediateBits = UInt32(bitPattern: immediate)
        return [opcode, (source << 4) | (destination & 0x0f), UInt8(offsetBits & 0xff), UInt8(offsetBits >> 8),
                UInt8(immediateBits & 0xff), UInt8((immediateBits >> 8) & 0xff), UInt8((immediateBits >> 16) & 0xff), UInt8(immediateBits >> 24)]
    }

    /// The source field value that marks a 64-bit immediate load as a map file descriptor.
    public static let pseudoMapDescriptor: UInt8 = 1
    /// ld_imm64 source of the address of an array map's value (BPF_PSEUDO_MAP_VALUE): imm the
    /// map's file descriptor, the next instruction's imm the offset into its first value.
    public static let pseudoMapValue: UInt8 = 2
    /// ld_imm64 source of a subprogram's address (BPF_PSEUDO_FUNC), imm relative to the next instruction.
    public static let pseudoFunction: UInt8 = 4
}
