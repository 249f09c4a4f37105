// DTraceCodegen/Codegen: one IR function (a clause) for one probe site, as a BPF program
// the verifier accepts by construction.
//
// Conventions of the generated code:
// - r6 = probe context, r7 = per-CPU scratch, r8 = globals, r9 = constants (map values
//   looked up once in the prologue); r0-r5 are working registers.
// - IR registers live in stack slots (shared between registers whose live ranges do not
//   overlap), so every helper call may clobber r0-r5 freely.
// - IR addresses stay the interpreter's tagged scalars (region << 48 | offset). Every
//   access resolves its tag: statically when the register's only definition names the
//   region, else by a dispatch over the regions the clause can reach, each alternative
//   bounds-checking the offset and doing the access itself (so no pointer of a different
//   map ever merges into one register and the verifier's paths stay few).
// - Map values of associative arrays are reached through per-call-site stack slots that
//   hold the real pointer; the IR register holds the site's tag.
// - Tracee memory is read only through the probe-read helpers; every fault stores its
//   kind, action, DIF offset and address and sends a fault record to the consumer.

import DTraceBPF
import DTraceIR

public enum CodegenError: Error, Equatable, CustomStringConvertible {
    case unsupported(String)
    case tooLarge(String)

    public var description: String {
        switch self {
        case .unsupported(let what): return "\(what) is not supported by the kernel engine yet"
        case .tooLarge(let what): return what
        }
    }
}

public struct BPFCodeGenerator {
    let program: IRProgram
    public let layout: KernelLayout
    public let maps: KernelMaps
    let site: ProbeSite
    let function: IRFunction
    /// The library's subroutines' BPF bodies, by name.
    let subroutines: [String: any KernelSubroutine]
    /// The clause's record holds an action the consumer must see at once (exit()).
    let urgentRecord: Bool
    public var asm = BPFAssembler()

    // Stack: [fp-8] temporary, then one slot per map call site, then register slots.
    var slotOfRegister: [Int: Int16] = [:]
    var slotOfSite: [Int: Int16] = [:]      // instruction index of the map call -> slot
    var siteOfInstruction: [Int: Int] = [:] // instruction index -> site number
    var siteMaps: [Int: Int] = [:]          // site number -> IR map id
    var siteLiveRange: [Int: ClosedRange<Int>] = [:] // site number -> instructions needing its pointer
    var known: [Int: KnownValue] = [:]
    var labels: [Label: BPFLabel] = [:]
    var currentInstruction = 0
    var faultUsed = false
    /// Registers holding the address of a buffer get_current_comm() filled: 16 bytes,
    /// NUL-terminated and zero-padded, so copying it is two 8-byte moves.
    var commBuffers: Set<Int> = []
    /// Registers holding a pointer the kernel's BTF types (`ProbeSite.readsKernelDirectly`).
    var kernelPointers: Set<Int> = []
    /// Comparisons whose only use is the next instruction's test (a branch, or a NULL
    /// check: `checkBounds(t < 1)`): emitted there as one conditional jump, by index.
    var fusedComparisons: Set<Int> = []
    /// copyinstr() calls whose string may be read again at the system call's return, by
    /// instruction (DeferredStrings).
    var deferredSites: [Int: DeferredStringSite] = [:]
    /// Callback subprograms (for bpf_loop) emitted after the clause's own code, by name.
    public var subprograms: [String: BPFLabel] = [:]
    public var subprogramBodies: [(label: BPFLabel, emit: (inout BPFCodeGenerator) -> Void)] = []
    let exitLabel: BPFLabel
    let faultLabel: BPFLabel
    static let temporary: Int16 = -8

    enum KnownValue: Equatable {
        case constant(Int64)
        case address(region: Int64, offset: Int64)
        case site(Int, offset: Int64)
        /// That address or NULL (a string variable holding a NULL string).
        case addressOrNull(region: Int64, offset: Int64)
    }

