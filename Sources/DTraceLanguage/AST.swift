// DTraceLanguage/AST: the syntax tree of a D program, as the parser builds it and the
// compiler checks and lowers it. Nodes carry the line they start on.

/// A type as written: resolved by the compiler against its type tables.
public indirect enum TypeSyntax: Equatable {
    case keywords(signedness: Bool?, shorts: Int, longs: Int, char: Bool, int: Bool, line: Int)
    case void, string
    /// float, double, long double: declarable (sizeof, extern), not computed with.
    case floating(String)
    case named(String)
    case structure(name: String?, isUnion: Bool, members: [(TypeSyntax, [Declarator])]?)
    /// Each enumerator with its value, if given, and the line DTrace reports it on (the
    /// line of the token after it).
    case enumeration(name: String?, values: [(String, Expression?, Int)]?)
    case pointer(TypeSyntax)
    case array(TypeSyntax, Expression?)

    public static func == (a: TypeSyntax, b: TypeSyntax) -> Bool { String(describing: a) == String(describing: b) }
}

/// A declarator: a name with pointer stars and array suffixes (`*x[4]`, `a[string, int]`).
public struct Declarator: Equatable {
    public var name: String
    public var pointerDepth: Int
    /// Each `[...]`: either a size expression, or a list of key types (associative arrays).
    public var suffixes: [ArraySuffix]
    public var line: Int
    /// A struct or union member's bit-field width (`int a : 3`); nil for other members.
    public var bitWidth: Expression? = nil
    /// A function (`int f(int)`): declared, never stored.
    public var isFunction = false
    /// The stars of a pointer to a function (`int (*fp)(void)`: 1); such a declarator
    /// declares a pointer (D keeps no function types: a pointer to void), its array
    /// dimensions those inside the parentheses (`int (*table[4])()`).
    public var functionPointerDepth = 0
    /// The names given to the last associative keys (`inline int f[int x] = x + 1`), nil
    /// for a key without one.
    public var keyNames: [String?] = []

    public enum ArraySuffix: Equatable {
        case size(Expression?)
        case keys([TypeSyntax])
    }
}

public final class Expression: Equatable, CustomStringConvertible {
    public indirect enum Kind {
        case integer(UInt64, typeName: String)
        case character(Int64)
        case string([UInt8])
        case identifier(String)
        case macroArgument(Int, asString: Bool)
        case macroVariable(String, asString: Bool)
        case aggregation(String)
        case threadLocal(String)      // self->name
        case clauseLocal(String)      // this->name
        case unary(String, Expression)  // - + ! ~ * & ++pre --pre
        case postfix(String, Expression) // ++ --
        case binary(String, Expression, Expression)
        case assign(String, Expression, Expression)
        case conditional(Expression, Expression, Expression)
        case call(String, [Expression])
        case index(Expression, [Expression])
        case member(Expression, String, arrow: Bool)
        case cast(TypeSyntax, Expression)
        case sizeofType(TypeSyntax)
        case sizeofExpression(Expression)
        case offsetof(TypeSyntax, String)
        case stringof(Expression)
        case comma(Expression, Expression)
        case translate(TypeSyntax, Expression)
    }

    public var kind: Kind
    public let line: Int

    public init(_ kind: Kind, line: Int) { self.kind = kind; self.line = line }
    public static func == (a: Expression, b: Expression) -> Bool { a === b }
    public var description: String { "\(kind)" }
}

public indirect enum Statement {
    case expression(Expression)
    case ifElse(Expression, [Statement], [Statement]?, line: Int)
    case block([Statement])
    case declaration(Declaration)
    case empty
}

public struct Declaration {
    public enum StorageClass: Equatable { case none, `static`, extern, `self`, this, typedef, inline }
    public var storage: StorageClass
    public var type: TypeSyntax
    public var declarators: [Declarator]
    /// For `inline type name = expression;`.
    public var initializer: Expression?
    public var line: Int
}

public struct ProbeSpecifier: Equatable {
    public var text: String
    public var line: Int
}

public struct Clause {
    public var probes: [ProbeSpecifier]
    public var predicate: Expression?
    public var statements: [Statement]?
    public var line: Int
    /// The line DTrace names in the predicate's type errors (the line after its `/`).
    public var predicateCheckLine: Int? = nil
    /// The line of the clause's last token, where DTrace checks the clause as a whole
    /// (a predicate's type).
    public var endLine: Int? = nil
}

/// `translator output < input name > { member = expression; ... };`
public struct TranslatorSyntax {
    public var output: TypeSyntax
    public var input: TypeSyntax
    public var inputName: String
    public var members: [(name: String, value: Expression, line: Int)]
    public var line: Int
    /// The line of its closing `;`, where DTrace reports what is wrong with it.
    public var endLine: Int
}

public enum TopLevelItem {
    case clause(Clause)
    case declaration(Declaration)
    case pragma(String, line: Int)
    case translator(TranslatorSyntax)
}

public struct ProgramSyntax {
    public var items: [TopLevelItem]
}
