// DTraceCodegen/Lowering: each IR instruction and runtime helper as BPF, with the
// interpreter's semantics (DTraceIR/Execution.swift): wrapping arithmetic, faults on
// division by zero and bad addresses, bounded strings, zero-extended loads.

import DTraceBPF
import DTraceIR

extension BPFCodeGenerator {
    mutating func bpfLabel(_ label: Label) -> BPFLabel {
        if let existing = labels[label] { return existing }
        let fresh = asm.newLabel()
        labels[label] = fresh
        return fresh
    }

    mutating func emit(_ instruction: Instruction) throws(CodegenError) {
        switch instruction {
        case .constant(let dst, let value):
            asm.load(.r0, constant: value)
            store(dst, .r0)
        case .move(let dst, let src):
            load(.r0, src)
            store(dst, .r0)
        case .arithmetic(let op, let dst, let lhs, let rhs):
            load(.r0, lhs)
            load(.r1, rhs)
            arithmetic(op)
            store(dst, .r0)
        case .compare(let op, let dst, let lhs, let rhs):
            load(.r0, lhs)
            load(.r1, rhs)
            asm.load(.r2, constant: 1)
            asm.skip(1, if: op.jump, .r0, .r1)
            asm.load(.r2, constant: 0)
            store(dst, .r2)
        case .unary(let op, let dst, let src):
            load(.r0, src)
            switch op {
            case .negate: asm.negate(.r0)
            case .bitwiseNot: asm.alu64(.xor, .r0, immediate: -1)
            case .logicalNot:
                asm.load(.r1, constant: 1)
                asm.skip(1, if: .jeq, .r0, immediate: 0)
                asm.load(.r1, constant: 0)
                asm.move(.r0, .r1)
            case .byteSwap16: asm.toBigEndian(.r0, bits: 16)
            case .byteSwap32: asm.toBigEndian(.r0, bits: 32)
            case .byteSwap64: asm.toBigEndian(.r0, bits: 64)
            }
            store(dst, .r0)
        case .extend(let dst, let src, let bits, let signed):
            load(.r0, src)
            if bits < 64 {
                asm.alu64(.lsh, .r0, immediate: Int32(64 - bits))
                asm.alu64(signed ? .arsh : .rsh, .r0, immediate: Int32(64 - bits))
            }
            store(dst, .r0)
        case .address(let dst, let space, let offset):
            asm.load(.r0, constant: (Self.region(of: space) << 48) + Int64(offset))
            store(dst, .r0)
        case .load(let dst, let base, let offset, let width, let space):
            guard let size = BPFSize(bytes: width) else { throw .unsupported("a \(width)-byte load") }
            if space == .tracee {
                load(.r3, base)
                if offset != 0 { asm.alu64(.add, .r3, immediate: Int32(offset)) }
                asm.store(immediate: 0, to: .frame, offset: Self.temporary, size: .double)
                asm.move(.r1, .frame)
                asm.alu64(.add, .r1, immediate: Int32(Self.temporary))
                asm.load(.r2, constant: Int64(width))
                asm.store(.r3, to: .r7, offset: Int16(layout.faultAreaOffset + 24), size: .double)
                asm.call(.probeReadKernel)
                faultIf(.jne, .r0, immediate: 0, .badAddress, from: .alreadyStored)
                asm.load(.r0, from: .frame, offset: Self.temporary, size: size)
                store(dst, .r0)
            } else {
                try withPointer(base, extra: Int64(offset), span: width, write: false, into: .r1) { generator in
                    generator.asm.load(.r0, from: .r1, offset: 0, size: size)
                    generator.store(dst, .r0)
                }
            }
        case .store(let base, let offset, let value, let width, _):
            guard let size = BPFSize(bytes: width) else { throw .unsupported("a \(width)-byte store") }
            try withPointer(base, extra: Int64(offset), span: width, write: true, into: .r1) { generator in
                generator.load(.r0, value)
                generator.asm.store(.r0, to: .r1, offset: 0, size: size)
            }
        case .jump(let target):
            asm.jump(bpfLabel(target))
        case .branchIfZero(let register, let target):
            load(.r0, register)
            asm.jump(.jeq, .r0, immediate: 0, bpfLabel(target))
        case .branchIfNotZero(let register, let target):
            load(.r0, register)
            asm.jump(.jne, .r0, immediate: 0, bpfLabel(target))
        case .label(let target):
            asm.bind(bpfLabel(target))
        case .call(let helper, let result, let arguments):
            try call(helper, result: result, arguments: arguments)
        case .checkNonZero(let register, let kind):
            load(.r0, register)
            faultIf(.jeq, .r0, immediate: 0, kind)
        case .checkBounds(let index, let limit, let address):
            load(.r0, index)
            load(.r1, address)
            asm.load(.r2, constant: limit)
            let fine = asm.newLabel()
            asm.jump(.jlt, .r0, .r2, fine)
            fault(.badAddress, address: .r1)
            asm.bind(fine)
        case .returnFromClause:
            asm.jump(exitLabel)
        }
    }