    /// Generates the program for one clause at one probe site.
    public static func generate(clause: IRClause, program: IRProgram, layout: KernelLayout, maps: KernelMaps, site: ProbeSite,
                                subroutines: [String: any KernelSubroutine] = [:]) throws(CodegenError) -> [BPFInstruction] {
        let urgent = clause.record.actions.contains { $0.output.isUrgent }
        // Repeated probe reads and checks done once; should the longer-lived values not
        // fit the BPF stack, the clause as written.
        let shared = clause.function.sharingRepeatedValues(tracedMemoryMayChange: program.usesDestructiveActions)
        var generator = BPFCodeGenerator(program: program, layout: layout, maps: maps, site: site, function: shared, subroutines: subroutines, urgentRecord: urgent)
        do {
            return try generator.run()
        } catch .tooLarge {
            var plain = BPFCodeGenerator(program: program, layout: layout, maps: maps, site: site, function: clause.function, subroutines: subroutines, urgentRecord: urgent)
            return try plain.run()
        }
    }

    init(program: IRProgram, layout: KernelLayout, maps: KernelMaps, site: ProbeSite, function: IRFunction, subroutines: [String: any KernelSubroutine],
         urgentRecord: Bool) {
        self.program = program; self.layout = layout; self.maps = maps; self.site = site; self.function = function; self.subroutines = subroutines
        self.urgentRecord = urgentRecord
        exitLabel = asm.newLabel()
        faultLabel = asm.newLabel()
    }

    mutating func run() throws(CodegenError) -> [BPFInstruction] {
        if layout.scratchSize > Int(Int16.max) || layout.globalSize > Int(Int16.max) || layout.constantsSize > Int(Int16.max) {
            throw .tooLarge("program state exceeds 32 KB of scratch, global or constant memory")
        }
        // Every area the clause's library subroutines declared must have been laid out.
        for instruction in function.instructions {
            guard case .call(.subroutine(let call), _, _) = instruction, let body = subroutines[call.name] else { continue }
            for area in body.scratchAreas(stringSize: layout.stringSize) where layout.areaOffsets[area.name] == nil {
                throw .tooLarge("\(call.name)() needs scratch area \(area.name), which the layout lacks")
            }
        }
        try allocateSlots()
        analyseKnownValues()
        if site.readsKernelDirectly { analyseKernelPointers() }
        fusedComparisons = fusableComparisons()
        if maps.pendingStrings >= 0 && site.replay == nil {
            for deferred in DeferredStrings.sites(in: function, probe: site.identity, stringSize: layout.stringSize) { deferredSites[deferred.instruction] = deferred }
        }
        emitPrologue()
        if !deferredSites.isEmpty {
            asm.store(immediate: 0, to: .r7, offset: Int16(layout.deferTicketOffset), size: .double)
            asm.store(immediate: 0, to: .r7, offset: Int16(layout.deferCountOffset), size: .double)
        }
        for (index, instruction) in function.instructions.enumerated() {
            currentInstruction = index
            try emit(instruction)
        }
        asm.bind(exitLabel)
        if let next = site.nextClause {
            // The firing's next clause (when its program is in place).
            asm.move(.r1, .r6)
            asm.load(.r2, mapDescriptor: next.programs)
            asm.load(.r3, constant: Int64(next.index))
            asm.call(.tailCall)
        }
        asm.load(.r0, constant: 0)
        asm.exit()
        if faultUsed { emitFaultTail() }
        for subprogram in subprogramBodies {
            asm.bind(subprogram.label)
            subprogram.emit(&self)
        }
        do { return try asm.assemble() } catch { throw .tooLarge("clause cannot be assembled: \(error)") }
    }

    // MARK: registers

    /// Where a task's parent pointer and process id lie in task_struct (BTF), when known.
    public var taskParentOffsets: (realParent: Int, processID: Int)? { site.parentOffsets }

    /// The value of a register holding one known constant (nil when it may vary).
    public func constantValue(of register: Register) -> Int64? {
        if case .constant(let value)? = known[register.index] { return value }
        return nil
    }

    func slot(_ register: Register) -> Int16 { slotOfRegister[register.index] ?? Self.temporary }

    public mutating func load(_ bpf: BPFRegister, _ register: Register) {
        if case .constant(let value)? = known[register.index] { asm.load(bpf, constant: value); return }
        asm.load(bpf, from: .frame, offset: slot(register), size: .double)
    }

    public mutating func store(_ register: Register, _ bpf: BPFRegister) {
        asm.store(bpf, to: .frame, offset: slot(register), size: .double)
    }

