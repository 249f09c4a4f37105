// DTraceIR/Execution: the instruction loop of the interpreter and the runtime helpers.
// A clause runs to its end, to `returnFromClause` (predicate false) or to a Fault.

public enum ClauseOutcome: Equatable { case completed, predicateFalse }

public struct Interpreter {
    /// The library's subroutines, by name.
    public let subroutines: [String: any InterpretedSubroutine]

    public init(subroutines: [String: any InterpretedSubroutine] = [:]) { self.subroutines = subroutines }

    /// Runs one clause's function for one firing. Because branches only go forward, the
    /// loop visits each instruction at most once.
    public func run(_ function: IRFunction, epid: Int, machine: Machine, environment: InterpreterEnvironment) throws(Fault) -> ClauseOutcome {
        var registers = machine.borrowRegisters(count: max(function.registerCount, 1))
        defer { machine.giveBack(registers) }
        let labels = function.labelPositions
        var pc = 0
        let instructions = function.instructions
        do {
            while pc < instructions.count {
                let instruction = instructions[pc]
                pc += 1
                switch instruction {
                case .constant(let dst, let value): registers[dst.index] = value
                case .move(let dst, let src): registers[dst.index] = registers[src.index]
                case .arithmetic(let op, let dst, let lhs, let rhs):
                    registers[dst.index] = try Self.arithmetic(op, registers[lhs.index], registers[rhs.index])
                case .compare(let op, let dst, let lhs, let rhs):
                    registers[dst.index] = Self.compare(op, registers[lhs.index], registers[rhs.index]) ? 1 : 0
                case .unary(let op, let dst, let src):
                    registers[dst.index] = Self.unary(op, registers[src.index])
                case .extend(let dst, let src, let bits, let signed):
                    registers[dst.index] = Self.extend(registers[src.index], bits: bits, signed: signed)
                case .address(let dst, let space, let offset):
                    let region: Int64
                    switch space {
                    case .scratch: region = MemoryRegion.scratch
                    case .global: region = MemoryRegion.global
                    case .constant: region = MemoryRegion.constant
                    case .mapValue, .tracee: region = MemoryRegion.zero
                    }
                    registers[dst.index] = MemoryRegion.base(region) + Int64(offset)
                case .load(let dst, let base, let offset, let width, let space):
                    let address = registers[base.index] &+ Int64(offset)
                    if space == .tracee {
                        guard let bytes = environment.readTracee(address: address, size: width) else {
                            throw Fault(kind: .badAddress, address: address)
                        }
                        var value: UInt64 = 0
                        for byte in bytes.reversed() { value = value << 8 | UInt64(byte) }
                        registers[dst.index] = Int64(bitPattern: value)
                    } else {
                        registers[dst.index] = try machine.load(address, width: width)
                    }
                case .store(let base, let offset, let value, let width, _):
                    try machine.store(registers[base.index] &+ Int64(offset), width: width, value: registers[value.index])
                case .jump(let label): pc = labels[label] ?? instructions.count
                case .branchIfZero(let register, let label):
                    if registers[register.index] == 0 { pc = labels[label] ?? instructions.count }
                case .branchIfNotZero(let register, let label):
                    if registers[register.index] != 0 { pc = labels[label] ?? instructions.count }
                case .label: break
                case .call(let helper, let result, let arguments):
                    let values = arguments.map { registers[$0.index] }
                    let value = try callHelper(helper, values, epid: epid, machine: machine, environment: environment)
                    if let result { registers[result.index] = value }
                case .checkNonZero(let register, let kind):
                    if registers[register.index] == 0 { throw Fault(kind: kind) }
                case .checkBounds(let index, let limit, let address, let kind):
                    if UInt64(bitPattern: registers[index.index]) >= UInt64(limit) {
                        throw Fault(kind: kind, address: registers[(kind == .badIndex ? index : address).index])
                    }
                case .returnFromClause:
                    return .predicateFalse
                }
            }
        } catch let error as Fault {
            var fault = error
            fault.instruction = pc - 1
            fault.action = pc - 1 < function.actionOfInstruction.count ? function.actionOfInstruction[pc - 1] : 0
            throw fault
        } catch {
            throw Fault(kind: .illegalOperation, instruction: pc - 1)
        }
        return .completed
    }

