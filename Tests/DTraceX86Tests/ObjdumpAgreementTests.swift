// DTraceX86Tests/ObjdumpAgreementTests: the decoder against GNU objdump on real code.
// For the .text section of libc (and libm, and this test binary itself), objdump -d -w
// lists every instruction's address and bytes; the section's bytes are read from the file
// and decoded at each listed address, and the lengths must be equal. Lines objdump prints
// as "(bad)" are skipped. Without objdump the test is skipped, except under CI=true, where
// binutils is installed and a missing objdump fails the test.

import DTraceX86
import Foundation
import Testing

/// A section's bytes and where they load.
struct CodeSection {
    var address: UInt64
    var bytes: [UInt8]
}

/// One instruction as objdump listed it.
struct ListedInstruction {
    var address: UInt64
    var length: Int
    var text: Substring
}

enum Objdump {
    static let path: String? = {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            .split(separator: ":").map { "\($0)/objdump" } + ["/usr/bin/objdump"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var underCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Runs objdump and returns its standard output.
    static func run(_ arguments: [String]) throws -> [UInt8] {
        guard let path else { throw ObjdumpFailure.missing }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ObjdumpFailure.status(process.terminationStatus, arguments) }
        return [UInt8](data)
    }

    /// The named section's load address and bytes, located with `objdump -h` and read from
    /// the file itself.
    static func section(_ name: String, of file: String) throws -> CodeSection {
        let headers = String(decoding: try run(["-h", "-w", file]), as: UTF8.self)
        for line in headers.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == name,
                  let size = Int(fields[2], radix: 16), let address = UInt64(fields[3], radix: 16),
                  let fileOffset = Int(fields[5], radix: 16) else { continue }
            let contents = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            guard fileOffset + size <= contents.count else { throw ObjdumpFailure.sectionOutsideFile(name) }
            return CodeSection(address: address, bytes: Array(contents[fileOffset..<(fileOffset + size)]))
        }
        throw ObjdumpFailure.noSection(name, file)
    }

    /// objdump -d -w of one section (or of `range` within it): each instruction line's
    /// address, byte count and text.
    static func listing(_ name: String, of file: String, range: Range<UInt64>? = nil) throws -> [ListedInstruction] {
        var arguments = ["-d", "-w", "-z", "--section=\(name)"]
        if let range {
            arguments += ["--start-address=0x\(String(range.lowerBound, radix: 16))", "--stop-address=0x\(String(range.upperBound, radix: 16))"]
        }
        let output = try run(arguments + [file])
        return output.withUnsafeBufferPointer { text in
            var listed: [ListedInstruction] = []
            listed.reserveCapacity(text.count / 48)
            var lineStart = 0
            while lineStart < text.count {
                var lineEnd = lineStart
                while lineEnd < text.count, text[lineEnd] != 0x0A { lineEnd += 1 }
                if let instruction = parse(text, lineStart, lineEnd) { listed.append(instruction) }
                lineStart = lineEnd + 1
            }
            return listed
        }
    }