    // MARK: prologue, faults

    mutating func lookupSingleValue(map: Int32, into register: BPFRegister) {
        asm.store(immediate: 0, to: .frame, offset: Self.temporary, size: .double)
        asm.load(.r1, mapDescriptor: map)
        asm.move(.r2, .frame)
        asm.alu64(.add, .r2, immediate: Int32(Self.temporary))
        asm.call(.mapLookupElement)
        asm.jump(.jeq, .r0, immediate: 0, exitLabel)
        asm.move(register, .r0)
    }

    /// r0 = the value a map holds for the key in scratch at `keyOffset`, or 0; with
    /// `creatingFrom` (a scratch offset holding the initial value), the entry is made first
    /// when missing (BPF_NOEXIST: of two CPUs making it at once, one does) and r0 is the
    /// update's result instead: 0 when this call made it.
    mutating func lookup(map: Int32, keyInScratchAt keyOffset: Int, creatingFrom initial: Int? = nil) {
        asm.load(.r1, mapDescriptor: map)
        asm.move(.r2, .r7)
        asm.alu64(.add, .r2, immediate: Int32(keyOffset))
        guard let initial else { asm.call(.mapLookupElement); return }
        asm.move(.r3, .r7)
        asm.alu64(.add, .r3, immediate: Int32(initial))
        asm.load(.r4, constant: 1)                              // BPF_NOEXIST
        asm.call(.mapUpdateElement)
    }

    /// The comparisons whose result only the next instruction tests (see `fusedComparisons`).
    func fusableComparisons() -> Set<Int> {
        let instructions = function.instructions
        var reads: [Int: Int] = [:]
        for instruction in instructions {
            for register in instruction.readRegisters { reads[register.index, default: 0] += 1 }
        }
        var fusable: Set<Int> = []
        for (index, instruction) in instructions.enumerated().dropLast() {
            guard case .compare(_, let result, _, _) = instruction, known[result.index] == nil, reads[result.index] == 1 else { continue }
            switch instructions[index + 1] {
            case .branchIfZero(let tested, _), .branchIfNotZero(let tested, _):
                if tested == result { fusable.insert(index) }
            case .checkBounds(let tested, 1, _, let kind):
                if tested == result && kind != .badIndex { fusable.insert(index) }
            default: break
            }
        }
        return fusable
    }

    /// The comparison fused into the current instruction's test, if it is one.
    func fusedComparison() -> (op: ComparisonOperator, lhs: Register, rhs: Register)? {
        guard currentInstruction > 0, fusedComparisons.contains(currentInstruction - 1),
              case .compare(let op, _, let lhs, let rhs) = function.instructions[currentInstruction - 1] else { return nil }
        return (op, lhs, rhs)
    }

