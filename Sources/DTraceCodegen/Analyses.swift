// DTraceCodegen/Analyses: what the generator learns about a clause before emitting it —
// stack slots for IR registers (shared by registers whose live ranges do not overlap)
// and for map lookups (held while a value derived from the lookup is read, shared by
// the sites of one map whose ranges do not overlap), and the registers whose single
// definition makes their value (a constant, an address in a known region) known.

import DTraceBPF
import DTraceIR

extension BPFCodeGenerator {
    mutating func allocateSlots() throws(CodegenError) {
        var sites = 0
        var lookups: [(instruction: Int, site: Int, map: Int, result: Register?)] = []
        for (index, instruction) in function.instructions.enumerated() {
            if case .call(let helper, let result, _) = instruction {
                switch helper {
                case .mapLookup(let map), .mapLookupOrCreate(let map):
                    siteOfInstruction[index] = sites
                    siteMaps[sites] = map
                    lookups.append((index, sites, map, result))
                    sites += 1
                default: break
                }
            }
        }
        // A site's pointer is needed from its lookup to the last instruction reading a
        // value derived from it (forever when such a value is stored to memory). Sites
        // of one map whose ranges do not overlap share a stack slot: the slot then only
        // ever holds NULL or a pointer into that map, as the verifier requires.
        var nextSlot: Int16 = -16
        var poolOfMap: [Int: [(slot: Int16, busyUntil: Int)]] = [:]
        for lookup in lookups {
            let end = liveEnd(ofValueFrom: lookup.result, definedAt: lookup.instruction)
            siteLiveRange[lookup.site] = lookup.instruction...end
            var pool = poolOfMap[lookup.map, default: []]
            let slot: Int16
            if let free = pool.firstIndex(where: { $0.busyUntil < lookup.instruction }) {
                slot = pool[free].slot
                pool[free].busyUntil = end
            } else {
                slot = nextSlot
                nextSlot -= 8
                pool.append((slot, end))
            }
            poolOfMap[lookup.map] = pool
            slotOfSite[lookup.instruction] = slot
            if slot < -512 { throw .tooLarge("clause needs more than 512 bytes of BPF stack") }
        }
        // Live ranges: with forward-only control flow a value is live only between the
        // first and the last instruction naming its register.
        var first: [Int: Int] = [:], last: [Int: Int] = [:]
        for (index, instruction) in function.instructions.enumerated() {
            for register in instruction.registers {
                if first[register.index] == nil { first[register.index] = index }
                last[register.index] = index
            }
        }
        var free: [Int16] = []
        var active: [(end: Int, slot: Int16)] = []
        for register in first.keys.sorted(by: { first[$0]! < first[$1]! }) {
            let start = first[register]!
            active.removeAll { entry in
                if entry.end < start { free.append(entry.slot); return true }
                return false
            }
            let slot: Int16
            if let reused = free.popLast() { slot = reused } else { slot = nextSlot; nextSlot -= 8 }
            if slot < -512 { throw .tooLarge("clause needs more than 512 bytes of BPF stack") }
            slotOfRegister[register] = slot
            active.append((last[register]!, slot))
        }
    }

    /// The last instruction reading `result` or anything computed from it (forward
    /// flow: instruction order is execution order); the end when it is stored.
    func liveEnd(ofValueFrom result: Register?, definedAt start: Int) -> Int {
        guard let result else { return start }
        var derived: Set<Int> = [result.index]
        var end = start
        let instructions = function.instructions
        for index in (start + 1)..<instructions.count {
            let instruction = instructions[index]
            let written = instruction.writtenRegister
            let reads = instruction.registers.filter { $0.index != written?.index || isReadModifyWrite(instruction) }
            guard reads.contains(where: { derived.contains($0.index) }) else { continue }
            end = index
            if case .store(_, _, let value, _, _) = instruction, derived.contains(value.index) { return instructions.count }
            // A load yields the bytes stored there, not an address derived from it.
            if let written, !instruction.isLoad { derived.insert(written.index) }
        }
        return end
    }

    /// Instructions whose written register is also one they read.
    func isReadModifyWrite(_ instruction: Instruction) -> Bool {
        guard let written = instruction.writtenRegister else { return false }
        return instruction.registers.filter { $0.index == written.index }.count > 1
    }