    /// r0 = r0 op r1, faulting on a zero divisor.
    mutating func arithmetic(_ op: ArithmeticOperator) {
        switch op {
        case .add: asm.alu64(.add, .r0, .r1)
        case .subtract: asm.alu64(.sub, .r0, .r1)
        case .multiply: asm.alu64(.mul, .r0, .r1)
        case .and: asm.alu64(.and, .r0, .r1)
        case .or: asm.alu64(.or, .r0, .r1)
        case .xor: asm.alu64(.xor, .r0, .r1)
        case .shiftLeft, .logicalShiftRight, .arithmeticShiftRight:
            asm.alu64(.and, .r1, immediate: 63)
            asm.alu64(op == .shiftLeft ? .lsh : (op == .logicalShiftRight ? .rsh : .arsh), .r0, .r1)
        case .unsignedDivide, .unsignedRemainder:
            faultIf(.jeq, .r1, immediate: 0, .divideByZero)
            asm.alu64(op == .unsignedDivide ? .div : .mod, .r0, .r1)
        case .signedDivide, .signedRemainder:
            faultIf(.jeq, .r1, immediate: 0, .divideByZero)
            // Divide magnitudes; the quotient is negative when the signs differ, the
            // remainder takes the dividend's sign (C semantics).
            asm.move(.r2, .r0)
            if op == .signedDivide { asm.alu64(.xor, .r2, .r1) }
            asm.skip(1, if: .jsge, .r0, immediate: 0)
            asm.negate(.r0)
            asm.skip(1, if: .jsge, .r1, immediate: 0)
            asm.negate(.r1)
            asm.alu64(op == .signedDivide ? .div : .mod, .r0, .r1)
            asm.skip(1, if: .jsge, .r2, immediate: 0)
            asm.negate(.r0)
        }
    }

    // MARK: helpers

