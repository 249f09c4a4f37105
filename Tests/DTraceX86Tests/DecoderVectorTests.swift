// DTraceX86Tests/DecoderVectorTests: hand-written encodings for each class of instruction
// — push/pop, ModRM with SIB and disp8/disp32, RIP-relative operands and their targets,
// imm64 and 66-prefixed imm16, moffs, jcc/jmp/call/loop/ret and their targets, endbr64,
// one- to fourteen-byte nops, VEX, EVEX and XOP, enter, the F6/F7 test group, 3DNow!,
// control registers, xbegin — checked field by field (lengths were cross-checked with
// GNU objdump), and errors: opcodes invalid in 64-bit mode, truncated input, too long.

import DTraceX86
import Testing

/// Bytes from a hex string such as "48 89 e5".
func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").compactMap { UInt8($0, radix: 16) }
}

/// The decoded instruction, or a recorded failure.
func decoded(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> X86Instruction? {
    switch X86Decoder.decode(hex(text)) {
    case .success(let instruction):
        return instruction
    case .failure(let error):
        Issue.record("\(text) did not decode: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The decode error for the bytes, or a recorded failure.
func decodeError(_ text: String, at offset: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) -> X86DecodeError? {
    switch X86Decoder.decode(hex(text), at: offset) {
    case .success(let instruction):
        Issue.record("\(text) decoded as \(instruction.length) bytes, expected an error", sourceLocation: sourceLocation)
        return nil
    case .failure(let error):
        return error
    }
}

@Suite struct DecoderVectorTests {
    @Test func pushAndPop() throws {
        let pushRBP = try #require(decoded("55"))
        #expect(pushRBP.length == 1 && pushRBP.opcode == 0x55 && pushRBP.opcodeMap == .primary)
        #expect(pushRBP.modRM == nil && pushRBP.rex == nil && pushRBP.prefixes.isEmpty)
        #expect(pushRBP.isPushFramePointer)
        let pushR12 = try #require(decoded("41 54"))
        #expect(pushR12.length == 2 && pushR12.rex == 0x41 && pushR12.rexOffset == 0 && pushR12.opcodeOffset == 1)
        #expect(!pushR12.isPushFramePointer)
        #expect(decoded("5b")?.length == 1)
        #expect(decoded("41 5f")?.length == 2)
        #expect(decoded("ff 35 ea cf 1a 00")?.length == 6)   // push 0x1acfea(%rip)
        #expect(decoded("8f c0")?.length == 2)                // pop %rax via 8F /0 (not XOP)
    }

    @Test func modRMWithSIBAndDisplacements() throws {
        let movRBP = try #require(decoded("48 89 e5"))
        #expect(movRBP.length == 3 && movRBP.rex == 0x48 && movRBP.opcode == 0x89 && movRBP.modRM == 0xE5)
        #expect(movRBP.sib == nil && movRBP.displacement == nil && movRBP.displacementSize == 0 && !movRBP.isRIPRelative)

        let sibDisp8 = try #require(decoded("8b 44 8c 08"))   // mov 0x8(%rsp,%rcx,4),%eax
        #expect(sibDisp8.length == 4 && sibDisp8.modRM == 0x44 && sibDisp8.sib == 0x8C)
        #expect(sibDisp8.displacement == 8 && sibDisp8.displacementOffset == 3 && sibDisp8.displacementSize == 1)

        let sibDisp32 = try #require(decoded("89 84 f3 78 56 34 12"))   // mov %eax,0x12345678(%rbx,%rsi,8)
        #expect(sibDisp32.length == 7 && sibDisp32.sib == 0xF3)
        #expect(sibDisp32.displacement == 0x12345678 && sibDisp32.displacementOffset == 3 && sibDisp32.displacementSize == 4)

        let absolute = try #require(decoded("8b 04 25 00 10 00 00"))   // mov 0x1000,%eax (SIB, no base)
        #expect(absolute.length == 7 && absolute.displacement == 0x1000 && !absolute.isRIPRelative)

        let negative = try #require(decoded("48 8b 45 f8"))   // mov -0x8(%rbp),%rax
        #expect(negative.displacement == -8 && negative.displacementSize == 1)

        let segment = try #require(decoded("64 48 8b 04 25 28 00 00 00"))   // mov %fs:0x28,%rax
        #expect(segment.length == 9 && segment.prefixes == [0x64] && segment.rex == 0x48 && segment.displacement == 0x28)

        let locked = try #require(decoded("f0 48 0f b1 0e"))   // lock cmpxchg %rcx,(%rsi)
        #expect(locked.length == 5 && locked.prefixes == [0xF0] && locked.opcodeMap == .twoByte && locked.opcode == 0xB1)
    }

    @Test func ripRelativeOperands() throws {
        let lea = try #require(decoded("48 8d 05 10 00 00 00"))   // lea 0x10(%rip),%rax
        #expect(lea.length == 7 && lea.isRIPRelative)
        #expect(lea.displacement == 0x10 && lea.displacementOffset == 3 && lea.displacementSize == 4)
        #expect(lea.ripRelativeTarget(at: 0x1000) == 0x1017)
        #expect(lea.branchTarget(at: 0x1000) == nil)

        let backwards = try #require(decoded("48 8d 0d f9 ff ff ff"))   // lea -0x7(%rip),%rcx: itself
        #expect(backwards.ripRelativeTarget(at: 0x4000) == 0x4000)

        let storeImmediate = try #require(decoded("c7 05 10 00 00 00 01 00 00 00"))   // movl $0x1,0x10(%rip)
        #expect(storeImmediate.length == 10 && storeImmediate.isRIPRelative)
        #expect(storeImmediate.displacementOffset == 2 && storeImmediate.immediateOffset == 6)
        #expect(storeImmediate.immediate == 1 && storeImmediate.immediateSize == 4)
        #expect(storeImmediate.ripRelativeTarget(at: 0) == 0x1A)

        let rexB = try #require(decoded("41 8b 05 00 00 00 00"))   // REX.B does not make it r13
        #expect(rexB.isRIPRelative && rexB.ripRelativeTarget(at: 0x100) == 0x107)

        let eip = try #require(decoded("67 8b 05 10 00 00 00"))   // mov 0x10(%eip),%eax
        #expect(eip.isRIPRelative && eip.ripRelativeTarget(at: 0x1_0000_0000) == 0x17)

        let indirect = try #require(decoded("ff 25 ea cf 1a 00"))   // jmp *0x1acfea(%rip)
        #expect(indirect.isRIPRelative && indirect.branch == .indirectJump)

        let notRIP = try #require(decoded("8b 45 00"))   // mov 0x0(%rbp),%eax: mod=01
        #expect(!notRIP.isRIPRelative && notRIP.ripRelativeTarget(at: 0) == nil)
    }

    @Test func immediatesBySize() throws {
        let imm64 = try #require(decoded("48 b8 88 77 66 55 44 33 22 11"))   // movabs $0x1122334455667788,%rax
        #expect(imm64.length == 10 && imm64.immediate == 0x1122334455667788 && imm64.immediateSize == 8 && imm64.immediateOffset == 2)
        #expect(decoded("b8 78 56 34 12")?.immediate == 0x12345678)
        #expect(decoded("41 bf ff ff ff ff")?.immediate == -1)

        let imm16 = try #require(decoded("66 b8 34 12"))   // mov $0x1234,%ax
        #expect(imm16.length == 4 && imm16.immediate == 0x1234 && imm16.immediateSize == 2 && imm16.prefixes == [0x66])
        #expect(decoded("66 05 34 12")?.length == 4)       // add $0x1234,%ax
        #expect(decoded("66 81 c3 34 12")?.length == 5)    // add $0x1234,%bx
        #expect(decoded("66 68 34 12")?.length == 4)       // pushw $0x1234
        #expect(decoded("66 48 05 78 56 34 12")?.immediateSize == 4)   // REX.W wins over 66
        #expect(decoded("6a ff")?.immediate == -1)         // push $-1
        #expect(decoded("48 83 ec 10")?.immediate == 0x10)

        let ret = try #require(decoded("c2 08 00"))
        #expect(ret.immediate == 8 && ret.immediateSize == 2 && ret.branch == .ret)
    }

    @Test func memoryOffsets() throws {
        let load = try #require(decoded("a1 88 77 66 55 44 33 22 11"))   // movabs 0x1122334455667788,%eax
        #expect(load.length == 9 && load.displacement == 0x1122334455667788 && load.displacementSize == 8 && load.displacementOffset == 1)
        #expect(decoded("48 a3 88 77 66 55 44 33 22 11")?.length == 10)
        let short = try #require(decoded("67 a1 44 33 22 11"))   // addr32 mov 0x11223344,%eax
        #expect(short.length == 6 && short.displacementSize == 4)
    }

    @Test func branchesAndTheirTargets() throws {
        let je = try #require(decoded("74 05"))
        #expect(je.branch == .conditional(.equal, displacement: 5) && je.branchTarget(at: 0x1000) == 0x1007)
        let jleSelf = try #require(decoded("7e fe"))
        #expect(jleSelf.branch == .conditional(.lessOrEqual, displacement: -2) && jleSelf.branchTarget(at: 0x1000) == 0x1000)

        let jne32 = try #require(decoded("0f 85 00 01 00 00"))
        #expect(jne32.length == 6 && jne32.opcodeMap == .twoByte && jne32.immediateOffset == 2)
        #expect(jne32.branch == .conditional(.notEqual, displacement: 0x100) && jne32.branchTarget(at: 0x1000) == 0x1106)
        #expect(decoded("0f 8c fa ff ff ff")?.branchTarget(at: 0x2000) == 0x2000)

        let call = try #require(decoded("e8 fb ff ff ff"))
        #expect(call.branch == .relativeCall(displacement: -5) && call.branchTarget(at: 0x5000) == 0x5000)
        #expect(decoded("e8 00 00 00 00")?.branchTarget(at: 0x5000) == 0x5005)
        // 66 does not shorten near branches in 64-bit mode (Intel; objdump reads AMD's rel16).
        #expect(decoded("66 e8 00 00 00 00")?.length == 6)

        #expect(decoded("e9 10 00 00 00")?.branch == .relativeJump(displacement: 0x10))
        #expect(decoded("eb f0")?.branchTarget(at: 0x100) == 0xF2)
        #expect(decoded("e2 fe")?.branch == .loop(.loop, displacement: -2))
        #expect(decoded("e3 05")?.branch == .loop(.jumpIfCounterZero, displacement: 5))
        #expect(decoded("67 e3 05")?.length == 3)   // jecxz

        #expect(decoded("c3")?.branch == .ret)
        #expect(decoded("cb")?.branch == .farReturn)
        #expect(decoded("ff d0")?.branch == .indirectCall)
        #expect(decoded("ff e0")?.branch == .indirectJump)
        #expect(decoded("41 ff 14 24")?.branch == .indirectCall)   // call *(%r12)
        #expect(decoded("ff c0")?.branch == nil)                    // inc %eax
        #expect(decoded("cc")?.branch == .trap)
        #expect(decoded("cd 80")?.branch == .trap)
        #expect(decoded("0f 05")?.branch == .trap)
        #expect(decoded("48 89 e5")?.branch == nil)
        #expect(decoded("48 89 e5")?.branchTarget(at: 0) == nil)

        let xbegin = try #require(decoded("c7 f8 10 00 00 00"))
        #expect(xbegin.length == 6 && xbegin.branch == .transactionBegin(displacement: 0x10) && xbegin.branchTarget(at: 0) == 0x16)
        #expect(decoded("c6 f8 01")?.length == 3)   // xabort $1
    }

    @Test func endbr64() throws {
        let endbr = try #require(decoded("f3 0f 1e fa"))
        #expect(endbr.isEndbr64 && endbr.length == 4 && endbr.prefixes == [0xF3])
        #expect(endbr.opcodeMap == .twoByte && endbr.opcode == 0x1E && endbr.modRM == 0xFA)
        #expect(decoded("f3 0f 1e fb")?.isEndbr64 == false)   // endbr32
        #expect(decoded("90")?.isEndbr64 == false)
    }

    @Test(arguments: [
        "90", "66 90", "0f 1f 00", "0f 1f 40 00", "0f 1f 44 00 00", "66 0f 1f 44 00 00",
        "0f 1f 80 00 00 00 00", "0f 1f 84 00 00 00 00 00", "2e 0f 1f 84 00 00 00 00 00",
        "66 2e 0f 1f 84 00 00 00 00 00", "66 66 2e 0f 1f 84 00 00 00 00 00",
        "66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00",
    ])
    func nopsOfEveryLength(_ text: String) throws {
        let nop = try #require(decoded(text))
        #expect(nop.length == hex(text).count)
        #expect(nop.bytes == hex(text))
        #expect(nop.branch == nil)
    }

    @Test func vexInstructions() throws {
        let vmovdqa = try #require(decoded("c5 fd 6f 04 24"))   // vmovdqa (%rsp),%ymm0
        let vex2 = try #require(vmovdqa.vectorEncoding)
        #expect(vmovdqa.length == 5 && vmovdqa.opcodeMap == .twoByte && vmovdqa.opcode == 0x6F && vmovdqa.sib == 0x24)
        #expect(vex2.kind == .vex2 && vex2.offset == 0 && vex2.size == 2 && vex2.vectorLength == 256 && vex2.impliedPrefix == 0x66)

        let vzeroupper = try #require(decoded("c5 f8 77"))
        #expect(vzeroupper.length == 3 && vzeroupper.modRM == nil)

        let vinsertf128 = try #require(decoded("c4 e3 7d 18 c1 01"))
        #expect(vinsertf128.length == 6 && vinsertf128.opcodeMap == .threeByte3A && vinsertf128.immediate == 1)
        #expect(vinsertf128.vectorEncoding?.kind == .vex3)

        let broadcast = try #require(decoded("c4 e2 79 18 05 00 00 00 00"))   // vbroadcastss 0x0(%rip),%xmm0
        #expect(broadcast.length == 9 && broadcast.opcodeMap == .threeByte38 && broadcast.isRIPRelative && broadcast.displacementOffset == 5)

        #expect(decoded("c5 f9 70 c1 1b")?.immediate == 0x1B)   // vpshufd $0x1b

        let mulx = try #require(decoded("c4 e2 63 f6 0d 10 00 00 00"))   // mulx 0x10(%rip),%ebx,%ecx
        #expect(mulx.length == 9 && mulx.vectorEncoding?.vvvv == 3 && mulx.ripRelativeTarget(at: 0) == 0x19)
    }

    @Test func evexInstructions() throws {
        let vmovups = try #require(decoded("62 f1 7c 48 10 05 00 01 00 00"))   // vmovups 0x100(%rip),%zmm0
        let evex = try #require(vmovups.vectorEncoding)
        #expect(vmovups.length == 10 && vmovups.isRIPRelative && vmovups.opcodeMap == .twoByte && vmovups.opcode == 0x10)
        #expect(evex.kind == .evex && evex.size == 4 && evex.vectorLength == 512 && !evex.w)

        let compressed = try #require(decoded("62 f1 fe 48 6f 4c 24 01"))   // vmovdqu64 0x40(%rsp),%zmm1 (disp8*64)
        #expect(compressed.length == 8 && compressed.displacement == 1 && compressed.displacementSize == 1)
        #expect(compressed.vectorEncoding?.w == true && compressed.vectorEncoding?.impliedPrefix == 0xF3)

        #expect(decoded("62 f2 7d 48 7a c0")?.opcodeMap == .threeByte38)   // vpbroadcastb %eax,%zmm0
        #expect(decoded("62 f3 7d 48 3a c1 01")?.immediate == 1)         // vinserti32x8 $1
        #expect(decoded("62 f5 7c 48 58 c1")?.opcodeMap == .evexMap5)      // vaddph
        #expect(decoded("62 f1 7d 49 6f c1")?.vectorEncoding?.opmask == 1)
    }

    @Test func xopAnd3DNow() throws {
        #expect(decoded("8f e9 78 e1 c1")?.opcodeMap == .xopMap9)           // vphsubbw
        #expect(decoded("8f e8 78 c0 c1 01")?.immediateSize == 1)           // vprotb $1
        let bextr = try #require(decoded("8f ea 78 10 c0 01 00 00 00"))     // bextr $1,%eax,%eax
        #expect(bextr.length == 9 && bextr.immediateSize == 4 && bextr.opcodeMap == .xopMapA)

        let pfmul = try #require(decoded("0f 0f c1 b4"))
        #expect(pfmul.length == 4 && pfmul.opcodeMap == .amd3DNow && pfmul.immediate.map { UInt8(truncatingIfNeeded: $0) } == 0xB4)
    }

    @Test func enterAndTheTestGroup() throws {
        let enter = try #require(decoded("c8 10 00 02"))
        #expect(enter.length == 4 && enter.immediate == 0x10 && enter.secondImmediate == 2 && enter.immediateSize == 3)

        #expect(decoded("f6 c3 01")?.length == 3)                   // test $1,%bl
        #expect(decoded("f6 d3")?.length == 2)                      // not %bl
        #expect(decoded("f7 44 24 08 00 01 00 00")?.length == 8)    // testl $0x100,0x8(%rsp)
        #expect(decoded("f7 d8")?.length == 2)                      // neg %eax
        #expect(decoded("66 f7 c1 34 12")?.length == 5)             // test $0x1234,%cx
        #expect(decoded("48 f7 c0 ff ff ff ff")?.immediate == -1)   // test $-1,%rax
        #expect(decoded("48 f7 f1")?.immediate == nil)              // div %rcx
    }

    @Test func oddEncodings() throws {
        #expect(decoded("0f 20 c0")?.length == 3)   // mov %cr0,%rax
        let controlRegister = try #require(decoded("0f 22 05"))   // mod=00 rm=101 but always registers
        #expect(controlRegister.length == 3 && !controlRegister.isRIPRelative)
        #expect(decoded("66 0f 78 c0 02 03")?.length == 6)   // extrq $3,$2,%xmm0
        #expect(decoded("f2 0f 78 c1 02 03")?.secondImmediate == 3)   // insertq
        #expect(decoded("0f 78 c1")?.length == 3)   // vmread
        // A REX before a legacy prefix is ignored by the CPU but still part of the instruction.
        let staleREX = try #require(decoded("48 66 90"))
        #expect(staleREX.length == 3 && staleREX.rex == nil && staleREX.prefixes == [0x66])
    }

    @Test(arguments: ["06", "07", "0e", "16", "17", "1e", "1f", "27", "2f", "37", "3f", "60", "61", "82 c0 01",
                      "9a 00 00 00 00 00 00", "ce", "d4 0a", "d5 0a", "d6", "ea 00 00 00 00 00 00",
                      "0f 04", "0f 0a", "0f 36", "0f 7a", "c4 e0 78 10 c0", "62 f0 7c 48 10 c0", "8f ec 78 00 c0"])
    func opcodesInvalidIn64BitMode(_ text: String) throws {
        let error = try #require(decodeError(text))
        #expect(error.reason == .invalidOpcode && error.offset == 0)
    }

    @Test func errorsCarryTheInstructionOffset() throws {
        let afterNop = try #require(decodeError("90 06", at: 1))
        #expect(afterNop == X86DecodeError(offset: 1, reason: .invalidOpcode))
        #expect(decodeError("66 06")?.reason == .invalidOpcode)
        #expect(decodeError("66 c5 f8 77")?.reason == .invalidOpcode)   // 66 before VEX
        #expect(decodeError("48 c5 f8 77")?.reason == .invalidOpcode)   // REX before VEX
        #expect(decodeError("f3 62 f1 7c 48 10 c0")?.reason == .invalidOpcode)
    }

    @Test(arguments: ["48", "66", "0f", "0f 38", "0f 3a 0f", "e8 00 00", "8b 44", "8b 44 24", "8b 80 00 00",
                      "48 b8 01 02 03 04 05 06 07", "c5", "c5 fd", "c4 e3 7d 18 c1", "62 f1 7c", "62 f1 7c 48",
                      "8f", "c8 10 00", "f7 44 24 08 00 01", "a1 00 00 00"])
    func truncatedInputIsAnErrorNotATrap(_ text: String) throws {
        let error = try #require(decodeError(text))
        #expect(error.reason == .truncated && error.offset == 0)
    }

    @Test func fifteenBytesAtMost() throws {
        let fourteenPrefixes = String(repeating: "66 ", count: 14)
        #expect(decoded(fourteenPrefixes + "90")?.length == 15)
        #expect(decodeError(String(repeating: "66 ", count: 15) + "90")?.reason == .tooLong)
        #expect(decodeError(String(repeating: "66 ", count: 40))?.reason == .tooLong)
        // 11 prefixes, REX.W and a ten-byte movabs: 22 bytes.
        #expect(decodeError(String(repeating: "2e ", count: 11) + "48 b8 01 02 03 04 05 06 07 08")?.reason == .tooLong)
        // Truncated within 15 bytes is truncated, not too long.
        #expect(decodeError(String(repeating: "66 ", count: 10))?.reason == .truncated)
    }

    @Test func offsetsOutsideTheBytes() {
        #expect(X86Decoder.decode([UInt8](), at: 0) == .failure(X86DecodeError(offset: 0, reason: .offsetOutOfRange)))
        #expect(X86Decoder.decode([0x90], at: 1) == .failure(X86DecodeError(offset: 1, reason: .offsetOutOfRange)))
        #expect(X86Decoder.decode([0x90], at: -1) == .failure(X86DecodeError(offset: -1, reason: .offsetOutOfRange)))
        #expect(X86Decoder.decode(hex("55 48 89 e5")[1...], at: -3) == .failure(X86DecodeError(offset: -3, reason: .offsetOutOfRange)))
    }

    @Test func slicesAndOtherCollectionsDecodeAlike() throws {
        let code = hex("55 48 89 e5 c3")
        let slice = code[1...]
        let fromSlice = try X86Decoder.decode(slice, at: 0).get()   // offset counts from the slice's start
        let fromArray = try X86Decoder.decode(code, at: 1).get()
        #expect(fromSlice == fromArray && fromSlice.length == 3)
        let fromSequence = try X86Decoder.decode(code.lazy.map { $0 }, at: 4).get()
        #expect(fromSequence.branch == .ret)
    }

    @Test func linearSweepListsEveryInstructionOffset() {
        // push %rbp; mov %rsp,%rbp; sub $0x10,%rsp; leave; ret
        let function = hex("55 48 89 e5 48 83 ec 10 c9 c3")
        #expect(X86Decoder.instructionBoundaries(of: function) == [0, 1, 4, 8, 9])
        #expect(X86Decoder.instructionBoundaries(of: function, maxCount: 2) == [0, 1])
        #expect(X86Decoder.instructionBoundaries(of: []) == [])

        let stopsAtInvalid = X86Decoder.sweep(hex("55 48 89 e5 06 c3"))
        #expect(stopsAtInvalid.offsets == [0, 1])
        #expect(stopsAtInvalid.stop == X86DecodeError(offset: 4, reason: .invalidOpcode))
        #expect(stopsAtInvalid.instructions.map(\.length) == [1, 3])

        let stopsAtTruncated = X86Decoder.sweep(hex("55 e8 00 00"))
        #expect(stopsAtTruncated.offsets == [0])
        #expect(stopsAtTruncated.stop == X86DecodeError(offset: 1, reason: .truncated))
        #expect(X86Decoder.sweep(function).stop == nil)
    }
}
