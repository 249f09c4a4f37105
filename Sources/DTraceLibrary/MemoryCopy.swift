// DTraceLibrary/MemoryCopy: bcopy(source, destination, size) between D's own memory, and
// copyinto(address, size, destination) from the traced process's memory.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct MemoryCopy: ActionDefinition {
    var names: [String] { ["bcopy", "copyinto"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(3...3)
        if call.name == "bcopy" {
            let source = try call.integer(0, prototype: "void *")
            let destination = try call.integer(1, prototype: "void *")
            let size = try call.integer(2, prototype: "size_t")
            call.emit(.call(.copyBytes, result: nil, arguments: [source.register, destination.register, size.register]))
        } else {
            let source = try call.integer(0, prototype: "uintptr_t")
            let size = try call.integer(1, prototype: "size_t")
            let destination = try call.integer(2, prototype: "void *")
            call.emit(.call(.copyIn, result: nil, arguments: [destination.register, source.register, size.register]))
        }
    }
}
