// DTraceCodegen/MapsAndAggregations: associative arrays and thread-locals (per-call-site
// map value pointers), aggregation updates in hash maps keyed by key and CPU (count, sum, avg, min,
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
            // Created: counted against what the maps hold together; one too many goes again
            // (and is a drop, below).
            let counted = asm.newLabel()
            asm.jump(.jne, .r0, immediate: 0, counted)
            asm.load(.r2, constant: 1)
            asm.atomicFetchAdd(base: .r8, offset: Int16(layout.dynamicVariableCountOffset), value: .r2)
            asm.jump(.jlt, .r2, immediate: Int32(clamping: maps.dynamicVariableCapacity), counted)
            asm.load(.r2, constant: -1)
            asm.atomicFetchAdd(base: .r8, offset: Int16(layout.dynamicVariableCountOffset), value: .r2)
            try withPointer(key, span: descriptor.keySize, write: false, into: .r2) { generator in
                generator.asm.load(.r1, mapDescriptor: fd)
                generator.asm.call(.mapDeleteElement)
            }
            asm.bind(counted)
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

    /// Calls `lookup` semantics for an aggregation key: r0 = this CPU's entry (created
    /// zeroed). The map key is written in scratch: the D key, then the CPU's number
    /// (`KernelLayout.aggregationMapKeySize`).
    mutating func aggregationEntry(_ aggregation: Int, key: Register, missing: BPFLabel) throws(CodegenError) {
        let descriptor = program.aggregations[aggregation]
        let fd = maps.aggregations[aggregation]
        let keySize = KernelLayout.aggregationKeySize(descriptor)
        var mapKey = layout.aggregationKeyOffset
        if descriptor.keySize == 0 {
            asm.store(immediate: 0, to: .r7, offset: Int16(mapKey), size: .double)
        } else if case .address(KernelRegion.scratch, let offset)? = known[key.index], offset >= 0,
                  offset + Int64(keySize + AggregationDescriptor.keyRoom) <= Int64(layout.irScratchSize) {
            // The key's own buffer, with room for the CPU after it (AggregationDescriptor.keyRoom).
            mapKey = Int(offset)
        } else {
            try withPointer(key, span: keySize, write: false, into: .r2) { generator in
                var position = 0
                while position < keySize {
                    let remaining = keySize - position
                    let width = remaining >= 8 ? 8 : (remaining >= 4 ? 4 : (remaining >= 2 ? 2 : 1))
                    let size = BPFSize(bytes: width)!
                    generator.asm.load(.r3, from: .r2, offset: Int16(position), size: size)
                    generator.asm.store(.r3, to: .r7, offset: Int16(mapKey + position), size: size)
                    position += width
                }
            }
        }
        asm.call(.getSMPProcessorID)
        asm.store(.r0, to: .r7, offset: Int16(mapKey + keySize), size: .double)
        let found = asm.newLabel()
        /// r0 = the entry; to `found` when there is one.
        func lookUp(_ generator: inout BPFCodeGenerator) {
            generator.asm.load(.r1, mapDescriptor: fd)
            generator.asm.move(.r2, .r7)
            generator.asm.alu64(.add, .r2, immediate: Int32(mapKey))
            generator.asm.call(.mapLookupElement)
            generator.asm.jump(.jne, .r0, immediate: 0, found)
        }
        lookUp(&self)
        let dropped = asm.newLabel(), lookAgain = asm.newLabel()
        // Not there yet: this CPU's count of the map's entries (below its capacity) ...
        let counted = maps.aggregationEntries >= 0 && aggregation < maps.aggregationCapacities.count
        if counted {
            let cpus = max(1, maps.possibleCPUs)
            asm.load(.r1, mapDescriptor: maps.aggregationEntries)
            asm.move(.r2, .r9)
            asm.alu64(.add, .r2, immediate: Int32(layout.zeroOffset))
            asm.call(.mapLookupElement)
            asm.jump(.jeq, .r0, immediate: 0, dropped)
            asm.load(.r1, from: .r7, offset: Int16(mapKey + keySize), size: .double)
            asm.jump(.jge, .r1, immediate: Int32(clamping: cpus), dropped)
            asm.alu64(.lsh, .r1, immediate: 3)
            asm.alu64(.add, .r0, .r1)
            asm.alu64(.add, .r0, immediate: Int32(clamping: 8 * aggregation * cpus))
            asm.load(.r1, from: .r0, offset: 0, size: .double)
            asm.jump(.jge, .r1, immediate: Int32(clamping: maps.aggregationCapacities[aggregation]), dropped)
            asm.store(.r0, to: .frame, offset: Self.temporary, size: .double)
        }
        // ... then the entry, zeroed (BPF_NOEXIST), counted when made, and looked up again.
        asm.load(.r1, mapDescriptor: fd)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(mapKey))
        asm.move(.r3, .r9)
        asm.alu64(.add, .r3, immediate: Int32(layout.zeroOffset))
        asm.load(.r4, constant: 1)
        asm.call(.mapUpdateElement)
        if counted {
            asm.jump(.jne, .r0, immediate: 0, lookAgain)
            asm.load(.r1, from: .frame, offset: Self.temporary, size: .double)
            asm.load(.r2, constant: 1)
            asm.atomicAdd(base: .r1, offset: 0, value: .r2)
        }
        asm.bind(lookAgain)
        lookUp(&self)
        asm.bind(dropped)
        countDrop(layout.aggregationDropsOffset)
        asm.jump(missing)
        asm.bind(found)
    }

    public mutating func addToField(_ offset: Int16, _ register: BPFRegister) {
        asm.load(.r3, from: .r0, offset: offset, size: .double)
        asm.alu64(.add, .r3, register)
        asm.store(.r3, to: .r0, offset: offset, size: .double)
    }

    mutating func aggregate(_ aggregation: Int, key: Register, value: Register, increment: Register) throws(CodegenError) {
        let function = program.aggregations[aggregation].function
        guard let update = function.behavior as? any KernelAggregation else { throw .unsupported("\(function.name)()") }
        let done = asm.newLabel()
        try aggregationEntry(aggregation, key: key, missing: done)
        load(.r1, value)
        load(.r2, increment)
        update.emitUpdate(function, generator: &self)
        asm.bind(done)
    }

    /// The first time a process is seen (not yet in the processes map), a process record
    /// tells the consumer, which reads its mappings while it still runs.
    mutating func noteProcess() {
        let done = asm.newLabel()
        asm.call(.getCurrentPIDTGID)
        asm.alu64(.rsh, .r0, immediate: 32)
        asm.store(.r0, to: .r7, offset: Int16(layout.processNoteOffset), size: .double)
        lookup(map: maps.processes, keyInScratchAt: layout.processNoteOffset)
        asm.jump(.jne, .r0, immediate: 0, done)
        // The pid is its own value. Of two CPUs seeing it at once, one reports it.
        lookup(map: maps.processes, keyInScratchAt: layout.processNoteOffset, creatingFrom: layout.processNoteOffset)
        asm.jump(.jne, .r0, immediate: 0, done)
        reserveRecord(.process, size: ProcessReport.recordSize, onDrop: done)
        asm.load(.r1, from: .r7, offset: Int16(layout.processNoteOffset), size: .double)
        asm.store(.r1, to: .r0, offset: Int16(RecordHeader.size), size: .double)
        submitRecord(wakeup: .adaptive)
        asm.bind(done)
    }

    mutating func submitRecord(buffer: Register, size sizeRegister: Register) throws(CodegenError) {
        guard case .constant(let size)? = known[sizeRegister.index], case .address(KernelRegion.scratch, let offset)? = known[buffer.index],
              offset >= 0, offset + size <= Int64(layout.scratchSize) else {
            throw .unsupported("a record outside scratch memory")
        }
        let done = asm.newLabel()
        reserveRecord(.data, size: RecordHeader.size + Int(size), onDrop: done)
        if !deferredSites.isEmpty {
            // Strings to come at the call's return: the record waits for them.
            let complete = asm.newLabel()
            asm.load(.r1, from: .r7, offset: Int16(layout.deferCountOffset), size: .double)
            asm.jump(.jeq, .r1, immediate: 0, complete)
            asm.store(immediate: RecordHeader.Kind.deferredData.rawValue, to: .r0, offset: RecordHeader.kindOffset, size: .word)
            asm.alu64(.lsh, .r1, immediate: 24)
            asm.load(.r2, from: .r7, offset: Int16(layout.deferTicketOffset), size: .double)
            asm.alu64(.or, .r1, .r2)
            asm.store(.r1, to: .r0, offset: RecordHeader.speculationOffset, size: .word)
            asm.bind(complete)
        }
        var position = 0
        while position < Int(size) {
            let remaining = Int(size) - position
            let width = remaining >= 8 ? 8 : (remaining >= 4 ? 4 : (remaining >= 2 ? 2 : 1))
            let bpfSize = BPFSize(bytes: width)!
            asm.load(.r1, from: .r7, offset: Int16(Int(offset) + position), size: bpfSize)
            asm.store(.r1, to: .r0, offset: Int16(RecordHeader.size + position), size: bpfSize)
            position += width
        }
        submitRecord(wakeup: urgentRecord ? .now : .whenFilling)
        asm.bind(done)
    }
}
