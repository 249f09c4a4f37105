// DTraceIR/ProbeIdentity: a probe's ID and four-part name (provider:module:function:name),
// as engines hand it to the consumer and listings print it.

public struct ProbeIdentity: Sendable, Equatable {
    public var id: Int
    public var provider: String
    public var module: String
    public var function: String
    public var name: String
    public var fullName: String { "\(provider):\(module):\(function):\(name)" }

    public init(id: Int, provider: String, module: String, function: String, name: String) {
        self.id = id; self.provider = provider; self.module = module; self.function = function; self.name = name
    }
}
