// DTraceLanguage/RecordBuilder: the record one clause emits per firing, while it is
// compiled: its actions, its size, whether it stores data or is destructive.

import DTraceIR
import DTraceText

/// The record a clause emits: its actions and their fields at fixed offsets. Each action
/// begins with an 8-byte presence flag, so that actions in untaken branches are skipped.
struct RecordBuilder {
    var actions: [RecordAction] = []
    var size = 0
    var storesData = false
    var destructive = false
    /// The data's bytes as Oracle's DTrace counts them against specsize (no presence words).
    var dataSize = 0
    /// The clause has called speculate(): its data is checked against specsize.
    var speculates = false
    /// A check against specsize is in the clause already (one is enough: it ends the clause).
    var speculationChecked = false

    /// `isData`: false for an action's presence word, which Oracle's records do not have.
    mutating func reserve(_ bytes: Int, alignment: Int = 8, isData: Bool = true) -> Int {
        size = (size + alignment - 1) / alignment * alignment
        let offset = size
        size += bytes
        size = (size + 7) & ~7
        if isData { dataSize = (dataSize + alignment - 1) / alignment * alignment + bytes }
        return offset
    }
}
