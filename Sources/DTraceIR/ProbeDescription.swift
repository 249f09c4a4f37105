// DTraceIR/ProbeDescription: a probe description as a clause names it
// (provider:module:function:name, each a glob; empty matches anything).

/// A probe description as written: provider:module:function:name, each possibly a glob.
public struct ProbeDescription: Sendable, Equatable, CustomStringConvertible {
    public var provider: String
    public var module: String
    public var function: String
    public var name: String
    public init(provider: String, module: String, function: String, name: String) {
        self.provider = provider; self.module = module; self.function = function; self.name = name
    }
    public var description: String { "\(provider):\(module):\(function):\(name)" }
}