    public static func arithmetic(_ op: ArithmeticOperator, _ a: Int64, _ b: Int64) throws(Fault) -> Int64 {
        switch op {
        case .add: return a &+ b
        case .subtract: return a &- b
        case .multiply: return a &* b
        case .signedDivide:
            if b == 0 { throw Fault(kind: .divideByZero) }
            if a == .min && b == -1 { return .min }
            return a / b
        case .unsignedDivide:
            if b == 0 { throw Fault(kind: .divideByZero) }
            return Int64(bitPattern: UInt64(bitPattern: a) / UInt64(bitPattern: b))
        case .signedRemainder:
            // As DTrace on Linux computes it: the magnitudes' remainder, negative when
            // exactly one operand is (19 % -5 is -4, -19 % -5 is 4).
            if b == 0 { throw Fault(kind: .divideByZero) }
            let remainder = Int64(bitPattern: a.magnitude % b.magnitude)
            return (a < 0) != (b < 0) ? 0 &- remainder : remainder
        case .unsignedRemainder:
            if b == 0 { throw Fault(kind: .divideByZero) }
            return Int64(bitPattern: UInt64(bitPattern: a) % UInt64(bitPattern: b))
        case .and: return a & b
        case .or: return a | b
        case .xor: return a ^ b
        case .shiftLeft: return a << (b & 63)
        case .logicalShiftRight: return Int64(bitPattern: UInt64(bitPattern: a) >> UInt64(b & 63))
        case .arithmeticShiftRight: return a >> (b & 63)
        }
    }

    public static func compare(_ op: ComparisonOperator, _ a: Int64, _ b: Int64) -> Bool {
        let ua = UInt64(bitPattern: a), ub = UInt64(bitPattern: b)
        switch op {
        case .equal: return a == b
        case .notEqual: return a != b
        case .signedLess: return a < b
        case .signedLessOrEqual: return a <= b
        case .signedGreater: return a > b
        case .signedGreaterOrEqual: return a >= b
        case .unsignedLess: return ua < ub
        case .unsignedLessOrEqual: return ua <= ub
        case .unsignedGreater: return ua > ub
        case .unsignedGreaterOrEqual: return ua >= ub
        }
    }

    static func unary(_ op: UnaryOperator, _ a: Int64) -> Int64 {
        switch op {
        case .negate: return 0 &- a
        case .bitwiseNot: return ~a
        case .logicalNot: return a == 0 ? 1 : 0
        case .byteSwap16: return Int64(UInt16(truncatingIfNeeded: a).byteSwapped)
        case .byteSwap32: return Int64(UInt32(truncatingIfNeeded: a).byteSwapped)
        case .byteSwap64: return Int64(bitPattern: UInt64(bitPattern: a).byteSwapped)
        }
    }

    public static func extend(_ value: Int64, bits: Int, signed: Bool) -> Int64 {
        guard bits < 64 else { return value }
        let shift = Int64(64 - bits)
        if signed { return (value << shift) >> shift }
        return Int64(bitPattern: (UInt64(bitPattern: value) << UInt64(shift)) >> UInt64(shift))
    }

    // MARK: helpers

