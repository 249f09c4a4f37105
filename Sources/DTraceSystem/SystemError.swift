// DTraceSystem/SystemError: a failed system call: which call, and the errno it failed with.

import Glibc

/// A failed system call: which operation, and errno.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public init(_ operation: String, code: Int32 = errno) { self.operation = operation; self.code = code }
    public var reason: String { String(cString: strerror(code)) }
    public var description: String { "\(operation): \(reason)" }
}
