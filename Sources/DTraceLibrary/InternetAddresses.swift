// DTraceLibrary/InternetAddresses: inet_ntoa(&ipaddr), inet_ntoa6(&in6addr[, strict]) and
// inet_ntop(family, &address) — dotted quads, and IPv6 text with DTrace's rules for the
// longest zero run and embedded IPv4 addresses. In BPF, inet_ntop needs its family as a
// constant (AF_INET or AF_INET6).

import DTraceBPF
import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTraceText

struct InternetAddresses: LibrarySubroutine {
    var names: [String] { ["inet_ntoa", "inet_ntoa6", "inet_ntop"] }
    var implementation: SubroutineImplementation { .routine(interpreter: self, kernel: .bpf(self)) }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        if call.name == "inet_ntop" {
            try call.expect(2...2)
            let family = try call.integer(0)
            let address = try call.pointer(1, prototype: "void *", bytes: call.constantValue(0) == 2 ? 4 : 16)
            var result = call.stringSubroutine(SubroutineCall(call.name), [family, address])
            result.stringBound = Self.longestText
            return result
        }
        // Addresses in kernel structures (a packet's header, a socket) are copied first.
        if call.name == "inet_ntoa" {
            try call.expect(1...1)
            var result = call.stringSubroutine(SubroutineCall(call.name), [try call.pointer(0, prototype: "ipaddr_t *", bytes: 4)])
            result.stringBound = 16   // "255.255.255.255"
            return result
        }
        // inet_ntoa6(address[, strict]): strict (a constant, not 0) keeps an embedded
        // IPv4 address's "::" or "::ffff:" prefix.
        try call.expect(1...2)
        let address = try call.pointer(0, prototype: "struct in6_addr *", bytes: 16, pointee: "in6_addr")
        let strict = call.count == 2 ? try call.integerConstant(1) != 0 : false
        var result = call.stringSubroutine(SubroutineCall(call.name, form: strict ? 1 : 0), [address])
        result.stringBound = Self.longestText
        return result
    }

    /// The longest text an address makes, with its NUL: INET6_ADDRSTRLEN.
    static let longestText = 46
}

extension InternetAddresses: InterpretedSubroutine, KernelSubroutine {
    func interpret(_ call: SubroutineCall, _ context: SubroutineContext) throws(Fault) -> Int64 {
        let a = context.arguments, machine = context.machine
        switch call.name {
        case "inet_ntoa":
            return try context.result(Array(InternetText.ipv4(try machine.readBytes(at: a[1], count: 4)).utf8))
        case "inet_ntoa6":
            return try context.result(Array(InternetText.ipv6(try machine.readBytes(at: a[1], count: 16), embeddedIPv4Alone: call.form == 0).utf8))
        default:
            switch a[1] {
            case 2: return try context.result(Array(InternetText.ipv4(try machine.readBytes(at: a[2], count: 4)).utf8))
            case 10: return try context.result(Array(InternetText.ipv6(try machine.readBytes(at: a[2], count: 16)).utf8))
            default: throw Fault(kind: .illegalOperation)
            }
        }
    }

    func emit(_ call: SubroutineCall, arguments a: [Register], result: Register?, generator: inout BPFCodeGenerator) throws(CodegenError) {
        switch call.name {
        case "inet_ntoa": try generator.internetAddress4(arguments: a, result: result)
        case "inet_ntoa6": try generator.internetAddress6(embeddedIPv4Alone: call.form == 0, address: a[1], destination: a[0], result: result)
        default:
            // inet_ntop(family, &address) with the family a constant (AF_INET or AF_INET6).
            switch generator.constantValue(of: a[1]) {
            case 2?: try generator.internetAddress4(arguments: [a[0], a[2]], result: result)
            case 10?: try generator.internetAddress6(embeddedIPv4Alone: false, address: a[2], destination: a[0], result: result)
            default: throw .unsupported("inet_ntop() with a family other than the constants AF_INET and AF_INET6")
            }
        }
    }
}

// MARK: BPF