    mutating func call(_ helper: Helper, result: Register?, arguments a: [Register]) throws(CodegenError) {
        let stringSpan = layout.stringSize + 1
        func setResult(_ generator: inout BPFCodeGenerator, _ register: BPFRegister) {
            if let result { generator.store(result, register) }
        }
        switch helper {
        case .readBuiltin(let variable):
            try readBuiltin(variable, result: result, arguments: a)
        case .readArgument:
            load(.r1, a[0])
            try readArgument(dynamicIndexIn: .r1)
            setResult(&self, .r0)
        case .stringLength:
            try materialize(a[0], into: layout.stringTemporaryA)
            asm.alu64(.sub, .r0, immediate: 1)
            setResult(&self, .r0)
        case .stringCompare:
            if let (comm, literal, reversed) = commAgainstLiteral(a[0], a[1]) {
                try compareComm(comm, with: literal, reversed: reversed)
                setResult(&self, .r0)
                break
            }
            try materialize(a[0], into: layout.stringTemporaryA)
            try materialize(a[1], into: layout.stringTemporaryB)
            compareTemporaries()
            setResult(&self, .r0)
        case .stringCopy:
            try copyString(from: a[1], to: a[0])
            if let result { load(.r0, a[0]); store(result, .r0) }
        case .stringCopyBounded(let size):
            try copyString(from: a[1], to: a[0], span: size)
            if let result { load(.r0, a[0]); store(result, .r0) }
        case .copyInString:
            try withPointer(a[0], span: stringSpan, write: true, into: .r1) { generator in
                if a.count > 2 {
                    generator.load(.r2, a[2])
                    generator.asm.alu64(.add, .r2, immediate: 1)
                    generator.asm.skip(1, if: .jsge, .r2, immediate: 1)
                    generator.asm.load(.r2, constant: 1)
                    generator.asm.skip(1, if: .jle, .r2, immediate: Int32(stringSpan))
                    generator.asm.load(.r2, constant: Int64(stringSpan))
                } else {
                    generator.asm.load(.r2, constant: Int64(stringSpan))
                }
                generator.readStringWithFault(from: a[1], helper: .probeReadUserString)
            }
            if let result { load(.r0, a[0]); store(result, .r0) }
        case .copyInKernelString:
            try withPointer(a[0], span: stringSpan, write: true, into: .r1) { generator in
                generator.asm.load(.r2, constant: Int64(stringSpan))
                generator.readStringWithFault(from: a[1], helper: .probeReadKernelString)
            }
            if let result { load(.r0, a[0]); store(result, .r0) }
        case .copyIn:
            guard case .constant(let size)? = known[a[2].index], size >= 0, size <= Int64(KernelLayout.allocaSize) else {
                throw .unsupported("copyin() with a size that is not a constant")
            }
            try withPointer(a[0], span: Int(size), write: true, into: .r1) { generator in
                generator.asm.load(.r2, constant: size)
                generator.load(.r3, a[1])
                generator.asm.store(.r3, to: .r7, offset: Int16(generator.layout.faultAreaOffset + 24), size: .double)
                generator.asm.call(.probeReadUser)
                generator.faultIf(.jne, .r0, immediate: 0, .badAddress, from: .alreadyStored)
            }
            if let result { load(.r0, a[0]); store(result, .r0) }
        case .zeroBytes:
            guard case .constant(let size)? = known[a[1].index], size >= 0, size <= 1 << 16 else {
                throw .unsupported("zeroing a variable number of bytes")
            }
            try withPointer(a[0], span: Int(size), write: true, into: .r1) { generator in
                generator.zero(base: .r1, offset: 0, size: Int(size))
            }
        case .copyBytes:
            guard case .constant(let size)? = known[a[2].index], size >= 0, size <= 1 << 16 else {
                throw .unsupported("bcopy() with a size that is not a constant")
            }
            try withPointer(a[0], span: Int(size), write: false, into: .r3) { (generator: inout BPFCodeGenerator) throws(CodegenError) in
                try generator.withPointer(a[1], span: Int(size), write: true, into: .r1) { inner in
                    inner.asm.load(.r2, constant: size)
                    inner.asm.call(.probeReadKernel)
                }
            }
        case .allocate:
            load(.r1, a[0])
            asm.alu64(.add, .r1, immediate: 7)
            asm.alu64(.and, .r1, immediate: -8)
            asm.load(.r0, from: .r7, offset: Int16(layout.allocaUsedOffset), size: .double)
            asm.move(.r2, .r0)
            asm.alu64(.add, .r2, .r1)
            faultIf(.jgt, .r2, immediate: Int32(KernelLayout.allocaSize), .outOfScratch)
            asm.store(.r2, to: .r7, offset: Int16(layout.allocaUsedOffset), size: .double)
            asm.load(.r1, constant: (KernelRegion.scratch << 48) + Int64(layout.allocaOffset))
            asm.alu64(.add, .r0, .r1)
            setResult(&self, .r0)
        case .stackID(let user):
            guard maps.stacks >= 0 else { throw .unsupported(user ? "ustack()" : "stack()") }
            asm.move(.r1, .r6)
            asm.load(.r2, mapDescriptor: maps.stacks)
            asm.load(.r3, constant: user ? 1 << 8 : 0)     // BPF_F_USER_STACK
            asm.call(.getStackID)
            setResult(&self, .r0)
        case .noteProcess:
            guard maps.processes >= 0 else { throw .unsupported("user addresses in aggregation keys") }
            noteProcess()
        case .random:
            asm.call(.getPrandomU32)
            asm.alu64(.lsh, .r0, immediate: 32)
            asm.alu64(.arsh, .r0, immediate: 32)
            setResult(&self, .r0)
        case .mapLookup(let map), .mapLookupOrCreate(let map):
            try mapLookup(map, create: { if case .mapLookupOrCreate = helper { return true }; return false }(), key: a[0], result: result)
        case .mapDelete(let map):
            try withPointer(a[0], span: program.maps[map].keySize, write: false, into: .r2) { generator in
                generator.asm.load(.r1, mapDescriptor: generator.maps.associativeArrays[map])
                generator.asm.call(.mapDeleteElement)
            }
        case .aggregate(let aggregation):
            try aggregate(aggregation, key: a[0], value: a[1], increment: a[2])
        case .submitRecord:
            try submitRecord(buffer: a[0], size: a[1])
        case .exit:
            asm.store(immediate: Int32(KernelLayout.exitFlagStopped), to: .r8, offset: Int16(layout.exitFlagOffset), size: .double)
        case .speculation:
            // The first free slot, taken with compare-and-exchange; 0 when all are busy.
            let done = asm.newLabel()
            for slot in 0..<layout.speculationLimit {
                let next = asm.newLabel()
                asm.load(.r0, constant: 0)
                asm.load(.r1, constant: 1)
                asm.atomicCompareExchange(base: .r8, offset: Int16(layout.speculationSlotsOffset + 8 * slot), new: .r1)
                asm.jump(.jne, .r0, immediate: 0, next)
                asm.load(.r0, constant: Int64(slot + 1))
                asm.jump(done)
                asm.bind(next)
            }
            asm.load(.r0, constant: 0)
            asm.bind(done)
            setResult(&self, .r0)
        case .speculate:
            // Records of this firing go to speculation id (1...nspec, active), else fault.
            load(.r1, a[0])
            asm.move(.r4, .r1)
            faultIf(.jeq, .r1, immediate: 0, .illegalOperation)
            faultIf(.jgt, .r1, immediate: Int32(layout.speculationLimit), .illegalOperation)
            asm.alu64(.sub, .r1, immediate: 1)
            asm.alu64(.lsh, .r1, immediate: 3)
            asm.move(.r2, .r8)
            asm.alu64(.add, .r2, .r1)
            asm.load(.r3, from: .r2, offset: Int16(layout.speculationSlotsOffset), size: .double)
            faultIf(.jeq, .r3, immediate: 0, .illegalOperation)
            asm.store(.r4, to: .r7, offset: Int16(layout.pendingSpeculationOffset), size: .double)
        case .commit, .discard:
            // Frees the slot and tells the consumer, in order with the records.
            let done = asm.newLabel()
            load(.r1, a[0])
            asm.jump(.jeq, .r1, immediate: 0, done)
            asm.jump(.jgt, .r1, immediate: Int32(layout.speculationLimit), done)
            asm.store(.r1, to: .frame, offset: Self.temporary, size: .double)
            asm.alu64(.sub, .r1, immediate: 1)
            asm.alu64(.lsh, .r1, immediate: 3)
            asm.move(.r2, .r8)
            asm.alu64(.add, .r2, .r1)
            asm.store(immediate: 0, to: .r2, offset: Int16(layout.speculationSlotsOffset), size: .double)
            asm.load(.r4, from: .frame, offset: Self.temporary, size: .double)
            asm.store(.r4, to: .r7, offset: Int16(layout.routineStateOffset + 40), size: .double)
            reserveRecord(type: helper == .commit ? KernelRecord.commit : KernelRecord.discard, size: KernelRecord.headerSize, onDrop: done)
            asm.load(.r1, from: .r7, offset: Int16(layout.routineStateOffset + 40), size: .double)
            asm.store(.r1, to: .r0, offset: 12, size: .word)
            asm.move(.r1, .r0)
            asm.load(.r2, constant: 0)
            asm.call(.ringbufSubmit)
            asm.bind(done)
        case .raise:
            // A number that is not a signal is an illegal operation, as in DTrace.
            load(.r1, a[0])
            faultIf(.jslt, .r1, immediate: Int32(Helper.raiseSignals.lowerBound), .illegalOperation)
            faultIf(.jsgt, .r1, immediate: Int32(Helper.raiseSignals.upperBound), .illegalOperation)
            asm.call(.sendSignal)
        case .subroutine(let subroutine):
            guard let body = subroutines[subroutine.name] else { throw .unsupported("\(subroutine.name)()") }
            try body.emit(subroutine, arguments: a, result: result, generator: &self)
        case .integerToString(let hasBase): try integerToString(hasBase: hasBase, arguments: a, result: result)
        }
    }

    /// r1 = destination, r2 = its size already set: reads a string from the tracee or
    /// kernel address in `source`, faulting (with that address) when it cannot be read.
    mutating func readStringWithFault(from source: Register, helper: BPFHelper) {
        load(.r3, source)
        asm.store(.r3, to: .r7, offset: Int16(layout.faultAreaOffset + 24), size: .double)
        asm.call(helper)
        faultIf(.jslt, .r0, immediate: 0, .badAddress, from: .alreadyStored)
    }

