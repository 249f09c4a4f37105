// DTraceIR/Helper: the closed list of runtime helpers the IR calls, with their argument
// conventions (a string result is written to a destination buffer given first); library
// subroutines are called by name through one of them.

/// The closed list of runtime helpers. Argument conventions are documented per case;
/// a string result is written to a destination buffer given as the first argument.
public enum Helper: Sendable, Equatable {
    /// dst = value of a built-in variable; string-valued ones take (destination).
    case readBuiltin(BuiltinVariable)
    /// dst = args[index] as a 64-bit value.
    case readArgument
    /// dst = uregs[index]: a saved user register of the current thread (UserRegisters).
    case readUserRegister
    // Strings: every string is bounded by strsize.
    case stringLength               // (s) -> length
    case stringCompare              // (a, b) -> <0, 0, >0
    case stringCopy                 // (dst, src) -> dst
    case stringCopyBounded(size: Int) // (dst, src) -> dst: at most size - 1 bytes, then a NUL
    case integerToString(hasBase: Bool) // (dst, value[, base]) -> dst
    case random                     // () -> pseudo-random value
    /// A subroutine of the D library, run through what the library registers for it.
    case subroutine(SubroutineCall)
    case stackID(user: Bool)        // () -> id of the current kernel (user) stack, or negative
    case noteProcess                // (): the current process's user addresses are kept; tell the consumer the first time it is seen
    case allocate                   // (size) -> address in scratch
    /// (address, size): an access through an alloca() pointer, checked as DTrace checks
    /// it: an address below the clause's alloca() memory or at or past what it has
    /// allocated is an invalid address; one whose `size` bytes pass that top, an invalid size.
    case checkAlloca
    case copyBytes                  // (src, dst, size)
    case copyIn                     // (dst, tracee address, size) -> dst
    case copyInString               // (dst, tracee address[, max]) -> dst
    case copyInKernelString         // (dst, kernel address[, max with the NUL]) -> dst: e.g. a char array of a tracepoint record
    case copyInKernel               // (dst, kernel address, size): e.g. the kernel structure print() shows
    case zeroBytes                  // (dst, size)
    // State: associative arrays and thread-local variables live in maps.
    case mapLookup(map: Int)        // (key) -> value address or 0
    case mapLookupOrCreate(map: Int) // (key) -> value address, or 0 when the map is full (a drop)
    case mapDelete(map: Int)        // (key)
    // Aggregations, records and engine control.
    case aggregate(aggregation: Int) // (key, value, increment)
    case submitRecord(epid: Int)    // (buffer, size): hand the clause's record to the consumer
    case speculation                // () -> speculation id, or 0 (a failed speculation) when none is free
    /// (id) -> 1 when this firing's record now goes to speculation id; 0 when id (its low
    /// 32 bits, as DTrace takes it) names no active speculation: the clause ends there.
    case speculate
    /// () -> 1: the speculating clause's data has passed specsize; a speculative drop is
    /// counted and the clause ends, as Oracle's DTrace ends it.
    case speculationDrop
    /// (id): an id above nspec (low 32 bits) is an illegal operation; one that names no
    /// active speculation does nothing.
    case commit
    case discard                    // (id): as commit
    case exit                       // (status): stop tracing after this firing
    case raise                      // (signal) destructive

    /// Whether the helper's result is always its first argument (the destination buffer):
    /// never a NULL pointer.
    public var returnsDestination: Bool {
        switch self {
        case .readBuiltin(let variable): return variable.isString
        case .stringCopy, .stringCopyBounded, .integerToString, .copyIn, .copyInString, .copyInKernelString: return true
        default: return false
        }
    }
}