    /// "   26000:\tff 35 ea cf 1a 00    \tpush   0x1acfea(%rip)" -> address, 6 bytes, text.
    static func parse(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> ListedInstruction? {
        var index = start
        while index < end, text[index] == 0x20 { index += 1 }
        var address: UInt64 = 0
        var digits = 0
        while index < end {
            let digit = hexValue(text[index])
            if digit > 15 { break }
            address = address << 4 | UInt64(digit)
            digits += 1
            index += 1
        }
        guard digits > 0, index + 1 < end, text[index] == 0x3A, text[index + 1] == 0x09 else { return nil }
        index += 2
        var length = 0
        while index + 1 < end, text[index] != 0x09 {
            if hexValue(text[index]) <= 15, hexValue(text[index + 1]) <= 15 {
                length += 1
                index += 3
            } else {
                index += 1
            }
        }
        while index < end, text[index] != 0x09 { index += 1 }
        guard length > 0 else { return nil }
        let textStart = min(index + 1, end)
        let instructionText = String(decoding: UnsafeBufferPointer(rebasing: text[textStart..<end]), as: UTF8.self)
        return ListedInstruction(address: address, length: length, text: Substring(instructionText))
    }

    /// The value of a lower-case hex digit, or 255.
    static func hexValue(_ byte: UInt8) -> UInt8 {
        if byte >= 0x30 && byte <= 0x39 { return byte &- 0x30 }
        if byte >= 0x61 && byte <= 0x66 { return byte &- 0x61 &+ 10 }
        return 255
    }
}

enum ObjdumpFailure: Error {
    case missing
    case status(Int32, [String])
    case noSection(String, String)
    case sectionOutsideFile(String)
}

/// The outcome of comparing one file's section.
struct Agreement {
    var compared = 0
    var skippedBad = 0
    /// objdump lists `9B` (fwait) and the x87 instruction after it as one (fstsw, fstcw,
    /// fclex...); the CPU and the kernel see two, and so does the decoder.
    var foldedFwait = 0
    var mismatches: [String] = []
}

func compareWithObjdump(file: String, section: String = ".text", window: Int? = nil) throws -> Agreement {
    let code = try Objdump.section(section, of: file)
    let range = window.map { code.address..<(code.address + UInt64(min($0, code.bytes.count))) }
    let listing = try Objdump.listing(section, of: file, range: range)
    var agreement = Agreement()
    for listed in listing {
        // "(bad)", and ".byte" where objdump stops decoding (an instruction cut by the
        // window's end or a symbol's): no instruction to compare.
        if listed.text.contains("(bad)") || listed.text.hasPrefix(".byte") {
            agreement.skippedBad += 1
            continue
        }
        guard listed.address >= code.address, listed.address - code.address < UInt64(code.bytes.count) else { continue }
        let offset = Int(listed.address - code.address)
        // An instruction cut by the window's end: objdump lists its first bytes alone
        // ("rex.W", a prefix's name), which is not a disagreement.
        if let range, case .success(let instruction) = X86Decoder.decode(code.bytes, at: offset),
           listed.address + UInt64(instruction.length) > range.upperBound {
            agreement.skippedBad += 1
            continue
        }
        agreement.compared += 1
        var bytes: String {
            code.bytes[offset..<min(code.bytes.count, offset + 15)].map { String(format: "%02x", $0) }.joined(separator: " ")
        }
        switch X86Decoder.decode(code.bytes, at: offset) {
        case .success(let instruction) where instruction.length == listed.length:
            break
        case .success(let instruction) where range.map({ listed.address + UInt64(instruction.length) > $0.upperBound }) == true:
            // Cut by the window's end: objdump saw only its first bytes ("rex.W", then ".byte").
            agreement.skippedBad += 1
            agreement.compared -= 1
        case .success(let instruction) where instruction.bytes == [0x9B] && listed.length > 1:
            if case .success(let following) = X86Decoder.decode(code.bytes, at: offset + 1), following.length == listed.length - 1 {
                agreement.foldedFwait += 1
            } else {
                agreement.mismatches.append("\(String(listed.address, radix: 16)): objdump \(listed.length) bytes (\(listed.text)), decoder fwait and not the rest; bytes \(bytes)")
            }
        case .success(let instruction):
            agreement.mismatches.append("\(String(listed.address, radix: 16)): objdump \(listed.length) bytes (\(listed.text)), decoder \(instruction.length); bytes \(bytes)")
        case .failure(let error):
            agreement.mismatches.append("\(String(listed.address, radix: 16)): objdump \(listed.length) bytes (\(listed.text)), decoder \(error.reason); bytes \(bytes)")
        }
    }
    return agreement
}

@Suite struct ObjdumpAgreementTests {
    static var objdumpUsable: Bool { Objdump.path != nil || Objdump.underCI }

    static func check(_ file: String, required: Bool, window: Int? = nil) throws {
        guard FileManager.default.fileExists(atPath: file) else {
            #expect(!required, "\(file) is missing")
            return
        }
        let agreement = try compareWithObjdump(file: file, window: window)
        print("objdump agreement, \(file)\(window.map { " (first \($0) bytes of .text)" } ?? ""): \(agreement.compared) instructions compared, \(agreement.mismatches.count) mismatches, \(agreement.foldedFwait) fwait folded by objdump, \(agreement.skippedBad) (bad) skipped")
        #expect(agreement.compared > 1000, "too few instructions listed for \(file)")
        let mismatchCount = agreement.mismatches.count
        #expect(mismatchCount == 0, "\(mismatchCount) length mismatches in \(file):\n\(agreement.mismatches.prefix(40).joined(separator: "\n"))")
    }

    @Test(.enabled(if: objdumpUsable, "objdump (binutils) not installed; under CI=true this test always runs"))
    func libcLengthsMatchObjdump() throws {
        try Self.check("/lib/x86_64-linux-gnu/libc.so.6", required: true)
    }

    /// libm: x87, SSE, AVX2, FMA and AVX-512 variants of the math functions.
    @Test(.enabled(if: objdumpUsable, "objdump (binutils) not installed; under CI=true this test always runs"))
    func libmLengthsMatchObjdump() throws {
        try Self.check("/lib/x86_64-linux-gnu/libm.so.6", required: false)
    }

    /// This test binary: the project's own Swift code as compiled (its first MiB of
    /// .text, about a quarter million instructions, to keep the test fast).
    @Test(.enabled(if: objdumpUsable, "objdump (binutils) not installed; under CI=true this test always runs"))
    func projectBinaryLengthsMatchObjdump() throws {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
        try Self.check(executable, required: true, window: 1 << 20)
    }
}
