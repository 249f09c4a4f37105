// DTraceCodegen/Lowering: each IR instruction and the dispatch of runtime helpers as BPF,
// with the interpreter's semantics (DTraceIR/Execution.swift): wrapping arithmetic,
// faults on division by zero and bad addresses, zero-extended loads. Helpers are lowered
// by family in StringAccess, BuiltinVariables and MapsAndAggregations; library
// subroutines by their own files (DTraceLibrary).

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
        case .compare(_, _, _, _) where fusedComparisons.contains(currentInstruction):
            break   // emitted by the next instruction's test
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
            if space == .tracee && kernelPointers.contains(base.index) {
                // A typed pointer: the verifier checks the member read against BTF.
                load(.r3, base)
                asm.load(.r0, from: .r3, offset: Int16(offset), size: size)
                store(dst, .r0)
            } else if space == .tracee {
                load(.r3, base)
                if offset != 0 { asm.alu64(.add, .r3, immediate: Int32(offset)) }
                asm.store(.r3, to: .r7, offset: Int16(layout.faultAreaOffset + 24), size: .double)
                readKernelWord(width: width, into: dst)
            } else {
                // A pointer kept in a D variable may hold a kernel address (`this->p =
                // (char *)curthread->comm`): one in none of D's regions is read as kernel
                // memory, as DTrace reads it (a user address faults there).
                try withPointer(base, extra: Int64(offset), span: width, write: false, into: .r1, kernelRead: { generator in
                    generator.asm.move(.r3, .r1)
                    generator.readKernelWord(width: width, into: dst)
                }) { generator in
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
        case .branchIfZero(let register, let target), .branchIfNotZero(let register, let target):
            var onZero = false
            if case .branchIfZero = instruction { onZero = true }
            if let fused = fusedComparison() {
                load(.r0, fused.lhs)
                load(.r1, fused.rhs)
                asm.jump(onZero ? fused.op.jump.negated : fused.op.jump, .r0, .r1, bpfLabel(target))
            } else {
                load(.r0, register)
                asm.jump(onZero ? .jeq : .jne, .r0, immediate: 0, bpfLabel(target))
            }
        case .label(let target):
            asm.bind(bpfLabel(target))
        case .call(let helper, let result, let arguments):
            try call(helper, result: result, arguments: arguments)
        case .checkNonZero(let register, let kind):
            load(.r0, register)
            faultIf(.jeq, .r0, immediate: 0, kind)
        case .checkBounds(_, _, let address, let kind) where fusedComparison() != nil:
            // A fused comparison t, checked t < 1: fine when the comparison is false.
            let fused = fusedComparison()!
            load(.r0, fused.lhs)
            load(.r2, fused.rhs)
            load(.r1, address)
            let fine = asm.newLabel()
            asm.jump(fused.op.jump.negated, .r0, .r2, fine)
            fault(kind, address: .r1)
            asm.bind(fine)
        case .checkBounds(let index, let limit, let address, let kind):
            load(.r0, index)
            load(.r1, kind == .badIndex ? index : address)
            asm.load(.r2, constant: limit)
            let fine = asm.newLabel()
            asm.jump(.jlt, .r0, .r2, fine)
            fault(kind, address: .r1)
            asm.bind(fine)
        case .returnFromClause:
            asm.jump(exitLabel)
        }
    }

    /// dst = the `width` bytes of kernel memory at r3 (an address the fault area already
    /// holds), read with probe_read_kernel; an unreadable one faults.
    mutating func readKernelWord(width: Int, into dst: Register) {
        asm.store(immediate: 0, to: .frame, offset: Self.temporary, size: .double)
        asm.move(.r1, .frame)
        asm.alu64(.add, .r1, immediate: Int32(Self.temporary))
        asm.load(.r2, constant: Int64(width))
        asm.call(.probeReadKernel)
        faultIf(.jne, .r0, immediate: 0, .badAddress, from: .alreadyStored)
        asm.load(.r0, from: .frame, offset: Self.temporary, size: BPFSize(bytes: width)!)
        store(dst, .r0)
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
            // Divide magnitudes; the quotient and (as DTrace on Linux computes it) the
            // remainder are negative when the signs differ.
            asm.move(.r2, .r0)
            asm.alu64(.xor, .r2, .r1)
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

    /// Reads `size` bytes at `source` (user or kernel memory, as `reader` reads it) into D
    /// memory at `destination`; a failed read faults at the source address.
    mutating func read(_ size: Int64, from source: Register, into destination: Register, with reader: BPFHelper) throws(CodegenError) {
        try withPointer(destination, span: Int(size), write: true, into: .r1) { generator in
            generator.asm.load(.r2, constant: size)
            generator.load(.r3, source)
            generator.asm.store(.r3, to: .r7, offset: Int16(generator.layout.faultAreaOffset + 24), size: .double)
            generator.asm.call(reader)
            generator.faultIf(.jne, .r0, immediate: 0, .badAddress, from: .alreadyStored)
        }
    }

    /// Reads a number of bytes known only at run time into alloca() memory (copyin(),
    /// copyinto()): a size above the alloca area faults at the source address, a
    /// destination outside the area (or bytes past its end) at the destination. For the
    /// verifier the offset is masked to the area and the size bounded by it; scratch has
    /// an area's length of room after it (`KernelLayout.scratchSize`).
    mutating func readIntoAlloca(size: Register, from source: Register, into destination: Register, with reader: BPFHelper) {
        let area = Int32(KernelLayout.allocaSize)
        precondition(area & (area - 1) == 0, "the alloca area's size is a power of two")
        load(.r3, source)
        load(.r2, size)
        faultIf(.jgt, .r2, immediate: area, .badAddress, address: .r3)
        // r4 = the destination's offset in the alloca area (its region must be scratch).
        load(.r4, destination)
        asm.move(.r5, .r4)
        asm.alu64(.rsh, .r5, immediate: 48)
        faultIf(.jne, .r5, immediate: Int32(KernelRegion.scratch), .badAddress, address: .r4)
        asm.alu64(.lsh, .r4, immediate: 16)
        asm.alu64(.rsh, .r4, immediate: 16)
        asm.alu64(.sub, .r4, immediate: Int32(layout.allocaOffset))
        load(.r5, destination)
        faultIf(.jgt, .r4, immediate: area, .badAddress, address: .r5)
        asm.move(.r0, .r4)
        asm.alu64(.add, .r0, .r2)
        faultIf(.jgt, .r0, immediate: area, .badAddress, address: .r5)
        asm.alu64(.and, .r4, immediate: area - 1)
        asm.move(.r1, .r7)
        asm.alu64(.add, .r1, immediate: Int32(layout.allocaOffset))
        asm.alu64(.add, .r1, .r4)
        asm.store(.r3, to: .r7, offset: Int16(layout.faultAreaOffset + 24), size: .double)
        asm.call(reader)
        faultIf(.jne, .r0, immediate: 0, .badAddress, from: .alreadyStored)
    }

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
        case .readUserRegister:
            readUserRegister(index: a[0])
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
            // As Oracle's DTrace reads it: at most strsize bytes with the NUL (a size given
            // counts the NUL too, and is capped at strsize).
            let stringSize = layout.stringSize
            try withPointer(a[0], span: stringSpan, write: true, into: .r1) { generator in
                if a.count > 2 {
                    generator.load(.r2, a[2])
                    generator.asm.skip(1, if: .jsge, .r2, immediate: 1)
                    generator.asm.load(.r2, constant: 1)
                    generator.asm.skip(1, if: .jle, .r2, immediate: Int32(stringSize))
                    generator.asm.load(.r2, constant: Int64(stringSize))
                } else {
                    generator.asm.load(.r2, constant: Int64(stringSize))
                }
                if let deferred = generator.deferredSites[generator.currentInstruction] {
                    generator.readStringOrDefer(from: a[1], site: deferred)
                } else if let replay = generator.site.replay {
                    generator.readStringOrReplay(from: a[1], replay: replay)
                } else {
                    generator.readStringWithFault(from: a[1], helper: .probeReadUserString)
                }
            }
            if let result { load(.r0, a[0]); store(result, .r0) }
        case .copyInKernelString:
            // A bound (a key slot written in place) reads at most that many bytes with the NUL.
            var span = stringSpan
            if a.count > 2, case .constant(let bound)? = known[a[2].index], bound > 0, bound < Int64(stringSpan) { span = Int(bound) }
            try withPointer(a[0], span: span, write: true, into: .r1) { generator in
                generator.asm.load(.r2, constant: Int64(span))
                generator.readStringWithFault(from: a[1], helper: .probeReadKernelString)
            }
            if let result { load(.r0, a[0]); store(result, .r0) }
        case .copyIn:
            if case .constant(let size)? = known[a[2].index], size >= 0, size <= Int64(KernelLayout.allocaSize) {
                try read(size, from: a[1], into: a[0], with: .probeReadUser)
            } else {
                readIntoAlloca(size: a[2], from: a[1], into: a[0], with: .probeReadUser)
            }
            if let result { load(.r0, a[0]); store(result, .r0) }
        case .copyInKernel:
            guard case .constant(let size)? = known[a[2].index], size >= 0, size <= 1 << 16 else {
                throw .unsupported("copying kernel memory of a size that is not a constant of at most 64k")
            }
            try read(size, from: a[1], into: a[0], with: .probeReadKernel)
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
            try withPointer(a[0], span: Int(size), write: false, into: .r3, kernelFallback: true) { (generator: inout BPFCodeGenerator) throws(CodegenError) in
                try generator.withPointer(a[1], span: Int(size), write: true, into: .r1) { inner in
                    inner.asm.load(.r2, constant: size)
                    inner.asm.call(.probeReadKernel)
                }
            }
        case .checkAlloca:
            // r1 = address - start of the alloca area, r2 = what has been allocated.
            load(.r1, a[0])
            asm.load(.r3, constant: (KernelRegion.scratch << 48) + Int64(layout.allocaOffset))
            asm.alu64(.sub, .r1, .r3)
            asm.load(.r2, from: .r7, offset: Int16(layout.allocaUsedOffset), size: .double)
            let badAddress = asm.newLabel(), sizeFits = asm.newLabel()
            asm.jump(.jslt, .r1, immediate: 0, badAddress)
            asm.jump(.jge, .r1, .r2, badAddress)
            asm.alu64(.sub, .r2, .r1)                   // room left from the address
            load(.r3, a[1])
            asm.jump(.jle, .r3, .r2, sizeFits)
            fault(.badSize, address: .r3)
            asm.bind(badAddress)
            load(.r1, a[0])
            fault(.badAddress, address: .r1)
            asm.bind(sizeFits)
        case .allocate:
            load(.r1, a[0])
            asm.alu64(.add, .r1, immediate: 7)
            asm.alu64(.and, .r1, immediate: -8)
            asm.load(.r0, from: .r7, offset: Int16(layout.allocaUsedOffset), size: .double)
            asm.move(.r2, .r0)
            asm.alu64(.add, .r2, .r1)
            faultIf(.jgt, .r2, immediate: Int32(min(KernelLayout.allocaSize, layout.allocaLimit)), .outOfScratch)
            asm.store(.r2, to: .r7, offset: Int16(layout.allocaUsedOffset), size: .double)
            asm.load(.r1, constant: (KernelRegion.scratch << 48) + Int64(layout.allocaOffset))
            asm.alu64(.add, .r0, .r1)
            setResult(&self, .r0)
        case .stackID(let user):
            guard maps.stacks >= 0 else { throw .unsupported(user ? "ustack()" : "stack()") }
            if !user && !site.prologue.hasKernelStack {
                asm.load(.r0, constant: -1)                   // no kernel frames: an empty stack
                setResult(&self, .r0)
                return
            }
            asm.move(.r1, .r6)
            asm.load(.r2, mapDescriptor: maps.stacks)
            asm.load(.r3, constant: user ? 1 << 8 : 0)     // BPF_F_USER_STACK
            asm.call(.getStackID)
            if user && site.prologue.providesEntryCaller && maps.entryCallers >= 0 { nameEntryCaller() }
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
            // One dynamic variable fewer, when there was one.
            let absent = asm.newLabel()
            asm.jump(.jne, .r0, immediate: 0, absent)
            asm.load(.r2, constant: -1)
            asm.atomicFetchAdd(base: .r8, offset: Int16(layout.dynamicVariableCountOffset), value: .r2)
            asm.bind(absent)
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
            countDrop(layout.failedSpeculationsOffset)
            asm.load(.r0, constant: 0)
            asm.bind(done)
            setResult(&self, .r0)
        case .speculationDrop:
            countDrop(layout.speculativeDropsOffset)
            asm.load(.r0, constant: 1)
            setResult(&self, .r0)
        case .speculate:
            // Records of this firing go to speculation id (its low 32 bits: 1...nspec,
            // active): 1; else 0 (the clause ends).
            let done = asm.newLabel()
            load(.r1, a[0])
            asm.alu32(.mov, .r1, .r1)
            asm.move(.r4, .r1)
            asm.load(.r0, constant: 0)
            asm.jump(.jeq, .r1, immediate: 0, done)
            asm.jump(.jgt, .r1, immediate: Int32(layout.speculationLimit), done)
            asm.alu64(.sub, .r1, immediate: 1)
            asm.alu64(.lsh, .r1, immediate: 3)
            asm.move(.r2, .r8)
            asm.alu64(.add, .r2, .r1)
            asm.load(.r3, from: .r2, offset: Int16(layout.speculationSlotsOffset), size: .double)
            asm.jump(.jeq, .r3, immediate: 0, done)
            asm.store(.r4, to: .r7, offset: Int16(layout.pendingSpeculationOffset), size: .double)
            asm.load(.r0, constant: 1)
            asm.bind(done)
            setResult(&self, .r0)
        case .commit, .discard:
            // Frees the slot and tells the consumer, in order with the records. An id (its
            // low 32 bits) above nspec is an illegal operation; 0 does nothing.
            let done = asm.newLabel()
            load(.r1, a[0])
            asm.alu32(.mov, .r1, .r1)
            faultIf(.jgt, .r1, immediate: Int32(layout.speculationLimit), .illegalOperation)
            asm.jump(.jeq, .r1, immediate: 0, done)
            asm.store(.r1, to: .frame, offset: Self.temporary, size: .double)
            asm.alu64(.sub, .r1, immediate: 1)
            asm.alu64(.lsh, .r1, immediate: 3)
            asm.move(.r2, .r8)
            asm.alu64(.add, .r2, .r1)
            asm.store(immediate: 0, to: .r2, offset: Int16(layout.speculationSlotsOffset), size: .double)
            asm.load(.r4, from: .frame, offset: Self.temporary, size: .double)
            asm.store(.r4, to: .r7, offset: Int16(layout.routineStateOffset + 40), size: .double)
            reserveRecord(helper == .commit ? .commit : .discard, size: RecordHeader.size, onDrop: done)
            asm.load(.r1, from: .r7, offset: Int16(layout.routineStateOffset + 40), size: .double)
            asm.store(.r1, to: .r0, offset: 12, size: .word)
            submitRecord(wakeup: .whenFilling)
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