    func callHelper(_ helper: Helper, _ a: [Int64], epid: Int, machine: Machine, environment: InterpreterEnvironment) throws(Fault) -> Int64 {
        func string(_ i: Int) throws(Fault) -> [UInt8] { try machine.readString(at: a[i]) }
        func result(_ bytes: [UInt8]) throws(Fault) -> Int64 { try machine.writeString(bytes, at: a[0]); return a[0] }
        switch helper {
        case .readBuiltin(let variable):
            if variable.isString { return try result(environment.builtinString(variable)) }
            return environment.builtinValue(variable)
        case .readArgument: return environment.argument(a[0])
        case .readUserRegister: return environment.userRegister(a[0])
        case .stackID(let user): return environment.stackID(user: user)
        case .noteProcess: environment.noteUserAddresses(); return 0
        case .stringLength: return Int64(try string(0).count)
        case .stringCompare:
            let lhs = try string(0), rhs = try string(1)
            for (x, y) in zip(lhs, rhs) where x != y { return x < y ? -1 : 1 }
            return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
        case .stringCopy: return try result(try string(1))
        case .stringCopyBounded(let size): return try result(Array(try string(1).prefix(max(0, size - 1))))
        case .integerToString(let hasBase):
            let base = hasBase ? a[2] : 10
            guard base >= 2 && base <= 75 else { throw Fault(kind: .illegalOperation) }
            return try result(Array(Self.integerText(a[1], base: base).utf8))
        case .random: return environment.randomValue()
        case .subroutine(let call):
            guard let body = subroutines[call.name] else { throw Fault(kind: .illegalOperation) }
            return try body.interpret(call, SubroutineContext(arguments: a, machine: machine, environment: environment))
        case .allocate: return try machine.allocate(a[0])
        case .checkAlloca:
            try machine.checkAllocaAccess(address: a[0], size: a[1])
            return 0
        case .copyBytes:
            guard a[2] >= 0, a[2] <= Int64(Machine.allocaSize) else { throw Fault(kind: .badAddress, address: a[1]) }
            let bytes = try machine.readBytes(at: a[0], count: Int(a[2]))
            try machine.writeBytes(bytes, at: a[1])
            return 0
        case .copyIn:
            guard a[2] >= 0, a[2] <= Int64(Machine.allocaSize) else { throw Fault(kind: .badAddress, address: a[1]) }
            guard let bytes = environment.readTracee(address: a[1], size: Int(a[2])) else { throw Fault(kind: .badAddress, address: a[1]) }
            try machine.writeBytes(bytes, at: a[0])
            return a[0]
        case .copyInKernelString:
            // The interpreter runs in dtrace itself: there is no kernel memory to read.
            throw Fault(kind: .kernelPrivilege, address: a[1])
        case .copyInKernel:
            // Read as the kernel's memory is read in a load (which only the kernel engine runs).
            guard a[2] >= 0, a[2] <= 1 << 16 else { throw Fault(kind: .badAddress, address: a[1]) }
            guard let bytes = environment.readTracee(address: a[1], size: Int(a[2])) else { throw Fault(kind: .badAddress, address: a[1]) }
            try machine.writeBytes(bytes, at: a[0])
            return 0
        case .copyInString:
            // At most strsize bytes with the NUL, as Oracle's DTrace reads them (a size given
            // counts the NUL too, and is capped at strsize).
            let limit = max(0, (a.count > 2 ? min(Int(clamping: max(1, a[2])), machine.stringSize) : machine.stringSize) - 1)
            var bytes: [UInt8] = []
            while bytes.count < limit {
                guard let chunk = environment.readTracee(address: a[1] &+ Int64(bytes.count), size: 1) else {
                    if bytes.isEmpty { throw Fault(kind: .badAddress, address: a[1]) }
                    break
                }
                if chunk[0] == 0 { break }
                bytes.append(chunk[0])
            }
            return try result(bytes)
        case .zeroBytes:
            guard a[1] >= 0, a[1] <= Int64(Machine.allocaSize) else { throw Fault(kind: .badAddress, address: a[0]) }
            try machine.writeBytes([UInt8](repeating: 0, count: Int(a[1])), at: a[0])
            return 0
        case .mapLookup(let map):
            let storage = machine.maps[map]
            let key = try machine.readBytes(at: a[0], count: storage.descriptor.keySize)
            guard let slot = storage.lookup(key) else { return 0 }
            return MemoryRegion.base(MemoryRegion.firstMap + Int64(map)) + Int64(slot * storage.descriptor.valueSize)
        case .mapLookupOrCreate(let map):
            let storage = machine.maps[map]
            let key = try machine.readBytes(at: a[0], count: storage.descriptor.keySize)
            guard let slot = storage.lookupOrCreate(key) else { return 0 }
            return MemoryRegion.base(MemoryRegion.firstMap + Int64(map)) + Int64(slot * storage.descriptor.valueSize)
        case .mapDelete(let map):
            let storage = machine.maps[map]
            storage.delete(try machine.readBytes(at: a[0], count: storage.descriptor.keySize))
            return 0
        case .aggregate(let aggregation):
            let descriptor = machine.program.aggregations[aggregation]
            let key = descriptor.keySize > 0 ? try machine.readBytes(at: a[0], count: descriptor.keySize) : []
            environment.aggregate(aggregation, key: key, value: a[1], increment: a[2])
            return 0
        case .submitRecord(let recordEpid):
            environment.submitRecord(epid: recordEpid, bytes: try machine.readBytes(at: a[0], count: Int(a[1])))
            return 0
        case .speculation: return environment.newSpeculation()
        // DTrace takes a speculation's id as 32 bits.
        case .speculate: return environment.speculate(Int64(UInt32(truncatingIfNeeded: a[0]))) ? 1 : 0
        case .speculationDrop: environment.countSpeculativeDrop(); return 1
        case .commit: try environment.commit(Int64(UInt32(truncatingIfNeeded: a[0]))); return 0
        case .discard: try environment.discard(Int64(UInt32(truncatingIfNeeded: a[0]))); return 0
        case .exit: environment.exit(status: a[0]); return 0
        case .raise:
            guard Helper.raiseSignals.contains(a[0]) else { throw Fault(kind: .illegalOperation) }
            environment.raise(signal: a[0])
            return 0
        }
    }

    /// lltostr() as DTrace writes it: digits past 9 continue from 'a' (bases up to 75),
    /// "0x" before hexadecimal, "0" before octal, "-" only in base 10.
    static func integerText(_ value: Int64, base: Int64) -> String {
        var magnitude = base == 10 && value < 0 ? value.magnitude : UInt64(bitPattern: value)
        var digits: [UInt8] = []
        while magnitude != 0 {
            let digit = UInt8(magnitude % UInt64(base))
            digits.append(digit <= 9 ? 0x30 + digit : 0x61 + digit - 10)
            magnitude /= UInt64(base)
        }
        if value == 0 && base == 16 { digits.append(0x30) }
        if base == 16 { digits.append(0x78) }
        if value == 0 || base == 8 || base == 16 { digits.append(0x30) }
        if value < 0 && base == 10 { digits.append(0x2d) }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}