    mutating func emitPrologue() {
        asm.move(.r6, .r1)
        // The provider's filter: firings that are not this probe's leave first.
        let prologue = site.prologue
        withPrologueCode { prologue.emitFilter(&$0) }
        if let cpu = site.onlyCPU {
            asm.call(.getSMPProcessorID)
            asm.jump(.jne, .r0, immediate: Int32(clamping: cpu), exitLabel)
        }
        lookupSingleValue(map: maps.scratch, into: .r7)
        asm.store(immediate: 0, to: .r7, offset: contextSlot(ProbeContextSlots.timestamp), size: .double)
        if let table = site.sharedProbes {
            // Which site fired: the cookie its attachment carries, or the key the prologue
            // works out (a system call's number); its probe's EPID is in the shared table.
            if prologue.computesSiteKey {
                withPrologueCode { prologue.emitSiteKey(&$0) }
                asm.alu64(.add, .r0, immediate: Int32(site.sharedKeyBase))
            } else {
                asm.move(.r1, .r6)
                asm.call(.getAttachCookie)
            }
            asm.store(.r0, to: .r7, offset: contextSlot(ProbeContextSlots.site), size: .double)
            asm.load(.r1, mapDescriptor: table.descriptor)
            asm.move(.r2, .r7)
            asm.alu64(.add, .r2, immediate: Int32(contextSlot(ProbeContextSlots.site)))
            asm.call(.mapLookupElement)
            asm.jump(.jeq, .r0, immediate: 0, exitLabel)
            asm.load(.r1, from: .r0, offset: Int16(SharedProbeTable.epidOffset), size: .double)
            asm.jump(.jeq, .r1, immediate: 0, exitLabel)   // a key of no site: an empty entry
            asm.store(.r1, to: .r7, offset: contextSlot(ProbeContextSlots.enabling), size: .double)
        }
        // The globals and constants are array maps of one value: their addresses are
        // immediates the kernel fills in at load, with no lookup when the probe fires.
        asm.load(.r8, mapValue: maps.globals)
        asm.load(.r9, mapValue: maps.constants)
        if site.prologue.stopsAfterExit {
            asm.load(.r1, from: .r8, offset: Int16(layout.exitFlagOffset), size: .double)
            asm.jump(.jne, .r1, immediate: 0, exitLabel)
        }
        for slot in Set(slotOfSite.values).sorted() { asm.store(immediate: 0, to: .frame, offset: slot, size: .double) }
        for range in program.zeroedScratch where !range.isEmpty { zero(base: .r7, offset: range.lowerBound, size: range.count) }
        if site.startsFiring && !program.clauseLocalScratch.isEmpty {
            zero(base: .r7, offset: program.clauseLocalScratch.lowerBound, size: program.clauseLocalScratch.count)
        }
        asm.store(immediate: 0, to: .r7, offset: Int16(layout.allocaUsedOffset), size: .double)
        asm.store(immediate: 0, to: .r7, offset: Int16(layout.pendingSpeculationOffset), size: .double)
        // The probe context: the slots this clause reads, filled by the provider.
        let demand = ContextDemand.of(function)
        withPrologueCode { code in
            // Slots the clause reads start at zero, so a prologue that leaves one unfilled
            // gives 0, never another firing's value.
            for index in 0..<min(prologue.argumentCount, ProbeContextSlots.arguments) where demand.needsArgument(index) {
                code.asm.store(immediate: 0, to: .r7, offset: code.argumentSlot(index), size: .double)
            }
            if demand.errno { code.asm.store(immediate: 0, to: .r7, offset: code.errnoSlot, size: .double) }
            if demand.argumentRecord { code.asm.store(immediate: 0, to: .r7, offset: code.argumentRecordSlot, size: .double) }
            if demand.userStack && prologue.providesEntryCaller { code.asm.store(immediate: 0, to: .r7, offset: code.entryCallerSlot, size: .double) }
            prologue.emitContext(&code, demand: demand)
        }
    }

    /// Lends the assembler to a provider's prologue.
    mutating func withPrologueCode(_ body: (inout PrologueCode) -> Void) {
        var code = PrologueCode(asm: BPFAssembler(), exit: exitLabel, contextOffset: layout.probeContextOffset)
        code.readsKernelDirectly = site.readsKernelDirectly
        code.sharedProbes = site.sharedProbes
        swap(&code.asm, &asm)
        body(&code)
        swap(&code.asm, &asm)
    }

    /// The scratch offset (from r7) of a probe-context slot.
    func contextSlot(_ index: Int) -> Int16 { Int16(layout.probeContextOffset + 8 * index) }

    /// Zeroes [base+offset, +size): stores when small, else a failing probe read (which
    /// the kernel answers by zeroing the destination).
    mutating func zero(base: BPFRegister, offset: Int, size: Int) {
        guard size > 0 else { return }
        if size <= 1024 {
            var position = 0
            while position < size {
                let width = size - position >= 8 ? 8 : (size - position >= 4 ? 4 : (size - position >= 2 ? 2 : 1))
                asm.store(immediate: 0, to: base, offset: Int16(offset + position), size: BPFSize(bytes: width)!)
                position += width
            }
            return
        }
        asm.move(.r1, base)
        if offset != 0 { asm.alu64(.add, .r1, immediate: Int32(offset)) }
        asm.load(.r2, constant: Int64(size))
        asm.load(.r3, constant: 0)
        asm.call(.probeReadKernel)
    }

    /// Records a fault (address taken from `address`, or 0) and leaves the clause.
    enum FaultAddress { case none, register(BPFRegister), alreadyStored }

