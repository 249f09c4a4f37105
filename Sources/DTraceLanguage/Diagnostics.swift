// DTraceLanguage/Diagnostics: compile errors as data. Each carries DTrace's stable
// D_* tag (printed with -xerrtags), the message text, and where it happened: a line
// for script files, or the region ("action list", "predicate", ...) for -n text.

public struct Diagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    public var tag: String
    public var message: String
    public var line: Int
    public var region: Region?

    public enum Region: String, Sendable { case probeDescription = "probe description", predicate, actionList = "action list" }

    public init(_ tag: String, _ message: String, line: Int, region: Region? = nil) {
        self.tag = tag; self.message = message; self.line = line; self.region = region
    }

    public init(_ tag: DiagnosticTag, _ message: String, line: Int, region: Region? = nil) {
        self.init(tag.rawValue, message, line: line, region: region)
    }

    /// The text after "dtrace: failed to compile script x.d: ", as DTrace builds it.
    public func rendered(withTags: Bool, showLine: Bool) -> String {
        var text = withTags ? "[\(tag)] " : ""
        if showLine && line > 0 {
            text += "line \(line): "
        } else if let region {
            text += "in \(region.rawValue): "
        }
        return text + message
    }

    public var description: String { rendered(withTags: true, showLine: true) }
}

