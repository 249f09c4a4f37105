// DTraceProviders/Probe: one probe: its identity and what its provider needs to find it
// again (a tracepoint, a system call, a period...), which only that provider reads.

import DTraceCodegen
import DTraceIR
import DTraceLanguage
import DTracePlatform
import DTraceSystem

/// One probe: its identity and what its provider needs to find it again (a tracepoint,
/// a system call, a period...), which only that provider reads.
public struct Probe: @unchecked Sendable {
    public var identity: ProbeIdentity
    public let provider: any Provider
    public let detail: (any Sendable)?

    public init(identity: ProbeIdentity, provider: any Provider, detail: (any Sendable)? = nil) {
        self.identity = identity; self.provider = provider; self.detail = detail
    }

    /// The provider's own description of the probe.
    public func detail<T>(as type: T.Type) -> T? { detail as? T }
}
