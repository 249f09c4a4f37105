// DTraceIR/IRListing: the IR as `dtrace -S` lists it — one instruction per line in the
// style of DTrace's DIF listings: an operation mnemonic, then its operands (registers
// %rN, memory as [%rN+offset] with its space, labels Ln, helpers by their D names).

extension Instruction {
    /// The instruction as a listing line: mnemonic and operands.
    public var listing: String {
        func column(_ mnemonic: String, _ operands: String) -> String {
            mnemonic + String(repeating: " ", count: max(1, 8 - mnemonic.count)) + operands
        }
        func memory(_ base: Register, _ offset: Int) -> String { offset == 0 ? "[\(base)]" : "[\(base)\(offset < 0 ? "" : "+")\(offset)]" }
        switch self {
        case .constant(let r, let value):
            return column("setx", "\(value < 0 || value > 9 ? "0x" + String(UInt64(bitPattern: value), radix: 16) : String(value)), \(r)")
        case .move(let to, let from):
            return column("mov", "\(from), \(to)")
        case .arithmetic(let op, let to, let a, let b):
            return column(op.mnemonic, "\(a), \(b), \(to)")
        case .compare(let op, let to, let a, let b):
            return column(op.mnemonic, "\(a), \(b), \(to)")
        case .unary(let op, let to, let from):
            return column(op.mnemonic, "\(from), \(to)")
        case .extend(let to, let from, let bits, let signed):
            return column(signed ? "sext\(bits)" : "zext\(bits)", "\(from), \(to)")
        case .address(let r, let space, let offset):
            return column("lea", "\(space.listingName)+\(offset), \(r)")
        case .load(let r, let base, let offset, let width, let space):
            return column("ld\(MemorySpace.widthSuffix(width))", "\(space.listingName)\(memory(base, offset)), \(r)")
        case .store(let base, let offset, let value, let width, let space):
            return column("st\(MemorySpace.widthSuffix(width))", "\(value), \(space.listingName)\(memory(base, offset))")
        case .jump(let label):
            return column("ba", "\(label)")
        case .branchIfZero(let r, let label):
            return column("bz", "\(r), \(label)")
        case .branchIfNotZero(let r, let label):
            return column("bnz", "\(r), \(label)")
        case .label(let label):
            return "\(label):"
        case .call(let helper, let result, let arguments):
            let call = "\(helper.listingName)(\(arguments.map(\.description).joined(separator: ", ")))"
            return column("call", result.map { "\(call), \($0)" } ?? call)
        case .checkNonZero(let r, let kind):
            return column("chknz", "\(r) (\(kind.message))")
        case .checkBounds(let index, let limit, let address, let kind):
            return column("chkbnd", kind == .badIndex ? "\(index) < \(limit) (\(kind.message))" : "\(index) < \(limit) (address \(address))")
        case .returnFromClause:
            return "ret"
        }
    }
}

extension ArithmeticOperator {
    var mnemonic: String {
        switch self {
        case .add: return "add"
        case .subtract: return "sub"
        case .multiply: return "mul"
        case .signedDivide: return "sdiv"
        case .unsignedDivide: return "udiv"
        case .signedRemainder: return "srem"
        case .unsignedRemainder: return "urem"
        case .and: return "and"
        case .or: return "or"
        case .xor: return "xor"
        case .shiftLeft: return "sll"
        case .logicalShiftRight: return "srl"
        case .arithmeticShiftRight: return "sra"
        }
    }
}

extension ComparisonOperator {
    var mnemonic: String {
        switch self {
        case .equal: return "seteq"
        case .notEqual: return "setne"
        case .signedLess: return "setlt"
        case .signedLessOrEqual: return "setle"
        case .signedGreater: return "setgt"
        case .signedGreaterOrEqual: return "setge"
        case .unsignedLess: return "setltu"
        case .unsignedLessOrEqual: return "setleu"
        case .unsignedGreater: return "setgtu"
        case .unsignedGreaterOrEqual: return "setgeu"
        }
    }
}

extension UnaryOperator {
    var mnemonic: String {
        switch self {
        case .negate: return "neg"
        case .bitwiseNot: return "not"
        case .logicalNot: return "lnot"
        case .byteSwap16: return "bswap16"
        case .byteSwap32: return "bswap32"
        case .byteSwap64: return "bswap64"
        }
    }
}

extension MemorySpace {
    var listingName: String {
        switch self {
        case .scratch: return "scratch"
        case .global: return "globals"
        case .constant: return "strtab"
        case .mapValue: return "dvar"
        case .tracee: return "tracee"
        }
    }

    static func widthSuffix(_ width: Int) -> String {
        switch width {
        case 1: return "b"
        case 2: return "h"
        case 4: return "w"
        default: return "x"
        }
    }
}

extension Helper {
    /// The helper as D (or DTrace's DIF) names it.
    var listingName: String {
        switch self {
        case .readBuiltin(let variable): return variable.rawValue
        case .readArgument: return "args"
        case .readUserRegister: return "uregs"
        case .stringLength: return "strlen"
        case .stringCompare: return "strcmp"
        case .stringCopy: return "strcpy"
        case .stringCopyBounded(let size): return "strncpy/\(size)"
        case .integerToString(let hasBase): return hasBase ? "lltostr/base" : "lltostr"
        case .random: return "rand"
        case .subroutine(let call): return call.description
        case .stackID(let user): return user ? "ustack" : "stack"
        case .noteProcess: return "noteproc"
        case .allocate: return "alloca"
        case .checkAlloca: return "chkalloca"
        case .copyBytes: return "bcopy"
        case .copyIn: return "copyin"
        case .copyInString: return "copyinstr"
        case .copyInKernelString: return "copyinstr/kernel"
        case .copyInKernel: return "copyin/kernel"
        case .zeroBytes: return "bzero"
        case .mapLookup(let map): return "map\(map).lookup"
        case .mapLookupOrCreate(let map): return "map\(map).insert"
        case .mapDelete(let map): return "map\(map).delete"
        case .aggregate(let aggregation): return "aggregation\(aggregation).update"
        case .submitRecord(let epid): return "submit/epid\(epid)"
        case .speculation: return "speculation"
        case .speculate: return "speculate"
        case .speculationDrop: return "specdrop"
        case .commit: return "commit"
        case .discard: return "discard"
        case .exit: return "exit"
        case .raise: return "raise"
        }
    }
}
