// DTraceCodegenTests/CodegenTests: the kernel memory layout (areas disjoint, inside the
// 16-bit offsets BPF instructions carry), aggregation value sizes, and code generation of
// compiled clauses checked without a kernel: the prologue keeps the context, every jump
// lands inside the program, callbacks are addressed as subprograms, array maps' values
// are load-time addresses, execname against a literal is compared as words, and what BPF cannot do is an error naming it.

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTraceLibrary
import Testing

/// A prologue whose arguments are the context's first `count` u64 values.
struct ContextArguments: ProbePrologue {
    let count: Int
    var argumentCount: Int { count }
    func emitContext(_ code: inout PrologueCode, demand: ContextDemand) {
        for index in 0..<count where demand.needsArgument(index) {
            code.asm.load(.r0, from: .r6, offset: Int16(8 * index), size: .double)
            code.storeArgument(index, from: .r0)
        }
    }
}

func generate(_ source: String, site: ProbeSite? = nil) throws -> [BPFInstruction] {
    var compiled = try Compiler.compile(source: source, options: .standard)
    compiled.program.speculationLimit = 2
    let layout = KernelLayout(program: compiled.program, areas: KernelLayout.areas(for: compiled.program, subroutines: Library.standard.kernel))
    let maps = KernelMaps(scratch: 3, globals: 4, constants: 5, records: 6, associativeArrays: compiled.program.maps.map { _ in 7 },
                          aggregations: compiled.program.aggregations.map { _ in 8 }, stacks: 9)
    let probe = site ?? ProbeSite(identity: ProbeIdentity(id: 1, provider: "dtrace", module: "", function: "", name: "BEGIN"), epid: 1,
                                  prologue: ContextArguments(count: 6))
    return try BPFCodeGenerator.generate(clause: compiled.program.clauses[0], program: compiled.program, layout: layout, maps: maps, site: probe,
                                         subroutines: Library.standard.kernel)
}

@Suite struct CodegenTests {
    @Test func layoutAreasAreDisjoint() throws {
        let compiled = try Compiler.compile(source: "BEGIN { x = 1; s = \"abc\"; @a[execname] = count(); t = strtok(\"a b\", \" \"); p = cleanpath(\"/a\"); }", options: .standard)
        let areas = KernelLayout.areas(for: compiled.program, subroutines: Library.standard.kernel)
        #expect(Set(areas.map(\.name)) == ["strtok.string", "strtok.position", "strtok.delimiters", "cleanpath.stack"])
        let layout = KernelLayout(program: compiled.program, areas: areas)
        var scratchAreas = [(layout.allocaOffset, KernelLayout.allocaSize), (layout.stringTemporaryA, layout.stringSize + 1),
                            (layout.stringTemporaryB, layout.stringSize + 1), (layout.allocaUsedOffset, 8), (layout.faultAreaOffset, 48),
                            (layout.recordDropsOffset, 8), (layout.dynamicDropsOffset, 8), (layout.aggregationDropsOffset, 8),
                            (layout.routineStateOffset, 48), (layout.pendingSpeculationOffset, 8), (layout.processNoteOffset, 8),
                            (layout.probeContextOffset, 8 * ProbeContextSlots.count),
                            (layout.deferTicketOffset, 8), (layout.deferCountOffset, 8), (layout.deferCounterOffset, 8), (layout.deferKeyOffset, 8),
                            (layout.deferZeroOffset, DeferredStrings.valueSize)]
        scratchAreas += areas.map { (layout.offset(of: $0.name), $0.size) }
        scratchAreas.sort { $0.0 < $1.0 }
        for (first, second) in zip(scratchAreas, scratchAreas.dropFirst()) { #expect(first.0 + first.1 <= second.0, "\(first) overlaps \(second)") }
        #expect(scratchAreas.last!.0 + scratchAreas.last!.1 <= layout.scratchSize)
        #expect(layout.scratchSize < Int(Int16.max))
        #expect(layout.exitFlagOffset + 8 <= layout.speculationSlotsOffset)
        #expect(layout.speculationSlotsOffset + 8 * layout.speculationLimit == layout.dynamicVariableCountOffset)
        #expect(layout.dynamicVariableCountOffset + 8 == layout.pendingStringThreadsOffset)
        #expect(layout.pendingStringThreadsOffset + 8 == layout.globalSize)
        // A layout made without the areas is refused by the generator, not written past.
        let maps = KernelMaps(scratch: 3, globals: 4, constants: 5, records: 6, associativeArrays: [], aggregations: [8])
        let site = ProbeSite(identity: ProbeIdentity(id: 1, provider: "dtrace", module: "", function: "", name: "BEGIN"), epid: 1, prologue: ContextArguments(count: 6))
        #expect(throws: CodegenError.self) {
            try BPFCodeGenerator.generate(clause: compiled.program.clauses[0], program: compiled.program, layout: KernelLayout(program: compiled.program),
                                          maps: maps, site: site, subroutines: Library.standard.kernel)
        }
    }

    @Test func aggregationValueSizes() throws {
        // An entry is the function's words: the layout its library file defines.
        func valueSize(_ call: String) throws -> Int {
            KernelLayout.aggregationValueSize(try Compiler.compile(source: "BEGIN { @ = \(call); }", options: .standard).program.aggregations[0].function)
        }
        #expect(try valueSize("count()") == 8)
        #expect(try valueSize("avg(1)") == 16)
        #expect(try valueSize("stddev(1)") == 32)
        #expect(try valueSize("quantize(1)") == 127 * 8)
        #expect(try valueSize("lquantize(1, 0, 10, 1)") == 12 * 8)
        // 10^0..10^2 in 10 steps a magnitude, 9 buckets each (1..9, 10..90, 100..900), for
        // either sign, then the middle bucket and one at each end.
        #expect(try valueSize("llquantize(1, 10, 0, 2, 10)") == (2 * 27 + 3) * 8)
        // Fewer steps than the factor: 2 buckets a magnitude (1, 2..3; 4, 8..12).
        #expect(try valueSize("llquantize(1, 4, 0, 1, 2)") == (2 * 4 + 3) * 8)
    }

