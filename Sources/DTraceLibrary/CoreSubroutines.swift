// DTraceLibrary/CoreSubroutines: the subroutines whose work is IR both engines already
// run — strlen (the string length helper), lltostr (the integer-to-string helper casts
// use too), htons/ntohs/htonl/ntohl/htonll/ntohll (byte swaps), rand, alloca, copyin,
// copyinstr — so a definition is their prototype and the IR they emit.

import DTraceIR
import DTraceLanguage

struct StringLength: LibrarySubroutine {
    var names: [String] { ["strlen"] }
    var implementation: SubroutineImplementation { .coreIR }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...1)
        return call.call(.stringLength, [try call.string(0)], type: SubroutineArguments.type("size_t"))
    }
}

/// lltostr(value[, base]).
struct IntegerToString: LibrarySubroutine {
    var names: [String] { ["lltostr"] }
    var implementation: SubroutineImplementation { .coreIR }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...2)
        var values = [try call.integer(0, prototype: "int64_t")]
        if call.count == 2 { values.append(try call.integer(1)) }
        return call.stringResult(.integerToString(hasBase: call.count == 2), values)
    }
}

/// Host and network byte order: the host is little-endian, so each is a swap.
struct ByteOrder: LibrarySubroutine {
    var names: [String] { ["htons", "ntohs", "htonl", "ntohl", "htonll", "ntohll"] }
    var implementation: SubroutineImplementation { .coreIR }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...1)
        let value = try call.integer(0)
        let width = call.name.hasSuffix("ll") ? 64 : (call.name.hasSuffix("s") ? 16 : 32)
        let swapped = call.register()
        call.emit(.unary(width == 16 ? .byteSwap16 : (width == 32 ? .byteSwap32 : .byteSwap64), swapped, value))
        let type: DType = width == 16 ? SubroutineArguments.type("uint16_t") : (width == 32 ? SubroutineArguments.type("uint32_t") : .uint64)
        return SubroutineResult(register: swapped, type: type)
    }
}

struct RandomNumber: LibrarySubroutine {
    var names: [String] { ["rand"] }
    var implementation: SubroutineImplementation { .coreIR }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(0...0)
        return call.call(.random, [], type: .int)
    }
}

/// alloca(size): scratch memory for the rest of the clause.
struct Alloca: LibrarySubroutine {
    var names: [String] { ["alloca"] }
    var implementation: SubroutineImplementation { .coreIR }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        try call.expect(1...1)
        let size = try call.integer(0, prototype: "size_t")
        try call.checkScratchSize(0)
        var result = call.call(.allocate, [size], type: .voidPointer)
        result.pointsIntoAlloca = true
        return result
    }
}

/// copyin(address, size) into scratch, and copyinstr(address[, max]) as a string.
struct CopyIn: LibrarySubroutine {
    var names: [String] { ["copyin", "copyinstr"] }
    var implementation: SubroutineImplementation { .coreIR }

    func compile(_ call: SubroutineArguments) throws(Diagnostic) -> SubroutineResult {
        if call.name == "copyin" {
            try call.expect(2...2)
            let address = try call.integer(0, prototype: "uintptr_t")
            let size = try call.integer(1, prototype: "size_t")
            try call.checkScratchSize(1)
            let buffer = call.call(.allocate, [size], type: .voidPointer).register
            return call.call(.copyIn, [buffer, address, size], type: .voidPointer)
        }
        try call.expect(1...2)
        var values = [try call.integer(0, prototype: "uintptr_t")]
        if call.count == 2 { values.append(try call.integer(1)) }
        return call.stringResult(.copyInString, values)
    }
}
