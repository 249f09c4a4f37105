// DTraceLibrary/MemoryCopy: bcopy(source, destination, size) between D's own memory, and
// copyinto(address, size, destination) from the traced process's memory; the alloca()
// memory they touch is checked at run time (Helper.checkAlloca): within what the clause
// has allocated, else an invalid address or size, as in DTrace.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct MemoryCopy: ActionDefinition {
    var names: [String] { ["bcopy", "copyinto"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        try call.expect(3...3)
        if call.name == "bcopy" {
            // A string is a pointer to its bytes here, as in DTrace.
            let source = try call.value(0)
            guard source.type.isScalar || source.type.isString else {
                throw call.error(.prototypeArgument, "bcopy( ) argument #1 is incompatible with prototype:\n\tprototype: void *\n\t argument: \(source.type)")
            }
            let destination = try call.integer(1, prototype: "void *")
            try checkAllocaDestination(destination, position: 2, call)
            let size = try call.integer(2, prototype: "size_t")
            // Alloca memory on either side is checked for the whole copy, as DTrace checks it.
            if source.pointsIntoAlloca { call.emit(.call(.checkAlloca, result: nil, arguments: [source.register, size.register])) }
            call.emit(.call(.checkAlloca, result: nil, arguments: [destination.register, size.register]))
            call.emit(.call(.copyBytes, result: nil, arguments: [source.register, destination.register, size.register]))
        } else {
            let source = try call.integer(0, prototype: "uintptr_t")
            let size = try call.integer(1, prototype: "size_t")
            let destination = try call.integer(2, prototype: "void *")
            try checkAllocaDestination(destination, position: 3, call)
            call.emit(.call(.checkAlloca, result: nil, arguments: [destination.register, size.register]))
            call.emit(.call(.copyIn, result: nil, arguments: [destination.register, source.register, size.register]))
        }
    }

    /// The bytes go to alloca() memory only (D's other memory has types to keep).
    func checkAllocaDestination(_ destination: ActionValue, position: Int, _ call: ActionArguments) throws(Diagnostic) {
        guard destination.pointsIntoAlloca else {
            throw call.error(.prototypeArgument, "\(call.name)( ) argument #\(position) is incompatible with prototype:\n\tprototype: alloca pointer\n\t argument: non-alloca pointer")
        }
    }
}
