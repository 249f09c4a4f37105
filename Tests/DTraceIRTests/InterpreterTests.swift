// DTraceIRTests/InterpreterTests: the IR's reference semantics as tables — arithmetic
// with C's wrap-around and its faults (division by zero, INT64_MIN / -1), comparisons
// signed and unsigned, sign and zero extension — and the validator refusing what the
// engines must never see (backward branches, undefined labels, stray registers).

import DTraceIR
import Testing

@Suite struct InterpreterTests {
    static let arithmetic: [(ArithmeticOperator, Int64, Int64, Int64)] = [
        (.add, Int64.max, 1, Int64.min), (.subtract, 3, 5, -2), (.multiply, -4, 5, -20),
        (.signedDivide, -7, 2, -3), (.unsignedDivide, -1, 2, Int64.max), (.signedRemainder, -7, 2, -1),
        (.unsignedRemainder, 7, 4, 3), (.and, 12, 10, 8), (.or, 12, 10, 14), (.xor, 12, 10, 6),
        (.shiftLeft, 1, 63, Int64.min), (.logicalShiftRight, -1, 60, 15), (.arithmeticShiftRight, -16, 2, -4),
        (.signedDivide, Int64.min, -1, Int64.min),
    ]

    @Test(arguments: arithmetic)
    func arithmeticWrapsLikeC(_ op: ArithmeticOperator, _ a: Int64, _ b: Int64, _ expected: Int64) throws {
        #expect(try Interpreter.arithmetic(op, a, b) == expected)
    }

    @Test func divisionByZeroFaults() {
        for op in [ArithmeticOperator.signedDivide, .unsignedDivide, .signedRemainder, .unsignedRemainder] {
            #expect(throws: Fault.self) { try Interpreter.arithmetic(op, 1, 0) }
        }
    }

    @Test func comparisonsSignedAndUnsigned() {
        #expect(Interpreter.compare(.signedLess, -1, 0))
        #expect(!Interpreter.compare(.unsignedLess, -1, 0))
        #expect(Interpreter.compare(.unsignedGreaterOrEqual, -1, Int64.max))
        #expect(Interpreter.compare(.equal, 5, 5) && Interpreter.compare(.notEqual, 5, 6))
    }

    @Test func signAndZeroExtension() {
        #expect(Interpreter.extend(0xff, bits: 8, signed: true) == -1)
        #expect(Interpreter.extend(0xff, bits: 8, signed: false) == 255)
        #expect(Interpreter.extend(0x1_8000_0000, bits: 32, signed: true) == Int64(Int32.min))
        #expect(Interpreter.extend(-1, bits: 64, signed: false) == -1)
    }

    @Test func validatorRefusesWhatEnginesMustNotSee() {
        let backward = IRFunction(instructions: [.label(Label(1)), .constant(Register(0), 1), .jump(Label(1))], actionOfInstruction: [0, 0, 0], registerCount: 1)
        #expect(throws: IRValidationError.backwardBranch(instruction: 2, label: Label(1))) { try backward.validate() }
        let undefined = IRFunction(instructions: [.jump(Label(9))], actionOfInstruction: [0], registerCount: 0)
        #expect(throws: IRValidationError.undefinedLabel(Label(9))) { try undefined.validate() }
        let twice = IRFunction(instructions: [.label(Label(1)), .label(Label(1))], actionOfInstruction: [0, 0], registerCount: 0)
        #expect(throws: IRValidationError.duplicateLabel(Label(1))) { try twice.validate() }
        let stray = IRFunction(instructions: [.constant(Register(3), 0)], actionOfInstruction: [0], registerCount: 2)
        #expect(throws: IRValidationError.registerOutOfRange(instruction: 0)) { try stray.validate() }
        let fine = IRFunction(instructions: [.constant(Register(0), 0), .branchIfZero(Register(0), Label(2)), .label(Label(2)), .returnFromClause], actionOfInstruction: [0, 0, 0, 0], registerCount: 1)
        #expect(throws: Never.self) { try fine.validate() }
    }

    @Test func printfFormatsParse() throws {
        let format = try PrintfFormat.parse("%-8s|%5.2d|%%|%@d\n")
        let conversions = format.segments.compactMap { segment -> PrintfConversion? in
            if case .conversion(let conversion) = segment { return conversion }
            return nil
        }
        #expect(conversions.map(\.conversion) == ["s", "d", "d"])
        #expect(conversions[0].flags == "-" && conversions[0].width == .fixed(8))
        #expect(conversions[1].precision == .fixed(2))
        #expect(conversions[2].isAggregationValue)
        #expect(throws: (any Error).self) { try PrintfFormat.parse("%") }
    }
}
