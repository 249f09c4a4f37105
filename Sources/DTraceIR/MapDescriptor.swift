// DTraceIR/MapDescriptor: one associative array or thread-local variable of a program: the
// map its values live in (key and value sizes).

/// An associative array or a thread-local variable: a hash map from key bytes to value bytes.
public struct MapDescriptor: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case associativeArray, threadLocal }
    public var id: Int
    public var name: String
    public var kind: Kind
    public var keySize: Int
    public var valueSize: Int
    public init(id: Int, name: String, kind: Kind, keySize: Int, valueSize: Int) {
        self.id = id; self.name = name; self.kind = kind; self.keySize = keySize; self.valueSize = valueSize
    }
}