    /// Copies the string at a tagged address into a scratch temporary; r0 = its length + 1.
    public mutating func materialize(_ register: Register, into temporary: Int) throws(CodegenError) {
        try withPointer(register, span: 1, write: false, into: .r3) { generator in
            generator.asm.move(.r1, .r7)
            generator.asm.alu64(.add, .r1, immediate: Int32(temporary))
            generator.asm.load(.r2, constant: Int64(generator.layout.stringSize + 1))
            generator.asm.call(.probeReadKernelString)
            generator.faultIf(.jslt, .r0, immediate: 0, .badAddress)
            generator.asm.store(.r0, to: .frame, offset: Self.temporary, size: .double)
        }
        asm.load(.r0, from: .frame, offset: Self.temporary, size: .double)
    }

    mutating func copyString(from source: Register, to destination: Register, span requested: Int? = nil) throws(CodegenError) {
        let span = min(requested ?? layout.stringSize + 1, layout.stringSize + 1)
        if commBuffers.contains(source.index), case .address? = known[source.index], case .address? = known[destination.index], span >= 16 {
            try withPointer(source, span: 16, write: false, into: .r3) { (generator: inout BPFCodeGenerator) throws(CodegenError) in
                try generator.withPointer(destination, span: 16, write: true, into: .r1) { inner in
                    for offset: Int16 in [0, 8] {
                        inner.asm.load(.r2, from: .r3, offset: offset, size: .double)
                        inner.asm.store(.r2, to: .r1, offset: offset, size: .double)
                    }
                }
            }
            return
        }
        try withPointer(source, span: 1, write: false, into: .r3) { (generator: inout BPFCodeGenerator) throws(CodegenError) in
            try generator.withPointer(destination, span: span, write: true, into: .r1) { inner in
                inner.asm.load(.r2, constant: Int64(span))
                inner.asm.call(.probeReadKernelString)
            }
        }
    }

    /// A string constant of the program (a literal), when the register is known to address one.
    func literalString(_ register: Register) -> [UInt8]? {
        guard case .address(let region, let offset)? = known[register.index], region == KernelRegion.constant,
              offset >= 0, offset < Int64(program.constants.count) else { return nil }
        let bytes = program.constants[Int(offset)...]
        guard let end = bytes.firstIndex(of: 0) else { return nil }
        return Array(bytes[..<end])
    }

    /// execname compared with a literal shorter than 16 bytes (`/execname == "sshd"/`):
    /// the comm buffer, NUL-padded to 16 bytes, is compared as two words.
    func commAgainstLiteral(_ lhs: Register, _ rhs: Register) -> (comm: Register, literal: [UInt8], reversed: Bool)? {
        if commBuffers.contains(lhs.index), case .address? = known[lhs.index], let literal = literalString(rhs), literal.count < 16 {
            return (lhs, literal, false)
        }
        if commBuffers.contains(rhs.index), case .address? = known[rhs.index], let literal = literalString(lhs), literal.count < 16 {
            return (rhs, literal, true)
        }
        return nil
    }

    /// r0 = -1, 0 or 1 as strcmp(comm, literal) (reversed: strcmp(literal, comm)). Both are
    /// zero-padded to 16 bytes, so comparing big-endian words unsigned orders them as their
    /// bytes do, and the zero after a shorter string sorts first as its NUL does.
    mutating func compareComm(_ comm: Register, with literal: [UInt8], reversed: Bool) throws(CodegenError) {
        let padded = literal + [UInt8](repeating: 0, count: 16 - literal.count)
        try withPointer(comm, span: 16, write: false, into: .r3) { generator in
            let differ = generator.asm.newLabel(), done = generator.asm.newLabel()
            for offset in [0, 8] {
                let word = padded[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                generator.asm.load(.r1, from: .r3, offset: Int16(offset), size: .double)
                generator.asm.toBigEndian(.r1, bits: 64)
                generator.asm.load(.r2, constant: Int64(bitPattern: word))
                generator.asm.jump(.jne, .r1, .r2, differ)
            }
            generator.asm.load(.r0, constant: 0)
            generator.asm.jump(done)
            generator.asm.bind(differ)
            generator.asm.load(.r0, constant: reversed ? -1 : 1)
            generator.asm.jump(.jgt, .r1, .r2, done)
            generator.asm.load(.r0, constant: reversed ? 1 : -1)
            generator.asm.bind(done)
        }
    }

    /// r0 = -1, 0 or 1 comparing the two string temporaries byte by byte (a bounded loop).
    mutating func compareTemporaries() {
        let loop = asm.newLabel(), differ = asm.newLabel(), equal = asm.newLabel(), done = asm.newLabel()
        asm.load(.r1, constant: 0)
        asm.bind(loop)
        asm.jump(.jgt, .r1, immediate: Int32(layout.stringSize), equal)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, .r1)
        asm.load(.r3, from: .r2, offset: Int16(layout.stringTemporaryA), size: .byte)
        asm.load(.r4, from: .r2, offset: Int16(layout.stringTemporaryB), size: .byte)
        asm.jump(.jne, .r3, .r4, differ)
        asm.jump(.jeq, .r3, immediate: 0, equal)
        asm.alu64(.add, .r1, immediate: 1)
        asm.jump(loop)
        asm.bind(differ)
        asm.load(.r0, constant: 1)
        asm.jump(.jgt, .r3, .r4, done)
        asm.load(.r0, constant: -1)
        asm.jump(done)
        asm.bind(equal)
        asm.load(.r0, constant: 0)
        asm.bind(done)
    }

    // MARK: built-in variables and arguments

