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

    mutating func reserve(_ bytes: Int, alignment: Int = 8) -> Int {
        size = (size + alignment - 1) / alignment * alignment
        let offset = size
        size += bytes
        size = (size + 7) & ~7
        return offset
    }
}