    @Test(arguments: [
        "BEGIN { @ = count(); }",
        "BEGIN { printf(\"%d %s\\n\", pid, execname); }",
        "BEGIN { s = strjoin(\"a\", \"b\"); trace(index(s, \"b\")); }",
        "BEGIN { x = 10 / (pid - pid); }",
        "BEGIN { self->spec = speculation(); speculate(self->spec); trace(1); }",
        "BEGIN { stack(); @q = quantize(pid); @l = llquantize(pid, 10, 0, 3, 10); }",
    ])
    func generatedProgramsAreWellFormed(_ source: String) throws {
        let instructions = try generate(source)
        #expect(instructions.first == BPFInstruction(opcode: 0xbf, destination: 6, source: 1))   // r6 = r1
        #expect(instructions.contains { $0.opcode == 0x95 })                                      // exit
        var index = 0
        while index < instructions.count {
            let instruction = instructions[index]
            let isJump = instruction.opcode & 0x07 == 0x05 && instruction.opcode != 0x85 && instruction.opcode != 0x95
            if isJump {
                let target = index + 1 + Int(instruction.offset)
                #expect(target >= 0 && target < instructions.count, "jump at \(index) to \(target)")
            }
            if instruction.opcode == 0x18, instruction.source == BPFInstruction.pseudoFunction {
                let target = index + 1 + Int(instruction.immediate)
                #expect(target > index && target < instructions.count)
            }
            index += instruction.opcode == 0x18 ? 2 : 1
        }
    }

    @Test func whatBPFCannotDoIsNamed() throws {
        #expect(throws: CodegenError.unsupported("inet_ntop() with a family other than the constants AF_INET and AF_INET6")) {
            try generate("BEGIN { this->f = 10; trace(inet_ntop(this->f, (void *)alloca(16))); }")
        }
        #expect(throws: Never.self) { try generate("BEGIN { trace(cleanpath(\"/a/../b\")); trace(inet_ntoa6((void *)alloca(16))); }") }
    }

    @Test func manyArrayElementsShareStackSlots() throws {
        // 150 lookups of three arrays: each pointer is needed only briefly, so the
        // sites of one array share a slot and the clause stays within the BPF stack.
        let body = (0..<50).map { "a[\($0)] = \($0); b[\($0)] = \"s\"; c[\($0), 1] = a[\($0)];" }.joined(separator: " ")
        let instructions = try generate("BEGIN { \(body) }")
        #expect(instructions.count > 1000)
    }

    @Test func contextSlotsAreFilledOnlyWhenRead() throws {
        // arg1 read: the prologue copies context word 1 into its slot, and nothing else.
        let layout = KernelLayout(program: try Compiler.compile(source: "BEGIN { trace(arg1); }", options: .standard).program)
        let text = BPFDisassembler.text(try generate("BEGIN { trace(arg1); }"))
        #expect(text.filter { $0.hasSuffix("r0 = *(u64 *)(r6 +8)") }.count == 1)
        #expect(text.contains { $0.hasSuffix("*(u64 *)(r7 +\(layout.probeContextOffset + 8)) = r0") })
        #expect(!text.contains { $0.hasSuffix("r0 = *(u64 *)(r6 +0)") })
        let none = BPFDisassembler.text(try generate("BEGIN { trace(1); }"))
        #expect(!none.contains { $0.contains("(r6 +") })
        // args[i] with a computed index: every argument, and a bounded read.
        let dynamic = BPFDisassembler.text(try generate("BEGIN { i = 2; trace(args[i]); }"))
        #expect((0..<6).allSatisfy { index in dynamic.contains { $0.hasSuffix("r0 = *(u64 *)(r6 +\(8 * index))") } })
    }

    @Test func execnameAgainstALiteralIsTwoWordCompares() throws {
        let site = ProbeSite(identity: ProbeIdentity(id: 1, provider: "syscall", module: "", function: "getpid", name: "entry"), epid: 1,
                             prologue: ContextArguments(count: 6))
        let text = BPFDisassembler.text(try generate("syscall::getpid:entry /execname == \"sshd\"/ { @ = count(); }", site: site))
        #expect(text.filter { $0.hasSuffix("r1 = be64 r1") }.count == 2)
        #expect(text.contains { $0.hasSuffix("r2 = 0x7373686400000000 ll") })
        // A literal of 16 bytes or more, or a string that is not execname, takes the general path.
        let long = BPFDisassembler.text(try generate("syscall::getpid:entry /execname == \"sixteen-bytes-xx\"/ { @ = count(); }", site: site))
        #expect(!long.contains { $0.contains("be64") })
    }

    @Test func arrayMapsAreAddressedWithoutLookups() throws {
        // Only the per-CPU scratch is looked up; globals (fd 4) and constants (fd 5) are
        // load-time addresses of their single values.
        let text = BPFDisassembler.text(try generate("BEGIN { x = 1; }"))
        #expect(text.contains { $0.hasSuffix("r8 = map[fd 4] value + 0 ll") })
        #expect(text.contains { $0.hasSuffix("r9 = map[fd 5] value + 0 ll") })
        #expect(text.filter { $0.hasSuffix("call map_lookup_elem") }.count == 1)
    }
}