    mutating func readBuiltin(_ variable: BuiltinVariable, result: Register?, arguments: [Register]) throws(CodegenError) {
        if variable.isString {
            let text: String
            switch variable {
            case .execname where site.prologue.currentTask != nil:
                let task = site.prologue.currentTask!
                let taskSlot = contextSlot(ProbeContextSlots.task)
                try withPointer(arguments[0], span: 16, write: true, into: .r1) { generator in
                    generator.asm.load(.r3, from: .r7, offset: taskSlot, size: .double)
                    generator.asm.alu64(.add, .r3, immediate: Int32(task.commandName))
                    generator.asm.load(.r2, constant: 16)
                    generator.asm.call(.probeReadKernel)
                }
                if let result { load(.r0, arguments[0]); store(result, .r0) }
                return
            case .execname:
                let commandName = site.commandNameOffset.flatMap { Int16(exactly: $0) }
                try withPointer(arguments[0], span: 16, write: true, into: .r1) { generator in
                    guard let commandName else {
                        generator.asm.load(.r2, constant: 16)
                        generator.asm.call(.getCurrentComm)
                        return
                    }
                    generator.asm.store(.r1, to: .frame, offset: Self.temporary, size: .double)
                    generator.asm.call(.getCurrentTaskBTF)
                    generator.asm.load(.r1, from: .frame, offset: Self.temporary, size: .double)
                    for half in 0..<2 {
                        generator.asm.load(.r2, from: .r0, offset: commandName + Int16(8 * half), size: .double)
                        generator.asm.store(.r2, to: .r1, offset: Int16(8 * half), size: .double)
                    }
                }
                if let result { load(.r0, arguments[0]); store(result, .r0) }
                return
            case .probeprov: text = site.identity.provider
            case .probemod: text = site.identity.module
            case .probefunc: text = site.identity.function
            case .probename: text = site.identity.name
            case .zonename: text = "global"
            case .root: text = "/"
            default: throw .unsupported(variable.rawValue)
            }
            let bytes = Array(text.utf8.prefix(layout.stringSize)) + [0]
            try withPointer(arguments[0], span: bytes.count, write: true, into: .r1) { generator in
                var position = 0
                while position < bytes.count {
                    let width = bytes.count - position >= 4 ? 4 : 1
                    var value: UInt32 = 0
                    for index in stride(from: width - 1, through: 0, by: -1) { value = value << 8 | UInt32(bytes[position + index]) }
                    generator.asm.store(immediate: Int32(bitPattern: value), to: .r1, offset: Int16(position), size: width == 4 ? .word : .byte)
                    position += width
                }
            }
            if let result { load(.r0, arguments[0]); store(result, .r0) }
            return
        }
        if let task = site.prologue.currentTask, let path = Self.taskFieldPath(variable, task) {
            asm.load(.r3, from: .r7, offset: contextSlot(ProbeContextSlots.task), size: .double)
            readTaskField(path: path.offsets, size: path.size)
            if let result { store(result, .r0) }
            return
        }
        switch variable {
        case .timestamp:
            asm.call(.ktimeGetNanoseconds)
        case .walltimestamp:
            asm.call(.ktimeGetNanoseconds)
            asm.load(.r1, constant: site.wallClockOffset)
            asm.alu64(.add, .r0, .r1)
        case .vtimestamp:
            // The thread's CPU time as the scheduler accounts it (at ticks and switches).
            guard let offset = site.executionTimeOffset, let field = Int16(exactly: offset) else {
                throw .unsupported("vtimestamp without the kernel's BTF")
            }
            asm.call(.getCurrentTaskBTF)
            asm.load(.r0, from: .r0, offset: field, size: .double)
        case .pid:
            asm.call(.getCurrentPIDTGID)
            asm.alu64(.rsh, .r0, immediate: 32)
        case .ppid:
            // current->real_parent->tgid, through BTF pointers the verifier checks.
            guard let offsets = site.parentOffsets, let parent = Int16(exactly: offsets.realParent), let tgid = Int16(exactly: offsets.processID) else {
                throw .unsupported("ppid without the kernel's BTF")
            }
            let done = asm.newLabel()
            asm.call(.getCurrentTaskBTF)
            asm.load(.r1, from: .r0, offset: parent, size: .double)
            asm.load(.r0, constant: 0)
            asm.jump(.jeq, .r1, immediate: 0, done)
            asm.load(.r0, from: .r1, offset: tgid, size: .word)
            asm.bind(done)
        case .tid:
            asm.call(.getCurrentPIDTGID)
            asm.alu64(.lsh, .r0, immediate: 32)
            asm.alu64(.rsh, .r0, immediate: 32)
        case .uid:
            asm.call(.getCurrentUIDGID)
            asm.alu64(.lsh, .r0, immediate: 32)
            asm.alu64(.rsh, .r0, immediate: 32)
        case .gid:
            asm.call(.getCurrentUIDGID)
            asm.alu64(.rsh, .r0, immediate: 32)
        case .cpu:
            asm.call(.getSMPProcessorID)
        case .id:
            asm.load(.r0, constant: Int64(site.identity.id))
        case .epid:
            asm.load(.r0, constant: Int64(site.epid))
        case .errno:
            asm.load(.r0, from: .r7, offset: contextSlot(ProbeContextSlots.errno), size: .double)
        case .arg0, .arg1, .arg2, .arg3, .arg4, .arg5, .arg6, .arg7, .arg8, .arg9:
            readArgument(Int(variable.rawValue.dropFirst(3))!)
        case .argumentRecord:
            // The record's kernel address as a plain number (the prologue stored the
            // context pointer in scratch, so the verifier forgets it was one): address
            // arithmetic and probe reads treat it like any kernel address.
            asm.load(.r0, from: .r7, offset: contextSlot(ProbeContextSlots.argumentRecord), size: .double)
        default:
            throw .unsupported(variable.rawValue)
        }
        if let result { store(result, .r0) }
    }

