// DTraceSystem/CFormat: one printf conversion rendered by the C library itself
// (vsnprintf), so widths, flags and precisions behave exactly as in DTrace's consumer.

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
            if Int(written) < capacity { return String(decoding: buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            capacity = Int(written) + 1
        }
    }

    public static func integer(_ format: String, _ value: Int64) -> String { render(format, [value]) }

    public static func string(_ format: String, _ bytes: [UInt8]) -> String {
        var terminated = bytes.map { CChar(bitPattern: $0) }
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { render(format, [$0.baseAddress!]) }
    }
}
