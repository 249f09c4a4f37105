// DTraceCodegenTests/DeferredStringsTests: which copyinstr() reads at a system call's
// entry may be read again at its return (DeferredStrings.sites): only a string whose one
// use is the clause's record, with nothing after the read changing state but the record,
// at an entry probe; and which clauses may be run again at the return instead
// (ReplayedClauses.replays). (The reads themselves are tested on the kernel:
// KernelEngineTests.)

import DTraceCodegen
import DTraceIR
import DTraceLanguage
import Testing

@Suite struct DeferredStringsTests {
    static let entry = ProbeIdentity(id: 1, provider: "syscall", module: "vmlinux", function: "openat", name: "entry")
    static let ret = ProbeIdentity(id: 2, provider: "syscall", module: "vmlinux", function: "openat", name: "return")

    func sites(_ source: String, probe: ProbeIdentity = entry, stringSize: Int = 256) throws -> [DeferredStringSite] {
        let compiled = try Compiler.compile(source: source, options: .standard)
        return DeferredStrings.sites(in: compiled.program.clauses[0].function, probe: probe, stringSize: stringSize)
    }

    @Test(arguments: [
        ("syscall::openat:entry { printf(\"%s\\n\", copyinstr(arg1)); }", 1),
        ("syscall::openat:entry { trace(copyinstr(arg1)); }", 1),
        ("syscall::renameat:entry { printf(\"%s %s %d\\n\", copyinstr(arg1), copyinstr(arg3), pid); }", 2),
        ("syscall::openat:entry { @c = count(); printf(\"%s\\n\", copyinstr(arg1)); }", 1),  // a change before the read stays
    ])
    func readsOnlyRecordedAreDeferred(_ source: String, count: Int) throws {
        let found = try sites(source)
        #expect(found.count == count)
        #expect(found.allSatisfy { $0.recordOffset > 0 && $0.recordOffset + 257 <= 8 + 2 * 264 + 8 })
    }

    @Test(arguments: [
        "syscall::openat:entry { @[copyinstr(arg1)] = count(); }",                      // an aggregation key
        "syscall::openat:entry /copyinstr(arg1) == \"/etc/passwd\"/ { trace(pid); }",   // a predicate
        "syscall::openat:entry { self->path = copyinstr(arg1); }",                      // kept in a variable
        "syscall::openat:entry { printf(\"%s\\n\", copyinstr(arg1)); @c = count(); }",  // a change after the read
        "syscall::openat:entry { printf(\"%d\\n\", strlen(copyinstr(arg1))); }",        // used by a subroutine
        "syscall::openat:entry { printf(\"%s\\n\", copyinstr(arg1)); exit(0); }",        // exit() after it
        "syscall::openat:entry { speculate(speculation()); printf(\"%s\\n\", copyinstr(arg1)); }",
    ])
    func readsUsedOtherwiseAreNot(_ source: String) throws {
        #expect(try sites(source).isEmpty)
    }

    @Test func onlyAtEntriesAndWithRoomInTheSlot() throws {
        let source = "syscall::openat:entry { printf(\"%s\\n\", copyinstr(arg1)); }"
        #expect(try sites(source, probe: Self.ret).isEmpty, "at a return the page is in already")
        #expect(try sites(source, stringSize: 16).isEmpty, "a slot too small for the address and the fault's details")
    }

    func replays(_ source: String, probe: ProbeIdentity = entry) throws -> Bool {
        let compiled = try Compiler.compile(source: source, options: .standard)
        return ReplayedClauses.replays(compiled.program.clauses[0].function, probe: probe)
    }

    @Test(arguments: [
        "syscall::openat:entry { @[copyinstr(arg1)] = count(); }",
        "syscall::openat:entry /copyinstr(arg1) == \"/etc/passwd\"/ { trace(pid); }",
        "syscall::openat:entry /pid == 1/ { self->path = copyinstr(arg1); self->flags = arg2; }",
        "syscall::openat:entry { printf(\"%d \", pid); @[execname, copyinstr(arg1)] = count(); }", // the record goes at the end
        "syscall::openat:entry { self->ts = timestamp; self->path = copyinstr(arg1); }",  // set twice alike; the entry's time is noted
        "self int on; syscall::openat:entry /self->on/ { self->path = copyinstr(arg1); }", // read only
        "syscall::renameat:entry { this->from = copyinstr(arg1); this->to = copyinstr(arg3); @[this->from, this->to] = count(); }",
    ])
    func clausesChangingNothingBeforeTheirReadsAreReplayed(_ source: String) throws {
        #expect(try replays(source))
    }

    @Test(arguments: [
        "syscall::openat:entry { @c = count(); @[copyinstr(arg1)] = count(); }",          // a change before the read
        "syscall::openat:entry { self->n++; self->path = copyinstr(arg1); }",             // a variable changed before it
        "self int on; syscall::openat:entry /self->on/ { self->ts = timestamp; self->path = copyinstr(arg1); }", // read and set before it
        "syscall::openat:entry { @[copyinstr(arg1)] = count(); trace(copyinstr(arg2)); }", // a change before the second read
        "syscall::openat:entry { self->ts = vtimestamp; self->path = copyinstr(arg1); }", // the thread's CPU time
        "syscall::openat:entry { self->w = walltimestamp; self->path = copyinstr(arg1); }", // a later wall-clock time
        "syscall::openat:entry { @[copyinstr(arg1), stack()] = count(); }",               // the entry's stack
        "syscall::openat:entry { @[copyinstr(arg1)] = count(); self->e = errno; }",       // errno differs at the return
        "syscall::openat:entry { @c = count(); }",                                        // no read
        "syscall::openat:entry { @[cpu, copyinstr(arg1)] = count(); }",                   // the return's CPU may be another
        "syscall::openat:entry { @[cwd, copyinstr(arg1)] = count(); }",                   // and its directory
        "syscall::read:entry { @[copyinstr(arg1), *(int *)copyin(arg1, 4)] = count(); }", // the call writes what copyin() reads
        "string prev, cur; syscall::openat:entry { prev = cur; cur = \"x\"; @[copyinstr(arg1)] = count(); }", // a string copied and read
    ])
    func otherClausesAreNot(_ source: String) throws {
        #expect(try !replays(source))
    }

    @Test func replayedOnlyAtEntriesOfCallsReturningAlike() throws {
        #expect(try !replays("syscall::openat:return { @[copyinstr(arg1)] = count(); }", probe: Self.ret))
        let exec = ProbeIdentity(id: 3, provider: "syscall", module: "vmlinux", function: "execve", name: "entry")
        #expect(try !replays("syscall::execve:entry { @[copyinstr(arg0)] = count(); }", probe: exec), "a successful exec returns in another program")
        #expect(try sites("syscall::execve:entry { printf(\"%s\\n\", copyinstr(arg0)); }", probe: exec).isEmpty)
    }
}