    /// The chain of task_struct offsets a builtin reads for a task other than the running
    /// one (each but the last leads to a pointer), and the final field's size.
    static func taskFieldPath(_ variable: BuiltinVariable, _ offsets: TaskFieldOffsets) -> (offsets: [Int], size: Int)? {
        switch variable {
        case .tid: return ([offsets.threadID], 4)
        case .pid: return ([offsets.processID], 4)
        case .ppid: return ([offsets.realParent, offsets.processID], 4)
        case .vtimestamp: return offsets.executionTime.map { ([$0], 8) }
        case .uid: return offsets.credentials.flatMap { credentials in offsets.userID.map { ([credentials, $0], 4) } }
        case .gid: return offsets.credentials.flatMap { credentials in offsets.groupID.map { ([credentials, $0], 4) } }
        default: return nil
        }
    }

    /// r0 = the field at the end of `path` from the task pointer in r3, through probe
    /// reads (0 when one fails).
    mutating func readTaskField(path: [Int], size: Int) {
        for (step, offset) in path.enumerated() {
            let last = step == path.count - 1
            asm.alu64(.add, .r3, immediate: Int32(offset))
            asm.store(immediate: 0, to: .frame, offset: Self.temporary, size: .double)
            asm.move(.r1, .frame)
            asm.alu64(.add, .r1, immediate: Int32(Self.temporary))
            asm.load(.r2, constant: Int64(last ? size : 8))
            asm.call(.probeReadKernel)
            asm.load(last ? .r0 : .r3, from: .frame, offset: Self.temporary, size: last && size == 4 ? .word : .double)
        }
    }

    /// r0 = argument `index` of the probe, from the probe context (0 when the probe has
    /// no such argument).
    mutating func readArgument(_ index: Int) {
        if index < min(site.prologue.argumentCount, ProbeContextSlots.arguments) {
            asm.load(.r0, from: .r7, offset: contextSlot(index), size: .double)
        } else {
            asm.load(.r0, constant: 0)
        }
    }

    /// r0 = argument number r1 (args[i] with a computed index), from the probe context.
    mutating func readArgument(dynamicIndexIn register: BPFRegister) throws(CodegenError) {
        let count = min(site.prologue.argumentCount, ProbeContextSlots.arguments)
        asm.load(.r0, constant: 0)
        guard count > 0 else { return }
        let done = asm.newLabel()
        asm.jump(.jge, register, immediate: Int32(count), done)
        asm.alu64(.lsh, register, immediate: 3)
        asm.alu64(.add, register, .r7)
        asm.load(.r0, from: register, offset: contextSlot(0), size: .double)
        asm.bind(done)
    }

    // MARK: maps, aggregations, records

    mutating func mapLookup(_ map: Int, create: Bool, key: Register, result: Register?) throws(CodegenError) {
        let descriptor = program.maps[map]
        let slot = slotOfSite[currentInstruction]!
        let siteNumber = siteOfInstruction[currentInstruction]!
        let fd = maps.associativeArrays[map]
        try withPointer(key, span: descriptor.keySize, write: false, into: .r2) { generator in
            generator.asm.load(.r1, mapDescriptor: fd)
            generator.asm.call(.mapLookupElement)
            generator.asm.store(.r0, to: .frame, offset: slot, size: .double)
        }
        if create {
            let found = asm.newLabel()
            asm.load(.r0, from: .frame, offset: slot, size: .double)
            asm.jump(.jne, .r0, immediate: 0, found)
            try withPointer(key, span: descriptor.keySize, write: false, into: .r2) { generator in
                generator.asm.load(.r1, mapDescriptor: fd)
                generator.asm.move(.r3, .r9)
                generator.asm.alu64(.add, .r3, immediate: Int32(generator.layout.zeroOffset))
                generator.asm.load(.r4, constant: 1) // BPF_NOEXIST
                generator.asm.call(.mapUpdateElement)
            }
            try withPointer(key, span: descriptor.keySize, write: false, into: .r2) { generator in
                generator.asm.load(.r1, mapDescriptor: fd)
                generator.asm.call(.mapLookupElement)
                generator.asm.store(.r0, to: .frame, offset: slot, size: .double)
            }
            asm.load(.r0, from: .frame, offset: slot, size: .double)
            asm.jump(.jne, .r0, immediate: 0, found)
            countDrop(layout.dynamicDropsOffset)
            asm.bind(found)
        }
        guard let result else { return }
        asm.load(.r0, from: .frame, offset: slot, size: .double)
        asm.load(.r1, constant: 0)
        let missing = asm.newLabel()
        asm.jump(.jeq, .r0, immediate: 0, missing)
        asm.load(.r1, constant: (KernelRegion.firstSite + Int64(siteNumber)) << 48)
        asm.bind(missing)
        store(result, .r1)
    }

    /// Calls `lookup` semantics for an aggregation key: r0 = the entry (created zeroed).
    mutating func aggregationEntry(_ aggregation: Int, key: Register, missing: BPFLabel) throws(CodegenError) {
        let descriptor = program.aggregations[aggregation]
        let fd = maps.aggregations[aggregation]
        let keySize = KernelLayout.aggregationKeySize(descriptor)
        func withKey(_ generator: inout BPFCodeGenerator, _ body: (inout BPFCodeGenerator) -> Void) throws(CodegenError) {
            if descriptor.keySize == 0 {
                generator.asm.move(.r2, .r9)
                generator.asm.alu64(.add, .r2, immediate: Int32(generator.layout.zeroOffset))
                body(&generator)
            } else {
                try generator.withPointer(key, span: keySize, write: false, into: .r2) { inner in body(&inner) }
            }
        }
        let found = asm.newLabel()
        try withKey(&self) { generator in
            generator.asm.load(.r1, mapDescriptor: fd)
            generator.asm.call(.mapLookupElement)
            generator.asm.store(.r0, to: .frame, offset: Self.temporary, size: .double)
        }
        asm.load(.r0, from: .frame, offset: Self.temporary, size: .double)
        asm.jump(.jne, .r0, immediate: 0, found)
        try withKey(&self) { generator in
            generator.asm.load(.r1, mapDescriptor: fd)
            generator.asm.move(.r3, .r9)
            generator.asm.alu64(.add, .r3, immediate: Int32(generator.layout.zeroOffset))
            generator.asm.load(.r4, constant: 1)
            generator.asm.call(.mapUpdateElement)
        }
        try withKey(&self) { generator in
            generator.asm.load(.r1, mapDescriptor: fd)
            generator.asm.call(.mapLookupElement)
            generator.asm.store(.r0, to: .frame, offset: Self.temporary, size: .double)
        }
        asm.load(.r0, from: .frame, offset: Self.temporary, size: .double)
        asm.jump(.jne, .r0, immediate: 0, found)
        countDrop(layout.aggregationDropsOffset)
        asm.jump(missing)
        asm.bind(found)
    }