extension BPFCodeGenerator {
    /// A[r3++] = '0' + r1 (a digit).
    mutating func appendDigit(_ digit: BPFRegister) {
        asm.alu64(.add, digit, immediate: 0x30)
        byteAddress(.r3)
        asm.store(digit, to: .r2, offset: temporaryA, size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
    }

    /// inet_ntoa(&address): the four bytes at the address as "a.b.c.d".
    mutating func internetAddress4(arguments a: [Register], result: Register?) throws(CodegenError) {
        if layout.stringSize < 16 { throw .unsupported("inet_ntoa() with strsize below 16") }
        try withPointer(a[1], span: 4, write: false, into: .r1) { generator in
            generator.asm.load(.r2, from: .r1, offset: 0, size: .word)
            generator.asm.store(.r2, to: .r7, offset: generator.routineSlot(0), size: .double)
        }
        asm.load(.r3, constant: 0)
        appendDottedQuad(from: routineSlot(0))
        terminateA(at: .r3)
        try emitTemporaryA(to: a[0], result: result)
    }

    /// Appends the four bytes of the u64 at r7 + offset as "a.b.c.d" to A at r3 (which
    /// must leave 16 bytes of room); unrolled: at most 15 characters, no loop, and no
    /// division (a JIT's divide costs tens of cycles): `smallQuotient` instead.
    mutating func appendDottedQuad(from offset: Int16) {
        for octet in 0..<4 {
            asm.load(.r4, from: .r7, offset: offset, size: .double)
            if octet > 0 { asm.alu64(.rsh, .r4, immediate: Int32(8 * octet)) }
            asm.alu64(.and, .r4, immediate: 0xff)
            let belowHundred = asm.newLabel(), belowTen = asm.newLabel(), ones = asm.newLabel()
            asm.jump(.jlt, .r4, immediate: 100, belowHundred)
            smallQuotient(of: .r4, by: 100, into: .r1)
            appendDigit(.r1)
            smallRemainder(of: .r4, by: 100)
            smallQuotient(of: .r4, by: 10, into: .r1)
            appendDigit(.r1)
            asm.jump(ones)
            asm.bind(belowHundred)
            asm.jump(.jlt, .r4, immediate: 10, belowTen)
            smallQuotient(of: .r4, by: 10, into: .r1)
            appendDigit(.r1)
            asm.bind(belowTen)
            asm.bind(ones)
            smallRemainder(of: .r4, by: 10)
            asm.move(.r1, .r4)
            appendDigit(.r1)
            if octet < 3 { appendCharacter(0x2e) }
        }
    }

    /// target = value / divisor for a value below 1,000 and a divisor of 10 or 100, as a
    /// multiply and a shift: value * 205 >> 11 and value * 41 >> 12 are exact there.
    mutating func smallQuotient(of value: BPFRegister, by divisor: Int32, into target: BPFRegister) {
        precondition(divisor == 10 || divisor == 100)
        asm.move(target, value)
        asm.alu64(.mul, target, immediate: divisor == 10 ? 205 : 41)
        asm.alu64(.rsh, target, immediate: divisor == 10 ? 11 : 12)
    }

    /// value = value % divisor (as `smallQuotient`); r5 is clobbered.
    mutating func smallRemainder(of value: BPFRegister, by divisor: Int32) {
        smallQuotient(of: value, by: divisor, into: .r5)
        asm.alu64(.mul, .r5, immediate: divisor)
        asm.alu64(.sub, value, .r5)
    }

    /// A[r3++] = character.
    mutating func appendCharacter(_ character: Int32) {
        byteAddress(.r3)
        asm.store(immediate: character, to: .r2, offset: temporaryA, size: .byte)
        asm.alu64(.add, .r3, immediate: 1)
    }

    /// Routine slots of the IPv6 text: the zero run being tried, the run kept (first
    /// byte, length in bytes), the output position, the last group's byte, the IPv4 tail.
    static let v6Trying = 0, v6First = 1, v6Length = 2, v6Position = 3, v6End = 4, v6Tail = 5

    /// InternetText.ipv6 in BPF: the 16 bytes are copied into B, the zero run found by
    /// 16 unrolled steps, then the groups written left to right (the run as "::"), the
    /// embedded IPv4 form dotted. Every step keeps its values in the routine slots, so
    /// the verifier sees the paths join after each step instead of multiplying.
    mutating func internetAddress6(embeddedIPv4Alone: Bool, address: Register, destination: Register, result: Register?) throws(CodegenError) {
        if layout.stringSize < 46 { throw .unsupported("inet_ntop(AF_INET6, ...) with strsize below 46") }
        try withPointer(address, span: 16, write: false, into: .r1) { generator in
            for half in 0..<2 {
                generator.asm.load(.r2, from: .r1, offset: Int16(8 * half), size: .double)
                generator.asm.store(.r2, to: .r7, offset: generator.temporaryB + Int16(8 * half), size: .double)
            }
        }
        asm.load(.r1, constant: -1)
        asm.store(.r1, to: .r7, offset: routineSlot(Self.v6Trying), size: .double)
        asm.store(.r1, to: .r7, offset: routineSlot(Self.v6First), size: .double)
        asm.store(immediate: 1, to: .r7, offset: routineSlot(Self.v6Length), size: .double)
        asm.store(immediate: 0, to: .r7, offset: routineSlot(Self.v6Position), size: .double)
        asm.store(immediate: 14, to: .r7, offset: routineSlot(Self.v6End), size: .double)
        for index in 0..<16 { zeroRunStep(index) }
        // An embedded IPv4 address: mapped (::ffff:a.b.c.d) or compatible (::a.b.c.d).
        let plain = asm.newLabel(), embedded = asm.newLabel(), compatible = asm.newLabel(), finish = asm.newLabel()
        asm.load(.r1, from: .r7, offset: temporaryB, size: .double)
        asm.jump(.jne, .r1, immediate: 0, plain)
        asm.load(.r2, from: .r7, offset: temporaryB + 8, size: .word)
        asm.load(.r3, from: .r7, offset: temporaryB + 12, size: .word)
        asm.store(.r3, to: .r7, offset: routineSlot(Self.v6Tail), size: .double)
        asm.jump(.jeq, .r2, immediate: 0, compatible)
        asm.load(.r4, constant: 0xffff_0000)
        asm.jump(.jeq, .r2, .r4, embedded)
        asm.jump(plain)
        asm.bind(compatible)
        asm.jump(.jeq, .r3, immediate: 0, plain)
        asm.jump(.jeq, .r3, immediate: 0x0100_0000, plain)
        asm.bind(embedded)
        if embeddedIPv4Alone {
            asm.load(.r3, constant: 0)
            appendDottedQuad(from: routineSlot(Self.v6Tail))
            asm.store(.r3, to: .r7, offset: routineSlot(Self.v6Position), size: .double)
            asm.jump(finish)
        } else {
            asm.store(immediate: 10, to: .r7, offset: routineSlot(Self.v6End), size: .double)
        }
        asm.bind(plain)
        for group in 0..<8 { groupText(group) }
        let noTail = asm.newLabel()
        asm.load(.r1, from: .r7, offset: routineSlot(Self.v6End), size: .double)
        asm.jump(.jne, .r1, immediate: 10, noTail)
        asm.load(.r3, from: .r7, offset: routineSlot(Self.v6Position), size: .double)
        clampTo(.r3, stringLimit - 16)
        appendDottedQuad(from: routineSlot(Self.v6Tail))
        asm.store(.r3, to: .r7, offset: routineSlot(Self.v6Position), size: .double)
        asm.bind(noTail)
        asm.bind(finish)
        asm.load(.r3, from: .r7, offset: routineSlot(Self.v6Position), size: .double)
        clampToStringSize(.r3)
        terminateA(at: .r3)
        try emitTemporaryA(to: destination, result: result)
    }

    /// One byte of InternetText.zeroRun.
    mutating func zeroRunStep(_ index: Int) {
        let next = asm.newLabel(), notStart = asm.newLabel()
        let byte = temporaryB + Int16(index)
        asm.load(.r1, from: .r7, offset: byte, size: .byte)
        asm.load(.r2, from: .r7, offset: routineSlot(Self.v6Trying), size: .double)
        if index % 2 == 0 {
            asm.jump(.jne, .r1, immediate: 0, notStart)
            asm.jump(.jne, .r2, immediate: -1, notStart)
            asm.store(immediate: Int32(index), to: .r7, offset: routineSlot(Self.v6Trying), size: .double)
            asm.jump(next)
        }
        asm.bind(notStart)
        asm.jump(.jeq, .r2, immediate: -1, next)
        if index != 15 { asm.jump(.jeq, .r1, immediate: 0, next) }
        asm.load(.r3, from: .r7, offset: routineSlot(Self.v6Length), size: .double)
        asm.load(.r4, constant: Int64(index))
        asm.alu64(.sub, .r4, .r2)
        let longer = asm.newLabel()
        asm.jump(.jsgt, .r4, .r3, longer)
        asm.store(immediate: -1, to: .r7, offset: routineSlot(Self.v6Trying), size: .double)
        asm.jump(next)
        asm.bind(longer)
        asm.store(.r2, to: .r7, offset: routineSlot(Self.v6First), size: .double)
        asm.load(.r4, constant: Int64(index - index % 2))
        asm.alu64(.sub, .r4, .r2)
        if index == 15 {
            asm.skip(1, if: .jne, .r1, immediate: 0)
            asm.alu64(.add, .r4, immediate: 2)
        }
        asm.store(.r4, to: .r7, offset: routineSlot(Self.v6Length), size: .double)
        asm.store(immediate: -1, to: .r7, offset: routineSlot(Self.v6Trying), size: .double)
        asm.bind(next)
    }

    /// Group `group` (bytes 2g, 2g+1) when it is at or before the last group: inside the
    /// kept run only its first group writes "::"; otherwise its hex digits, then ":"
    /// unless it is the eighth group or the run follows it.
    mutating func groupText(_ group: Int) {
        let next = asm.newLabel(), digits = asm.newLabel(), save = asm.newLabel()
        let byte = Int32(2 * group)
        asm.load(.r5, from: .r7, offset: routineSlot(Self.v6End), size: .double)
        asm.jump(.jsgt, .r5, immediate: byte - 1, digits)
        asm.jump(next)
        asm.bind(digits)
        asm.load(.r3, from: .r7, offset: routineSlot(Self.v6Position), size: .double)
        clampTo(.r3, stringLimit - 8)
        asm.load(.r1, from: .r7, offset: routineSlot(Self.v6First), size: .double)
        asm.load(.r2, from: .r7, offset: routineSlot(Self.v6Length), size: .double)
        asm.move(.r4, .r1)
        asm.alu64(.add, .r4, .r2)
        asm.alu64(.sub, .r4, immediate: 2)           // the run's last group's byte
        let hex = asm.newLabel()
        asm.jump(.jslt, .r1, immediate: 0, hex)
        asm.jump(.jsgt, .r4, .r5, hex)
        asm.jump(.jsgt, .r1, immediate: byte, hex)
        asm.jump(.jslt, .r4, immediate: byte, hex)
        asm.jump(.jne, .r1, immediate: byte, save)
        appendCharacter(0x3a)
        appendCharacter(0x3a)
        asm.jump(save)
        asm.bind(hex)
        asm.load(.r4, from: .r7, offset: temporaryB + Int16(byte), size: .byte)
        asm.alu64(.lsh, .r4, immediate: 8)
        asm.load(.r2, from: .r7, offset: temporaryB + Int16(byte + 1), size: .byte)
        asm.alu64(.or, .r4, .r2)
        let entries = (0..<4).map { _ in asm.newLabel() }
        asm.jump(.jge, .r4, immediate: 0x1000, entries[3])
        asm.jump(.jge, .r4, immediate: 0x100, entries[2])
        asm.jump(.jge, .r4, immediate: 0x10, entries[1])
        asm.jump(entries[0])
        for digit in stride(from: 3, through: 0, by: -1) {
            asm.bind(entries[digit])
            asm.move(.r0, .r4)
            if digit > 0 { asm.alu64(.rsh, .r0, immediate: Int32(4 * digit)) }
            asm.alu64(.and, .r0, immediate: 15)
            // '0' + d, plus 39 more from 10 on ('a' - '0' - 10), without a branch.
            asm.move(.r2, .r0)
            asm.alu64(.add, .r2, immediate: 6)
            asm.alu64(.rsh, .r2, immediate: 4)
            asm.alu64(.mul, .r2, immediate: 39)
            asm.alu64(.add, .r0, immediate: 0x30)
            asm.alu64(.add, .r0, .r2)
            byteAddress(.r3)
            asm.store(.r0, to: .r2, offset: temporaryA, size: .byte)
            asm.alu64(.add, .r3, immediate: 1)
        }
        if group < 7 {
            asm.jump(.jeq, .r1, immediate: byte + 2, save)
            appendCharacter(0x3a)
        }
        asm.bind(save)
        asm.store(.r3, to: .r7, offset: routineSlot(Self.v6Position), size: .double)
        asm.bind(next)
    }
}
