// DTraceCodegen/MapsAndAggregations: associative arrays and thread-locals (per-call-site
// map value pointers), aggregation updates in per-CPU hash maps (count, sum, avg, min,
// max, stddev and the three quantizations: bucket searches without loops), process
// notes, and the clause's record handed to the ring buffer.

import DTraceBPF
import DTraceIR

extension BPFCodeGenerator {
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
        reserveRecord(.process, size: ProcessReport.recordSize, onDrop: done)
        asm.load(.r1, from: .r7, offset: Int16(layout.processNoteOffset), size: .double)
        asm.store(.r1, to: .r0, offset: Int16(RecordHeader.size), size: .double)
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
        reserveRecord(.data, size: RecordHeader.size + Int(size), onDrop: done)
        var position = 0
        while position < Int(size) {
            let remaining = Int(size) - position
            let width = remaining >= 8 ? 8 : (remaining >= 4 ? 4 : (remaining >= 2 ? 2 : 1))
            let bpfSize = BPFSize(bytes: width)!
            asm.load(.r1, from: .r7, offset: Int16(Int(offset) + position), size: bpfSize)
            asm.store(.r1, to: .r0, offset: Int16(RecordHeader.size + position), size: bpfSize)
            position += width
        }
        asm.move(.r1, .r0)
        asm.load(.r2, constant: 0)
        asm.call(.ringbufSubmit)
        asm.bind(done)
    }
}