    mutating func analyseKnownValues() {
        var definitions: [Int: Int] = [:]
        for instruction in function.instructions {
            if let written = instruction.writtenRegister { definitions[written.index, default: 0] += 1 }
        }
        // A register defined twice, once as a known address (moved from a register that
        // holds one) and once as 0, holds that address or NULL: a string variable that
        // may hold a NULL string.
        var nullDefined: Set<Int> = [], addressDefined: [Int: KnownValue] = [:]
        for (index, instruction) in function.instructions.enumerated() {
            guard let written = instruction.writtenRegister else { continue }
            if definitions[written.index] == 2 {
                switch instruction {
                case .constant(_, 0): nullDefined.insert(written.index)
                case .move(_, let source):
                    if case .address(let region, let offset)? = known[source.index] {
                        addressDefined[written.index] = .addressOrNull(region: region, offset: offset)
                    }
                default: break
                }
                if nullDefined.contains(written.index), let value = addressDefined[written.index] { known[written.index] = value }
                continue
            }
            guard definitions[written.index] == 1 else { continue }
            switch instruction {
            case .constant(_, let value): known[written.index] = .constant(value)
            case .address(_, let space, let offset): known[written.index] = .address(region: Self.region(of: space), offset: Int64(offset))
            case .move(_, let source): if let value = known[source.index] { known[written.index] = value }
            case .extend(_, let source, let bits, let signed):
                // A constant cast (AF_INET6, an int inline, as inet_ntop()'s family) is a constant.
                if case .constant(let value)? = known[source.index], bits > 0, bits < 64 {
                    let shift = Int64(64 - bits)
                    known[written.index] = .constant(signed ? (value << shift) >> shift : Int64(bitPattern: UInt64(bitPattern: value << shift) >> UInt64(shift)))
                }
            case .arithmetic(.add, _, let lhs, let rhs):
                if case .constant(let c)? = known[rhs.index] { known[written.index] = Self.offsetBy(known[lhs.index], c) }
                else if case .constant(let c)? = known[lhs.index] { known[written.index] = Self.offsetBy(known[rhs.index], c) }
            case .call(.mapLookup, _, _), .call(.mapLookupOrCreate, _, _):
                known[written.index] = .site(siteOfInstruction[index]!, offset: 0)
            case .call(let helper, _, let arguments) where helper.returnsDestination && !arguments.isEmpty:
                if let value = known[arguments[0].index] { known[written.index] = value }
                if helper == .readBuiltin(.execname) { commBuffers.insert(written.index) }
            default: break
            }
        }
    }

    /// The registers that hold a pointer the verifier types from the context (in a typed
    /// program whose arguments are the context's words): argN, what a full word read
    /// through such a pointer gives, such a pointer plus a constant, a copy of one; a
    /// register written on several ways is one when every way writes one or 0 (NULL).
    mutating func analyseKernelPointers() {
        guard site.prologue.argumentsAreContextWords else { return }
        let instructions = function.instructions
        var candidates = Set(instructions.compactMap { $0.writtenRegister?.index })
        while true {
            var refuted = Set<Int>()
            for instruction in instructions {
                guard let written = instruction.writtenRegister, candidates.contains(written.index) else { continue }
                let holdsPointer: Bool
                switch instruction {
                case .call(.readBuiltin(let variable), _, _):
                    let index = Int(variable.rawValue.dropFirst(3))
                    holdsPointer = variable.rawValue.hasPrefix("arg") && index.map { $0 < site.prologue.argumentCount } == true
                case .load(_, let base, _, 8, .tracee): holdsPointer = candidates.contains(base.index)
                case .move(_, let source): holdsPointer = candidates.contains(source.index)
                case .arithmetic(.add, _, let lhs, let rhs):
                    holdsPointer = candidates.contains(lhs.index) && known[rhs.index].flatMap { if case .constant = $0 { return true } else { return nil } } == true
                case .constant(_, 0): holdsPointer = true
                default: holdsPointer = false
                }
                if !holdsPointer { refuted.insert(written.index) }
            }
            if refuted.isEmpty { break }
            candidates.subtract(refuted)
        }
        // A register only ever 0 is no pointer.
        kernelPointers = candidates.filter { register in
            instructions.contains { instruction in
                guard instruction.writtenRegister?.index == register else { return false }
                if case .constant(_, 0) = instruction { return false }
                return true
            }
        }
    }

    static func offsetBy(_ value: KnownValue?, _ amount: Int64) -> KnownValue? {
        switch value {
        case .address(let region, let offset)?: return .address(region: region, offset: offset &+ amount)
        case .constant(let base)?: return .constant(base &+ amount)
        default: return nil
        }
    }

    static func region(of space: MemorySpace) -> Int64 {
        switch space {
        case .scratch: return KernelRegion.scratch
        case .global: return KernelRegion.global
        case .constant: return KernelRegion.constant
        case .mapValue, .tracee: return KernelRegion.zero
        }
    }
}