    public mutating func fault(_ kind: FaultKind, address: BPFRegister? = nil) {
        fault(kind, from: address.map { .register($0) } ?? FaultAddress.none)
    }

    mutating func fault(_ kind: FaultKind, from address: FaultAddress) {
        let area = Int16(layout.faultAreaOffset)
        switch address {
        case .none: asm.store(immediate: 0, to: .r7, offset: area + 24, size: .double)
        case .register(let register): asm.store(register, to: .r7, offset: area + 24, size: .double)
        case .alreadyStored: break
        }
        asm.store(immediate: Int32(kind.rawValue), to: .r7, offset: area, size: .double)
        let action = currentInstruction < function.actionOfInstruction.count ? function.actionOfInstruction[currentInstruction] : 0
        asm.store(immediate: Int32(action), to: .r7, offset: area + 8, size: .double)
        let position = function.compiledPositions.map { $0[currentInstruction] } ?? currentInstruction
        asm.store(immediate: Int32(position * 4), to: .r7, offset: area + 16, size: .double)
        asm.jump(faultLabel)
        faultUsed = true
    }

    public mutating func faultIf(_ operation: BPFJumpOperation, _ register: BPFRegister, immediate: Int32, _ kind: FaultKind, address: BPFRegister? = nil) {
        faultIf(operation, register, immediate: immediate, kind, from: address.map { .register($0) } ?? FaultAddress.none)
    }

    mutating func faultIf(_ operation: BPFJumpOperation, _ register: BPFRegister, immediate: Int32, _ kind: FaultKind, from address: FaultAddress) {
        let fine = asm.newLabel()
        asm.jump(operation.negated, register, immediate: immediate, fine)
        fault(kind, from: address)
        asm.bind(fine)
    }

    mutating func emitFaultTail() {
        asm.bind(faultLabel)
        reserveRecord(.fault, size: FaultReport.recordSize, onDrop: exitLabel)
        for field in 0..<FaultReport.fields {
            asm.load(.r1, from: .r7, offset: Int16(layout.faultAreaOffset + 8 * field), size: .double)
            asm.store(.r1, to: .r0, offset: Int16(RecordHeader.size + 8 * field), size: .double)
        }
        submitRecord(wakeup: .adaptive)
        asm.jump(exitLabel)
    }

    /// r0 = a ring-buffer record of `size` bytes with its header (type, epid, CPU)
    /// written; when the buffer is full, counts a drop and goes to `onDrop`.
    mutating func reserveRecord(_ kind: RecordHeader.Kind, size: Int, onDrop: BPFLabel) {
        asm.call(.getSMPProcessorID)
        asm.store(.r0, to: .frame, offset: Self.temporary, size: .double)
        asm.load(.r1, mapDescriptor: maps.records)
        asm.load(.r2, constant: Int64(size))
        asm.load(.r3, constant: 0)
        asm.call(.ringbufReserve)
        let reserved = asm.newLabel()
        asm.jump(.jne, .r0, immediate: 0, reserved)
        countDrop(layout.recordDropsOffset)
        asm.jump(onDrop)
        asm.bind(reserved)
        asm.store(immediate: kind.rawValue, to: .r0, offset: RecordHeader.kindOffset, size: .word)
        if site.sharedProbes != nil {
            asm.load(.r1, from: .r7, offset: contextSlot(ProbeContextSlots.enabling), size: .double)
            asm.store(.r1, to: .r0, offset: RecordHeader.epidOffset, size: .word)
        } else {
            asm.store(immediate: Int32(site.epid), to: .r0, offset: RecordHeader.epidOffset, size: .word)
        }
        asm.load(.r1, from: .frame, offset: Self.temporary, size: .double)
        asm.store(.r1, to: .r0, offset: RecordHeader.cpuOffset, size: .word)
        asm.load(.r1, from: .r7, offset: Int16(layout.pendingSpeculationOffset), size: .double)
        asm.store(.r1, to: .r0, offset: RecordHeader.speculationOffset, size: .word)
    }

    /// When a submitted record wakes the consumer.
    enum Wakeup {
        /// The kernel's default: whenever the consumer has caught up (fault and process
        /// reports, which are rare and wanted soon).
        case adaptive
        /// At once (a record holding exit()).
        case now
        /// Only when the buffer holds more than a quarter of its size; otherwise the
        /// consumer reads it at its next switchrate wakeup. So dtrace, woken a few times a
        /// second instead of for every record, does not flood its own trace.
        case whenFilling
    }

