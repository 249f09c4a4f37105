// DTraceSystem/CFormat: one printf conversion rendered by the C library itself
// (vsnprintf), so widths, flags and precisions behave exactly as in DTrace's consumer —
// long doubles (x87's 80-bit format, %Le %Lf %Lg) included.

import DTraceText
import Glibc

public enum CFormat {
    public static func render(_ spec: String, _ arguments: [CVarArg]) -> String {
        var capacity = 256
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let written = withVaList(arguments) { list in
                spec.withCString { vsnprintf(&buffer, capacity, $0, list) }
            }
            if written < 0 { return "" }
            if Int(written) < capacity { return RawText.string(buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }) }
            capacity = Int(written) + 1
        }
    }

    public static func integer(_ format: String, _ value: Int64) -> String { render(format, [value]) }

    public static func string(_ format: String, _ bytes: [UInt8]) -> String {
        var terminated = bytes.map { CChar(bitPattern: $0) }
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { render(format, [$0.baseAddress!]) }
    }

    /// A long double given by its x87 fields (sign, 15-bit exponent, 64-bit significand
    /// with its integer bit) through a %L conversion; where Swift has no Float80, the
    /// nearest double through the same conversion without L.
    public static func longDouble(_ format: String, sign: Bool, exponent: UInt16, significand: UInt64) -> String {
        #if arch(x86_64) || arch(i386)
        var bytes = [UInt8](repeating: 0, count: MemoryLayout<Float80>.size)
        withUnsafeBytes(of: significand.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: ((sign ? 0x8000 : 0) | exponent).littleEndian) { bytes.replaceSubrange(8..<10, with: $0) }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(as: Float80.self) }
        return render(format, [value])
        #else
        return render(format.replacingOccurrences(of: "L", with: ""), [longDoubleValue(sign: sign, exponent: exponent, significand: significand)])
        #endif
    }

    /// The double nearest a long double given by its x87 fields.
    public static func longDoubleValue(sign: Bool, exponent: UInt16, significand: UInt64) -> Double {
        let magnitude: Double
        if exponent == 0x7fff {
            magnitude = significand << 1 == 0 ? .infinity : .nan
        } else {
            // significand × 2^(exponent − 16383 − 63); a denormal's exponent field 0 is 2^−16382.
            magnitude = Double(significand) * Double(sign: .plus, exponent: max(Int(exponent), 1) - 16383 - 63, significand: 1)
        }
        return sign ? -magnitude : magnitude
    }
}
