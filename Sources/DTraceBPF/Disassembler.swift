// DTraceBPF/Disassembler: BPF instructions as text, in the kernel verifier's notation
// (`r1 = *(u64 *)(r10 -8)`, `if r0 == 0x0 goto pc+3`), for `dtrace -S` and the tests.

public enum BPFDisassembler {
    public static func text(_ instructions: [BPFInstruction]) -> [String] {
        var lines: [String] = []
        var index = 0
        while index < instructions.count {
            let instruction = instructions[index]
            let prefix = pad(String(index), 4) + ": "
            if instruction.opcode == 0x18, index + 1 < instructions.count {
                let high = UInt64(UInt32(bitPattern: instructions[index + 1].immediate))
                let value = high << 32 | UInt64(UInt32(bitPattern: instruction.immediate))
                let operand = instruction.source == BPFInstruction.pseudoMapDescriptor ? "map[fd \(instruction.immediate)]"
                    : instruction.source == BPFInstruction.pseudoMapValue ? "map[fd \(instruction.immediate)] value + \(instructions[index + 1].immediate)"
                    : instruction.source == BPFInstruction.pseudoFunction ? "func[\(index + 1 + Int(instruction.immediate))]"
                    : "0x" + String(value, radix: 16)
                lines.append(prefix + "r\(instruction.destination) = \(operand) ll")
                index += 2
                continue
            }
            lines.append(prefix + describe(instruction))
            index += 1
        }
        return lines
    }

    static func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }

    static func hex(_ value: Int32) -> String { value < 0 ? "-0x" + String(-Int64(value), radix: 16) : "0x" + String(value, radix: 16) }

    static func memory(_ register: UInt8, _ offset: Int16, _ size: BPFSize) -> String {
        "*(\(size.typeName) *)(r\(register) \(offset < 0 ? "-" : "+")\(abs(Int(offset))))"
    }

    public static func describe(_ instruction: BPFInstruction) -> String {
        let dst = "r\(instruction.destination)", src = "r\(instruction.source)"
        let size = BPFSize(rawValue: instruction.opcode & 0x18) ?? .double
        switch instruction.instructionClass {
        case .ldx:
            return "\(dst) = \(memory(instruction.source, instruction.offset, size))"
        case .st:
            return "\(memory(instruction.destination, instruction.offset, size)) = \(hex(instruction.immediate))"
        case .stx:
            return "\(memory(instruction.destination, instruction.offset, size)) = \(src)"
        case .alu, .alu64:
            let wide = instruction.instructionClass == .alu64
            let name = wide ? dst : "w\(instruction.destination)"
            guard let operation = BPFALUOperation(rawValue: instruction.opcode & 0xf0) else { return "invalid alu 0x\(String(instruction.opcode, radix: 16))" }
            let operand = instruction.opcode & 0x08 != 0 ? (wide ? src : "w\(instruction.source)") : hex(instruction.immediate)
            switch operation {
            case .neg: return "\(name) = -\(name)"
            case .end:
                // A byte swap is an ALU-class instruction whatever its width; name the whole
                // register as the kernel's disassembler does.
                return "\(dst) = \(instruction.opcode & 0x08 != 0 ? "be" : "le")\(instruction.immediate) \(dst)"
            default: return "\(name) \(operation.symbol) \(operand)"
            }
        case .jmp, .jmp32:
            guard let operation = BPFJumpOperation(rawValue: instruction.opcode & 0xf0) else { return "invalid jump" }
            let target = "pc\(instruction.offset < 0 ? "" : "+")\(instruction.offset)"
            switch operation {
            case .ja: return "goto \(target)"
            case .exit: return "exit"
            case .call: return "call \(BPFHelper(rawValue: instruction.immediate)?.name ?? "#\(instruction.immediate)")"
            default:
                let operand = instruction.opcode & 0x08 != 0 ? src : hex(instruction.immediate)
                return "if \(dst) \(operation.symbol) \(operand) goto \(target)"
            }
        case .ld:
            return "ld 0x\(String(instruction.opcode, radix: 16))"
        }
    }
}
