// DTraceLibrary/Library: the D library's registry. A subroutine, an aggregating function
// or an action (or a small family of them) is one file holding everything about it — its
// prototype and typing, the IR it emits, its semantics in the interpreter, its BPF body or
// why the kernel engine has none, for an aggregating function its value's layout, merge
// and presentation, for an action what the consumer shows — and one line here. The compiler, the interpreter, the code generator and
// the consumer each take their part of every entry from here. D declarations (types,
// translators, inlines: psinfo_t, curpsinfo) are one file each, written in D.

import DTraceCodegen
import DTraceIR
import DTraceLanguage

/// How the two engines run a subroutine.
public enum SubroutineImplementation {
    /// Its definition emits IR both engines already run (core helpers, arithmetic).
    case coreIR
    /// Its own runtime parts: the interpreter's semantics, and the BPF body (or nil
    /// with the reason the kernel engine refuses it).
    case routine(interpreter: any InterpretedSubroutine, kernel: KernelSupport)
}

public enum KernelSupport {
    case bpf(any KernelSubroutine)
    case notInKernel(reason: String)
}

/// Declarations of the library written in D (as DTrace's own /usr/lib64/dtrace/*.d):
/// types such as psinfo_t, their translators from kernel structures, constants, inlines.
public protocol LibraryDeclarations: Sendable {
    var source: String { get }
}

public protocol LibrarySubroutine: SubroutineDefinition, Sendable {
    var implementation: SubroutineImplementation { get }
}

/// An aggregating function of the library: its definition (prototype, parameters) makes
/// an `AggregatingFunction` whose behaviour holds the value layout, the interpreter's
/// update, the merge, the presentation and (as `KernelAggregation`) the BPF update.
public protocol LibraryAggregatingFunction: AggregatingFunctionDefinition {}

public struct Library: Sendable {
    public let subroutines: [any LibrarySubroutine]
    public let aggregatingFunctions: [any LibraryAggregatingFunction]
    public let actions: [any ActionDefinition]
    public let declarations: [any LibraryDeclarations]

    public init(subroutines: [any LibrarySubroutine], aggregatingFunctions: [any LibraryAggregatingFunction] = Library.standardAggregatingFunctions,
                actions: [any ActionDefinition] = Library.standardActions, declarations: [any LibraryDeclarations] = Library.standardDeclarations) {
        self.subroutines = subroutines
        self.aggregatingFunctions = aggregatingFunctions
        self.actions = actions
        self.declarations = declarations
    }

    /// The library's D declarations: types, constants, translators and the inlines built
    /// on them, in dependency order.
    public static let standardDeclarations: [any LibraryDeclarations] = [
        SignalNames(),
        ErrorNames(),
        FaultNames(),
        CPUInformation(),
        ProcessInformation(),
        NetworkInformation(),
        TCPInformation(),
        UDPInformation(),
        BlockIOInformation(),
        LockInformation(),
    ]

    public static let standardActions: [any ActionDefinition] = [
        Trace(),
        Print(),
        FormattedOutput(),
        Printa(),
        Exit(),
        Speculation(),
        AggregationControl(),
        Setopt(),
        Tracemem(),
        MemoryCopy(),
        Raise(),
        Ftruncate(),
        StackActions(),
        SymbolActions(),
    ]

    /// The compiler's view of the actions.
    public var actionDefinitions: [String: any ActionDefinition] {
        var table: [String: any ActionDefinition] = [:]
        for action in actions { for name in action.names { table[name] = action } }
        return table
    }

    public static let standardAggregatingFunctions: [any LibraryAggregatingFunction] = [
        Count(),
        Sum(),
        Average(),
        Extremes(),
        StandardDeviation(),
        Quantize(),
        LinearQuantize(),
        LogLinearQuantize(),
    ]

    public static let standard = Library(subroutines: [
        StringLength(),
        StringJoin(),
        Substring(),
        CharacterSearch(),
        StringSearch(),
        StringTokenize(),
        PathComponents(),
        Cleanpath(),
        ChangeCase(),
        IntegerToString(),
        ByteOrder(),
        InternetAddresses(),
        LinkAddresses(),
        RandomNumber(),
        Alloca(),
        CopyIn(),
        CopyOut(),
        ProcessRelations(),
        LockSubroutines(),
        ProcessArguments(),
    ])

    /// The compiler's view: each name's definition.
    public var definitions: [String: any SubroutineDefinition] {
        var table: [String: any SubroutineDefinition] = [:]
        for subroutine in subroutines { for name in subroutine.names { table[name] = subroutine } }
        return table
    }

    /// The compiler's view of the aggregating functions.
    public var aggregatingDefinitions: [String: any AggregatingFunctionDefinition] {
        var table: [String: any AggregatingFunctionDefinition] = [:]
        for function in aggregatingFunctions { for name in function.names { table[name] = function } }
        return table
    }

    /// The interpreter's view: each name's semantics.
    public var interpreted: [String: any InterpretedSubroutine] {
        var table: [String: any InterpretedSubroutine] = [:]
        for subroutine in subroutines {
            guard case .routine(let interpreter, _) = subroutine.implementation else { continue }
            for name in subroutine.names { table[name] = interpreter }
        }
        return table
    }

    /// The code generator's view: each name's BPF body.
    public var kernel: [String: any KernelSubroutine] {
        var table: [String: any KernelSubroutine] = [:]
        for subroutine in subroutines {
            guard case .routine(_, .bpf(let body)) = subroutine.implementation else { continue }
            for name in subroutine.names { table[name] = body }
        }
        return table
    }

    /// Why the kernel engine cannot run a subroutine, when it cannot.
    public func kernelRefusal(_ name: String) -> String? {
        for subroutine in subroutines where subroutine.names.contains(name) {
            if case .routine(_, .notInKernel(let reason)) = subroutine.implementation { return reason }
        }
        return nil
    }
}

extension CompileOptions {
    /// Default options with the standard library's subroutines.
    public static var standard: CompileOptions {
        var options = CompileOptions()
        options.subroutines = Library.standard.definitions
        options.aggregatingFunctions = Library.standard.aggregatingDefinitions
        options.actions = Library.standard.actionDefinitions
        options.libraryDeclarations = Library.standard.declarations.map(\.source)
        return options
    }
}