    mutating func addToField(_ offset: Int16, _ register: BPFRegister) {
        asm.load(.r3, from: .r0, offset: offset, size: .double)
        asm.alu64(.add, .r3, register)
        asm.store(.r3, to: .r0, offset: offset, size: .double)
    }

    mutating func aggregate(_ aggregation: Int, key: Register, value: Register, increment: Register) throws(CodegenError) {
        let function = program.aggregations[aggregation].function
        let done = asm.newLabel()
        try aggregationEntry(aggregation, key: key, missing: done)
        load(.r1, value)
        load(.r2, increment)
        switch function {
        case .count:
            asm.load(.r4, constant: 1)
            addToField(0, .r4)
        case .sum:
            addToField(0, .r1)
        case .avg:
            asm.load(.r4, constant: 1)
            addToField(0, .r4)
            addToField(8, .r1)
        case .min, .max:
            let skip = asm.newLabel(), set = asm.newLabel()
            asm.load(.r3, from: .r0, offset: 0, size: .double)
            asm.jump(.jeq, .r3, immediate: 0, set)
            asm.load(.r4, from: .r0, offset: 8, size: .double)
            asm.jump(function == .min ? .jsge : .jsle, .r1, .r4, skip)
            asm.bind(set)
            asm.store(.r1, to: .r0, offset: 8, size: .double)
            asm.bind(skip)
            asm.load(.r4, constant: 1)
            addToField(0, .r4)
        case .quantize:
            quantizeIndex()
            asm.alu64(.lsh, .r4, immediate: 3)
            asm.alu64(.add, .r0, .r4)
            addToField(0, .r2)
        case .lquantize(let base, let limit, let step):
            let levels = (limit - base) / max(step, 1)
            let computed = asm.newLabel()
            asm.load(.r4, constant: 0)
            asm.load(.r3, constant: base)
            asm.jump(.jslt, .r1, .r3, computed)
            asm.move(.r4, .r1)
            asm.alu64(.sub, .r4, .r3)
            asm.load(.r3, constant: max(step, 1))
            asm.alu64(.div, .r4, .r3)
            asm.alu64(.add, .r4, immediate: 1)
            asm.skip(1, if: .jle, .r4, immediate: Int32(levels))
            asm.load(.r4, constant: levels + 1)
            asm.bind(computed)
            asm.alu64(.lsh, .r4, immediate: 3)
            asm.alu64(.add, .r0, .r4)
            addToField(0, .r2)
        case .stddev:
            // count, sum, then the sum of squares as 128 bits (low word, high word).
            asm.load(.r4, constant: 1)
            addToField(0, .r4)
            addToField(8, .r1)
            squareMagnitude()
            asm.load(.r3, from: .r0, offset: 16, size: .double)
            asm.alu64(.add, .r3, .r1)
            asm.store(.r3, to: .r0, offset: 16, size: .double)
            asm.skip(1, if: .jge, .r3, .r1)      // carry out of the low word
            asm.alu64(.add, .r2, immediate: 1)
            addToField(24, .r2)
        case .llquantize(let factor, let low, let high, let steps):
            let (bounds, overflow) = AggregatingFunction.logLinearBounds(factor: factor, low: low, high: high, steps: steps)
            let computed = asm.newLabel()
            // Index 0 underflows, 1...bounds.count the buckets, bounds.count + 1 overflows.
            asm.load(.r4, constant: Int64(bounds.count + 1))
            asm.load(.r3, constant: overflow)
            asm.jump(.jsge, .r1, .r3, computed)
            bucketSearch(bounds, lowest: 0, done: computed)
            asm.bind(computed)
            asm.alu64(.lsh, .r4, immediate: 3)
            asm.alu64(.add, .r0, .r4)
            addToField(0, .r2)
        }
        asm.bind(done)
    }

    /// r4 = the index (1-based) of the last bound <= r1 among `bounds`, or `lowest` when
    /// r1 is below them all: a binary search unrolled over the constants, no loop.
    mutating func bucketSearch(_ bounds: ArraySlice<Int64>, lowest: Int64, done: BPFLabel) {
        guard let middle = bounds.indices.isEmpty ? nil : bounds.startIndex + bounds.count / 2 else {
            asm.load(.r4, constant: lowest)
            asm.jump(done)
            return
        }
        let below = asm.newLabel()
        asm.load(.r3, constant: bounds[middle])
        asm.jump(.jslt, .r1, .r3, below)
        bucketSearch(bounds[(middle + 1)...], lowest: Int64(middle + 1), done: done)
        asm.bind(below)
        bucketSearch(bounds[..<middle], lowest: lowest, done: done)
    }

    mutating func bucketSearch(_ bounds: [Int64], lowest: Int64, done: BPFLabel) {
        bucketSearch(bounds[...], lowest: lowest, done: done)
    }