    /// Submits the ring-buffer record r0 points to.
    mutating func submitRecord(wakeup: Wakeup) {
        let forceWakeup: Int64 = 2, noWakeup: Int64 = 1   // BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP
        switch wakeup {
        case .adaptive: asm.load(.r2, constant: 0)
        case .now: asm.load(.r2, constant: forceWakeup)
        case .whenFilling where maps.recordsSize <= 0: asm.load(.r2, constant: 0)
        case .whenFilling:
            asm.store(.r0, to: .frame, offset: Self.temporary, size: .double)
            asm.load(.r1, mapDescriptor: maps.records)
            asm.load(.r2, constant: 0)                   // BPF_RB_AVAIL_DATA
            asm.call(.ringbufQuery)
            asm.move(.r2, .r0)
            asm.load(.r0, from: .frame, offset: Self.temporary, size: .double)
            let filling = asm.newLabel(), chosen = asm.newLabel()
            asm.load(.r1, constant: Int64(maps.recordsSize / 4))
            asm.jump(.jgt, .r2, .r1, filling)
            asm.load(.r2, constant: noWakeup)
            asm.jump(chosen)
            asm.bind(filling)
            asm.load(.r2, constant: forceWakeup)
            asm.bind(chosen)
        }
        asm.move(.r1, .r0)
        asm.call(.ringbufSubmit)
    }

    mutating func countDrop(_ offset: Int) {
        asm.load(.r1, from: .r7, offset: Int16(offset), size: .double)
        asm.alu64(.add, .r1, immediate: 1)
        asm.store(.r1, to: .r7, offset: Int16(offset), size: .double)
    }

    // MARK: address resolution

    struct RegionInfo {
        var region: Int64
        var size: Int
        var writable: Bool
    }

    func regionSize(_ region: Int64) -> Int? {
        switch region {
        case KernelRegion.scratch: return layout.scratchSize
        case KernelRegion.global: return layout.globalSize
        case KernelRegion.constant: return layout.constantsSize
        case KernelRegion.zero: return layout.zeroSize
        default:
            guard let map = siteMaps[Int(region - KernelRegion.firstSite)] else { return nil }
            return program.maps[map].valueSize
        }
    }

    /// The regions a dynamic address may name at the current instruction: the fixed
    /// ones and the sites whose pointer is live there.
    var reachableRegions: [Int64] {
        let live = siteMaps.keys.sorted().filter { siteLiveRange[$0]?.contains(currentInstruction) ?? true }
        return [KernelRegion.scratch, KernelRegion.global, KernelRegion.constant, KernelRegion.zero] + live.map { KernelRegion.firstSite + Int64($0) }
    }

    /// Loads the base pointer of a region into `into` (for a site: the stored pointer,
    /// null-checked) and adds the offset register or constant.
    mutating func regionBase(_ region: Int64, into: BPFRegister) {
        switch region {
        case KernelRegion.scratch: asm.move(into, .r7)
        case KernelRegion.global: asm.move(into, .r8)
        case KernelRegion.constant: asm.move(into, .r9)
        case KernelRegion.zero:
            asm.move(into, .r9)
            asm.alu64(.add, into, immediate: Int32(layout.zeroOffset))
        default:
            let siteNumber = Int(region - KernelRegion.firstSite)
            let instruction = siteOfInstruction.first { $0.value == siteNumber }!.key
            asm.load(into, from: .frame, offset: slotOfSite[instruction]!, size: .double)
        }
    }