/// The catalogue of D_* tags this compiler emits (DTrace's names, stable ids).
public enum DiagnosticTag: String, Sendable {
    case syntax = "D_SYNTAX"
    case divideByZero = "D_DIV_ZERO"
    case undefinedIdentifier = "D_IDENT_UNDEF"
    case macroUndefined = "D_MACRO_UNDEF"
    case macroUnused = "D_MACRO_UNUSED"
    case badIdentifier = "D_IDENT_BADREF"
    case probeDescriptionNoMatch = "D_PDESC_ZERO"
    case probeDescriptionInvalid = "D_PDESC_INVAL"
    case operandsIncompatible = "D_OP_INCOMPAT"
    case operandNotInteger = "D_OP_INT"
    case operandNotScalar = "D_OP_SCALAR"
    case operandNotArithmetic = "D_OP_ARITH"
    case operandNotLvalue = "D_OP_LVAL"
    case operandNotWritable = "D_OP_WRITE"
    case operandNotPointer = "D_OP_PTR"
    case operandNotStructOrUnion = "D_OP_SOU"
    case prototypeLength = "D_PROTO_LEN"
    case prototypeArgument = "D_PROTO_ARG"
    case unknown = "D_UNKNOWN"
    case aggregationScalar = "D_AGG_SCALAR"
    case aggregationFunction = "D_AGG_FUNC"
    case aggregationRedefined = "D_AGG_REDEF"
    case aggregationDimensions = "D_AGG_MDIM"
    case aggregationNotFunction = "D_AGG_NULL"
    case printfArgumentType = "D_PRINTF_ARG_TYPE"
    case printfArgumentExtra = "D_PRINTF_ARG_EXTRA"
    case printfArgumentMissing = "D_PRINTF_ARG_PROTO"
    case variableUndefined = "D_VAR_UNDEF"
    case stringofType = "D_STRINGOF_TYPE"
    case printfDynamicArgumentMissing = "D_PRINTF_DYN_PROTO"
    case printfDynamicArgumentType = "D_PRINTF_DYN_TYPE"
    case printfFormat = "D_PRINTF_FMT"
    case printfArgumentFormat = "D_PRINTF_ARG_FMT"
    case printfAggregationConversion = "D_PRINTF_AGG_CONV"
    case printfFormatEmpty = "D_PRINTF_FMT_EMPTY"
    case freopenInvalid = "D_FREOPEN_INVALID"
    case printaKeyCount = "D_PRINTA_AGGKEY"
    case printaKeyType = "D_PRINTA_AGGPROTO"
    case printaAggregationArgument = "D_PRINTA_AGGARG"
    case printaProto = "D_PRINTA_PROTO"
    case declarationRedefined = "D_DECL_IDRED"
    case declarationTypeRedeclared = "D_DECL_TYPERED"
    case declarationCombination = "D_DECL_COMBO"
    case declarationVoidObject = "D_DECL_VOIDOBJ"
    case declarationArraySubscript = "D_DECL_ARRSUB"
    case arrayBounds = "D_ARR_BOUNDS"
    case argumentIndex = "D_ARGS_IDX"
    case declarationIncompatible = "D_DECL_INCOMPAT"
    case typeUnknown = "D_TYPE_ERR"
    case memberName = "D_MEMBER_NAME"
    case typeMember = "D_TYPE_MEMBER"
    case operandIncomplete = "D_OP_INCOMPLETE"
    case translatorOutput = "D_XLATE_SOU"
    case translatorMember = "D_XLATE_MEMB"
    case translatorNoConversion = "D_XLATE_NOCONV"
    case translatorIncompatible = "D_XLATE_INCOMPAT"
    case translatorNone = "D_XLATE_NONE"
    case translatorRedeclared = "D_XLATE_REDECL"
    case structIncomplete = "D_DECL_INCOMPLETE"
    case castInvalid = "D_CAST_INVAL"
    case sizeofType = "D_SIZEOF_TYPE"
    case sizeofBitField = "D_SIZEOF_BITFIELD"
    case declarationParameterClass = "D_DECL_PARMCLASS"
    case localArray = "D_ARR_LOCAL"
    case declarationClass = "D_DECL_CLASS"
    case addressOfVariable = "D_ADDROF_VAR"
    case addressOfLvalue = "D_ADDROF_LVAL"
    case dereferenceNonPointer = "D_DEREF_NONPTR"
    case dereferenceVoid = "D_DEREF_VOID"
    case functionUndefined = "D_FUNC_UNDEF"
    case keyType = "D_KEY_TYPE"
    case codeGenerationExpression = "D_CG_EXPR"
    case operandAction = "D_OP_ACT"
    case enumeratorConstant = "D_DECL_ENCONST"
    case enumeratorOverflow = "D_DECL_ENOFLOW"
    case declarationBadClass = "D_DECL_BADCLASS"
    case declarationUseless = "D_DECL_USELESS"
    case declarationLocalAssociative = "D_DECL_LOCASSC"
    case declarationCharAttributes = "D_DECL_CHARATTR"
    case declarationVoidAttributes = "D_DECL_VOIDATTR"
    case declarationSignedness = "D_DECL_SIGNINT"
    case declarationLong = "D_DECL_LONGINT"
    case offsetofBitField = "D_OFFSETOF_BITFIELD"
    case addressOfBitField = "D_ADDROF_BITFIELD"
    case bitFieldConstant = "D_DECL_BFCONST"
    case bitFieldSize = "D_DECL_BFSIZE"
    case bitFieldType = "D_DECL_BFTYPE"
    case offsetofMember = "D_OFFSETOF_TYPE"
    case pragmaMalformed = "D_PRAGMA_MALFORM"
    case pragmaInvalid = "D_PRAGMA_INVAL"
    case pragmaError = "D_PRAGERR"
    case predicateNotScalar = "D_PRED_SCALAR"
    case operandVoidPointer = "D_OP_VFPTR"
    case declarationScope = "D_DECL_SCOPE"
    case allocaSize = "D_ALLOCA_SIZE"
    case allocaIncompatible = "D_ALLOCA_INCOMPAT"
    case declarationArrayTooBig = "D_DECL_ARRBIG"
    case declarationArrayNull = "D_DECL_ARRNULL"
    case arrayBadReference = "D_ARR_BADREF"
    case operandArrayOrFunction = "D_OP_ARRFUN"
    case attributesBelowMinimum = "D_ATTR_MIN"
    case functionDesignator = "D_FUNC_IDENT"
    case pragmaDepend = "D_PRAGMA_DEPEND"
    case pragmaUnused = "D_PRAGMA_UNUSED"
    case pragmaOptionSet = "D_PRAGMA_OPTSET"
    case controlDirectiveInvalid = "D_PRAGCTL_INVAL"
    case providerBadName = "D_PROV_BADNAME"
    case providerProbeRedeclared = "D_PROV_PRDUP"
    case providerIncompatible = "D_PROV_INCOMPAT"
    case providerArgumentsTooLong = "D_PROV_PRARGLEN"
    case prototypeVarargs = "D_DECL_PROTO_VARARGS"
    case prototypeVoid = "D_DECL_PROTO_VOID"
    case prototypeName = "D_DECL_PROTO_NAME"
    case prototypeForm = "D_DECL_PROTO_FORM"
    case prototypeType = "D_DECL_PROTO_TYPE"
}