    /// (r2:r1) = |r1|², the 128-bit square of the value's magnitude, from 32-bit halves:
    /// a² << 64 + 2ab << 32 + b². Uses r3, r4, r5; r0 (the entry) is kept.
    mutating func squareMagnitude() {
        asm.skip(1, if: .jsge, .r1, immediate: 0)
        asm.negate(.r1)
        asm.move(.r4, .r1)
        asm.alu64(.rsh, .r4, immediate: 32)          // r4 = a (high half)
        asm.alu64(.lsh, .r1, immediate: 32)
        asm.alu64(.rsh, .r1, immediate: 32)          // r1 = b (low half)
        asm.move(.r5, .r4)
        asm.alu64(.mul, .r5, .r1)                    // r5 = ab
        asm.move(.r2, .r4)
        asm.alu64(.mul, .r2, .r4)                    // r2 = a²
        asm.alu64(.mul, .r1, .r1)                    // r1 = b²
        asm.move(.r3, .r5)
        asm.alu64(.rsh, .r3, immediate: 31)
        asm.alu64(.add, .r2, .r3)                    // high += 2ab >> 32
        asm.alu64(.lsh, .r5, immediate: 33)          // 2ab << 32, low 64 bits
        asm.alu64(.add, .r1, .r5)
        asm.skip(1, if: .jge, .r1, .r5)              // carry into the high word
        asm.alu64(.add, .r2, immediate: 1)
    }

    /// r4 = quantize bucket of the signed value in r1 (0..126; 63 holds zero).
    mutating func quantizeIndex() {
        let negative = asm.newLabel(), done = asm.newLabel()
        asm.load(.r4, constant: 63)
        asm.jump(.jeq, .r1, immediate: 0, done)
        asm.move(.r3, .r1)
        asm.jump(.jslt, .r1, immediate: 0, negative)
        floorLog2(.r3, into: .r5)
        asm.move(.r4, .r5)
        asm.alu64(.add, .r4, immediate: 64)
        asm.jump(done)
        asm.bind(negative)
        asm.negate(.r3)
        floorLog2(.r3, into: .r5)
        asm.load(.r4, constant: 62)
        asm.alu64(.sub, .r4, .r5)
        asm.skip(1, if: .jsge, .r4, immediate: 0)
        asm.load(.r4, constant: 0)
        asm.bind(done)
        asm.skip(1, if: .jle, .r4, immediate: 126)
        asm.load(.r4, constant: 126)
    }

    /// into = floor(log2(value)) for a non-zero unsigned value (binary search, no loop).
    mutating func floorLog2(_ value: BPFRegister, into: BPFRegister) {
        asm.load(into, constant: 0)
        for shift in [32, 16, 8, 4, 2, 1] {
            let small = asm.newLabel()
            asm.move(.r1, value)
            asm.alu64(.rsh, .r1, immediate: Int32(shift))
            asm.jump(.jeq, .r1, immediate: 0, small)
            asm.move(value, .r1)
            asm.alu64(.add, into, immediate: Int32(shift))
            asm.bind(small)
        }
    }

    /// The first time a process is seen (not yet in the processes map), a process record
    /// tells the consumer, which reads its mappings while it still runs.
    mutating func noteProcess() {
        let done = asm.newLabel()
        asm.call(.getCurrentPIDTGID)
        asm.alu64(.rsh, .r0, immediate: 32)
        asm.store(.r0, to: .r7, offset: Int16(layout.processNoteOffset), size: .double)
        asm.load(.r1, mapDescriptor: maps.processes)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(layout.processNoteOffset))
        asm.call(.mapLookupElement)
        asm.jump(.jne, .r0, immediate: 0, done)
        asm.load(.r1, mapDescriptor: maps.processes)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(layout.processNoteOffset))
        asm.move(.r3, .r2)
        asm.load(.r4, constant: 1) // BPF_NOEXIST: of two CPUs seeing it at once, one reports
        asm.call(.mapUpdateElement)
        asm.jump(.jne, .r0, immediate: 0, done)
        reserveRecord(type: KernelRecord.process, size: KernelRecord.processSize, onDrop: done)
        asm.load(.r1, from: .r7, offset: Int16(layout.processNoteOffset), size: .double)
        asm.store(.r1, to: .r0, offset: Int16(KernelRecord.headerSize), size: .double)
        asm.move(.r1, .r0)
        asm.load(.r2, constant: 0)
        asm.call(.ringbufSubmit)
        asm.bind(done)
    }

    mutating func submitRecord(buffer: Register, size sizeRegister: Register) throws(CodegenError) {
        guard case .constant(let size)? = known[sizeRegister.index], case .address(KernelRegion.scratch, let offset)? = known[buffer.index],
              offset >= 0, offset + size <= Int64(layout.scratchSize) else {
            throw .unsupported("a record outside scratch memory")
        }
        let done = asm.newLabel()
        reserveRecord(type: KernelRecord.data, size: KernelRecord.headerSize + Int(size), onDrop: done)
        var position = 0
        while position < Int(size) {
            let remaining = Int(size) - position
            let width = remaining >= 8 ? 8 : (remaining >= 4 ? 4 : (remaining >= 2 ? 2 : 1))
            let bpfSize = BPFSize(bytes: width)!
            asm.load(.r1, from: .r7, offset: Int16(Int(offset) + position), size: bpfSize)
            asm.store(.r1, to: .r0, offset: Int16(KernelRecord.headerSize + position), size: bpfSize)
            position += width
        }
        asm.move(.r1, .r0)
        asm.load(.r2, constant: 0)
        asm.call(.ringbufSubmit)
        asm.bind(done)
    }
}

extension ComparisonOperator {
    var jump: BPFJumpOperation {
        switch self {
        case .equal: return .jeq
        case .notEqual: return .jne
        case .signedLess: return .jslt
        case .signedLessOrEqual: return .jsle
        case .signedGreater: return .jsgt
        case .signedGreaterOrEqual: return .jsge
        case .unsignedLess: return .jlt
        case .unsignedLessOrEqual: return .jle
        case .unsignedGreater: return .jgt
        case .unsignedGreaterOrEqual: return .jge
        }
    }
}