    /// Emits `body` with `into` pointing at the bytes the tagged address in `register`
    /// (+ `extra`) names, with at least `span` bytes available; faults otherwise.
    /// `kernelFallback`: an address in none of DTrace's regions is a kernel address the
    /// body reads with probe_read_kernel (which faults on its own), not a bad address.
    /// `kernelRead`, when given, is emitted for such an address instead of `body` (for a
    /// body that loads directly from `into`).
    public mutating func withPointer(_ register: Register, extra: Int64 = 0, span: Int, write: Bool, into: BPFRegister, kernelFallback: Bool = false,
                              kernelRead: ((inout BPFCodeGenerator) throws(CodegenError) -> Void)? = nil,
                              _ body: (inout BPFCodeGenerator) throws(CodegenError) -> Void) throws(CodegenError) {
        precondition(into != .r4 && into != .r5)
        if let value = known[register.index] {
            switch value {
            case .address(let region, let offset):
                let total = offset &+ extra
                if let size = regionSize(region), total >= 0, total + Int64(span) <= Int64(size), !(write && (region == KernelRegion.constant || region == KernelRegion.zero)) {
                    regionBase(region, into: into)
                    if total != 0 { asm.alu64(.add, into, immediate: Int32(total)) }
                    try body(&self)
                } else {
                    asm.load(.r4, constant: (region << 48) &+ total)
                    fault(.badAddress, address: .r4)
                }
                return
            case .addressOrNull(let region, let offset):
                // NULL faults at the address it names; anything else is the known address.
                let total = offset &+ extra
                if let size = regionSize(region), total >= 0, total + Int64(span) <= Int64(size), !(write && (region == KernelRegion.constant || region == KernelRegion.zero)) {
                    load(into, register)
                    asm.load(.r4, constant: extra)
                    faultIf(.jeq, into, immediate: 0, .badAddress, address: .r4)
                    regionBase(region, into: into)
                    if total != 0 { asm.alu64(.add, into, immediate: Int32(total)) }
                    try body(&self)
                    return
                }
            case .site(let number, let offset):
                let total = offset &+ extra
                let size = regionSize(KernelRegion.firstSite + Int64(number)) ?? 0
                regionBase(KernelRegion.firstSite + Int64(number), into: into)
                asm.load(.r4, constant: 0)
                faultIf(.jeq, into, immediate: 0, .badAddress, address: .r4)
                if total >= 0, total + Int64(span) <= Int64(size) {
                    if total != 0 { asm.alu64(.add, into, immediate: Int32(total)) }
                    try body(&self)
                } else {
                    asm.load(.r4, constant: ((KernelRegion.firstSite + Int64(number)) << 48) &+ total)
                    fault(.badAddress, address: .r4)
                }
                return
            case .constant: break
            }
        }
        // Dynamic: dispatch on the tag.
        load(.r4, register)
        if extra != 0 { asm.alu64(.add, .r4, immediate: Int32(extra)) }
        asm.store(.r4, to: .r7, offset: Int16(layout.faultAreaOffset + 24), size: .double)
        asm.move(.r5, .r4)
        asm.alu64(.rsh, .r5, immediate: 48)
        asm.alu64(.lsh, .r4, immediate: 16)
        asm.alu64(.rsh, .r4, immediate: 16)
        let done = asm.newLabel()
        for region in reachableRegions {
            if write && (region == KernelRegion.constant || region == KernelRegion.zero) { continue }
            guard let size = regionSize(region), size >= span else { continue }
            let next = asm.newLabel()
            asm.jump(.jne, .r5, immediate: Int32(region), next)
            faultIf(.jgt, .r4, immediate: Int32(size - span), .badAddress, from: .alreadyStored)
            regionBase(region, into: into)
            if region >= KernelRegion.firstSite {
                faultIf(.jeq, into, immediate: 0, .badAddress, from: .alreadyStored)
            }
            asm.alu64(.add, into, .r4)
            try body(&self)
            asm.jump(done)
            asm.bind(next)
        }
        if kernelFallback || kernelRead != nil {
            load(into, register)
            if extra != 0 { asm.alu64(.add, into, immediate: Int32(extra)) }
            if let kernelRead { try kernelRead(&self) } else { try body(&self) }
        } else {
            fault(.badAddress, from: .alreadyStored)
        }
        asm.bind(done)
    }
}

extension BPFJumpOperation {
    public var negated: BPFJumpOperation {
        switch self {
        case .jeq: return .jne
        case .jne: return .jeq
        case .jgt: return .jle
        case .jle: return .jgt
        case .jge: return .jlt
        case .jlt: return .jge
        case .jsgt: return .jsle
        case .jsle: return .jsgt
        case .jsge: return .jslt
        case .jslt: return .jsge
        default: return self
        }
    }
}
