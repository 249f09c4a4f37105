// DTraceLanguage/ClauseActionOrder: DTrace's rules for the order of a clause's actions
// around speculations — speculate() first of all (before any data-recording action, once
// per clause), nothing but data after it (no aggregation, no destructive action, no
// exit()), commit() before any data-recording action and nothing recorded after it — each
// broken rule refused with DTrace's tag and message.

struct ClauseActionOrder {
    private(set) var speculated = false
    private var committed = false
    private var recorded = false

    /// Actions that change the system (refused after speculate()).
    static let destructive: Set<String> = ["raise", "stop", "panic", "breakpoint", "chill", "system", "freopen", "copyout", "copyoutstr"]

    mutating func admit(action name: String, line: Int) throws(Diagnostic) {
        switch name {
        case "speculate":
            if speculated { throw Diagnostic("D_SPEC_SPEC", "speculate( ) may not follow speculate( )", line: line) }
            if committed { throw Diagnostic("D_SPEC_COMM", "speculate( ) may not follow commit( )", line: line) }
            if recorded { throw Diagnostic("D_SPEC_DREC", "speculate( ) may not follow data-recording action(s)", line: line) }
            speculated = true
        case "commit":
            if recorded { throw Diagnostic("D_COMM_DREC", "commit( ) may not follow data-recording action(s)", line: line) }
            committed = true
        case "discard":
            break
        default:
            if speculated && Self.destructive.contains(name) {
                throw Diagnostic("D_ACT_SPEC", "destructive actions may not follow speculate( )", line: line)
            }
            if speculated && name == "exit" { throw Diagnostic("D_EXIT_SPEC", "exit( ) may not follow speculate( )", line: line) }
            if committed { throw Diagnostic("D_DREC_COMM", "data-recording actions may not follow commit( )", line: line) }
            if !speculated { recorded = true }
        }
    }

    mutating func admitAggregation(line: Int) throws(Diagnostic) {
        if committed { throw Diagnostic("D_AGG_COMM", "aggregating actions may not follow commit( )", line: line) }
        if speculated { throw Diagnostic("D_AGG_SPEC", "aggregating actions may not follow speculate( )", line: line) }
        recorded = true
    }
}
