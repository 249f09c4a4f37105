// DTraceIR/AggregationDescriptor: one aggregation of a program: its id, name, aggregating
// function, key fields and key size (and the size DTrace's layout would give it).

public struct AggregationDescriptor: Sendable, Equatable {
    public var id: Int
    public var name: String          // without the '@'; "" for the anonymous aggregation
    public var function: AggregatingFunction
    public var keyFields: [RecordField]
    public var keySize: Int
    /// An aggregation update's key register points at the key followed by this many bytes
    /// of its own scratch, which the kernel engine writes the CPU's number into (its map
    /// keys are key + CPU) instead of copying the key; the interpreter leaves them alone.
    public static let keyRoom = 8
    /// The key's size as DTrace lays it out (every string key strsize bytes), where
    /// `keySize` is narrowed to what the keys can hold: what aggsize is counted in.
    public var nominalKeySize: Int?
    public init(id: Int, name: String, function: AggregatingFunction, keyFields: [RecordField], keySize: Int) {
        self.id = id; self.name = name; self.function = function; self.keyFields = keyFields; self.keySize = keySize
    }
}
