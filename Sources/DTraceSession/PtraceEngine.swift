// DTraceSession/PtraceEngine: the ptrace engine — probes in the -c or -p process fired
// without the kernel's tracing machinery, so any user can trace their own processes.
// The process is traced with DTracePtrace (a -c command seized before its exec, a -p
// process thread by thread); each enabled probe's provider names its sites
// (`TracedProbe`): int3 breakpoints on instructions, function returns (a breakpoint on the
// entry that plants one on the return address the call pushed, matched by thread and
// stack pointer), system calls (PTRACE_SYSCALL stops). At a hit the clauses run in the IR
// interpreter (`UserEngine`, with the stopped thread as `firingThread`), then the
// displaced instruction is emulated or stepped out of line (`DisplacedInstructions`) and
// the thread goes on; the breakpoints never leave the code while the process runs.
// Libraries a -c command has yet to load are probed as the dynamic linker maps them
// (system-call stops at its mmaps until the entry point), before their relocation and
// initializers run; those it loads later (dlopen), at a breakpoint where the linker says
// its list of objects changed (`LibraryWatch`), before dlopen() returns.
// At the end a -c command is killed (as dtrace -c ends its command), a -p process is
// left as it was: breakpoints and semaphores restored, threads detached — and, should
// dtrace be killed before it can do so, its guardian (DTracePtrace's Guardian) does.

import DTraceConsumer
import DTraceELF
import DTraceIR
import DTraceProviders
import DTracePtrace
import DTraceSystem

/// A traced thread stopped at a probe, as the clauses see it (a class: passed around as
/// `any FiringThread` without a box of its own on every hit). At a system call's stop the
/// registers are read only when a clause asks for one the stop did not tell (its number
/// and arguments come with an entry stop).
final class TracedThreadView: FiringThread {
    let process: TracedProcess
    let threadID: Int32
    let executableName: [UInt8]
    var isAtFunctionEntry = false
    let facts: ProcessFacts
    private var fetched: [UInt64]?
    /// A system call's number and its six arguments, from its entry stop.
    private let systemCall: (number: UInt64, arguments: [UInt64])?

    init(process: TracedProcess, threadID: Int32, registers: [UInt64]?, systemCall: (number: UInt64, arguments: [UInt64])? = nil,
         executableName: [UInt8], facts: ProcessFacts) {
        self.process = process; self.threadID = threadID; self.fetched = registers; self.executableName = executableName; self.facts = facts
        self.systemCall = systemCall.flatMap { $0.arguments.count == 6 ? $0 : nil }
    }

    /// Every register (read from the thread the first time one the stop did not tell is
    /// wanted; zeros if the thread has vanished meanwhile).
    var registers: [UInt64] {
        if let fetched { return fetched }
        let words = (try? process.registers(of: threadID).words) ?? [UInt64](repeating: 0, count: TraceeRegisters.wordCount)
        fetched = words
        return words
    }

    func register(atSavedOffset offset: Int) -> UInt64 {
        if fetched == nil, let systemCall {
            switch offset {
            case SavedRegisters.rdi: return systemCall.arguments[0]
            case SavedRegisters.rsi: return systemCall.arguments[1]
            case SavedRegisters.rdx: return systemCall.arguments[2]
            case SavedRegisters.r10: return systemCall.arguments[3]
            case SavedRegisters.r8: return systemCall.arguments[4]
            case SavedRegisters.r9: return systemCall.arguments[5]
            case SavedRegisters.originalRAX: return systemCall.number
            default: break
            }
        }
        let index = offset / 8
        let words = registers
        return index >= 0 && index < words.count ? words[index] : 0
    }
    var processID: Int32 { process.processID }
    var parentProcessID: Int32 { facts.status?.parentProcessID ?? 0 }
    var userID: Int32 { facts.status?.userID ?? -1 }
    var groupID: Int32 { facts.status?.groupID ?? -1 }
    var cpu: Int32 { ProcessThreads.lastCPU(of: threadID, inProcess: processID) ?? 0 }
    var cpuTime: Int64 { ProcessThreads.cpuTime(of: threadID, inProcess: processID) ?? 0 }
    func read(address: UInt64, count: Int) -> [UInt8]? {
        guard let bytes = try? process.readMemory(at: address, count: count), bytes.count == count else { return nil }
        return bytes
    }
}

/// What /proc says of the traced process (ppid, uid, gid), read the first time a clause
/// asks, again after an exec.
final class ProcessFacts {
    let processID: Int32
    init(processID: Int32) { self.processID = processID }
    lazy var status: ProcessThreads.Status? = ProcessThreads.status(of: processID)
}

final class PtraceEngineRun: Engine {
    /// One enabled probe and how it is traced.
    struct TracedEnabling {
        var probe: Probe
        var traced: TracedProbe
    }

    /// What a breakpoint address is for.
    enum SiteUse {
        /// Probe `probe` fires here (its site `site`).
        case instruction(probe: Int, site: Int)
        /// The entry of a function whose return probe `probe` is enabled.
        case returnEntry(probe: Int, site: Int)
    }

    /// A call whose return is awaited: the breakpoint on its return address, and the
    /// stack pointer the return leaves.
    struct PendingReturn {
        var address: UInt64
        var stackPointer: UInt64
        var probes: [(probe: Int, site: Int)]
    }

    let engine: UserEngine
    let target: TargetProcess
    let process: TracedProcess
    let errors: OutputSink
    var probes: [TracedEnabling]
    /// Descriptions of the process's code matched again when the dynamic linker changes
    /// its list of objects (at `linkerBreakpoint`), the catalogue they are matched in, and
    /// who is told of the enablings added.
    let libraryWatch: LibraryWatch?
    let catalog: ProbeCatalog
    let enablingsAdded: ([Enabling]) -> Void
    var linkerBreakpoint: UInt64?
    /// The mapped objects sites were placed in, by copy ("device:inode@base": a file may be
    /// mapped twice): their address ranges, to forget their breakpoints when unmapped.
    var placedObjects: [String: [Range<UInt64>]] = [:]
    var timers = ProbeTimers(enablings: [], start: 0)
    /// When the wake timer next fires for a due timer (nil: at its period).
    var wakeDeadline: Int64?
    let displaced = DisplacedInstructions()

    var uses: [UInt64: [SiteUse]] = [:]
    /// System-call sites noted, by [probe, site].
    var resolvedSites: Set<[Int]> = []
    /// Breakpoints placed for sites and semaphores raised, by [probe, site, address].
    var placedSites: Set<[UInt64]> = []
    var raisedSemaphores: [UInt64: Int] = [:]
    var raisedSemaphoreSites: Set<[UInt64]> = []
    /// A breakpoint on the executable's entry point while libraries are still to load.
    var loaderBreakpoint: UInt64?
    /// A -c command's evaltime still to come (postinit: its entry point; main: main()):
    /// until then none of its probes fires, as DTrace enables them only there.
    var evaluationPending: EvaluationTime?
    /// main() of the executable (from its symbols), and the breakpoint put there for evaltime=main.
    var mainAddress: UInt64?
    var evaluationBreakpoint: UInt64?
    /// Until a -c command reaches its entry point, every system call stops (PTRACE_SYSCALL)
    /// and each mmap's return places the sites in what the dynamic linker has just mapped,
    /// so libraries are probed before their relocation and initializers run.
    var watchingStartup = false
    var pendingReturns: [Int32: [PendingReturn]] = [:]
    /// System call number -> the probes at its entry and its return.
    var systemCallProbes: [Int: (entry: [Int], exit: [Int])] = [:]
    /// The call each thread is in (from its entry stop), for the return probes.
    var callInProgress: [Int32: Int] = [:]
    var threadNames: [Int32: [UInt8]] = [:]
    lazy var facts = ProcessFacts(processID: process.processID)
    var failure: String?
    /// Leaves a -p process healthy if dtrace is killed.
    var guardian: Guardian?
    /// The command's seccomp filter stops it at the probed system calls (else
    /// PTRACE_SYSCALL stops every call).
    var filtersSystemCalls = false

    init(_ engine: UserEngine, target: TargetProcess, evaluationTime: EvaluationTime, errors: OutputSink,
         libraryWatch: LibraryWatch?, catalog: ProbeCatalog, enablingsAdded: @escaping ([Enabling]) -> Void) throws(SessionError) {
        self.engine = engine
        self.target = target
        self.errors = errors
        self.libraryWatch = libraryWatch
        self.catalog = catalog
        self.enablingsAdded = enablingsAdded
        var probes: [TracedEnabling] = []
        var seen = Set<Int>()
        for enabling in engine.enablings where seen.insert(enabling.probe.identity.id).inserted {
            guard let traced = enabling.probe.provider.tracedProbe(for: enabling.probe) else { continue }
            probes.append(TracedEnabling(probe: enabling.probe, traced: traced))
        }
        self.probes = probes
        let name = target.executablePath ?? "process \(target.processID)"
        // A -c command's system calls stop only where probes are: a seccomp filter the
        // command installs before its exec (-p: every call stops, PTRACE_SYSCALL).
        let numbers = Set(probes.flatMap { $0.traced.sites.compactMap { site -> Int? in
            if case .systemCall(let number, _) = site { return number }
            return nil
        } })
        let filter = target.isHeld && !numbers.isEmpty ? try? SeccompFilter(tracing: numbers) : nil
        do {
            if target.isHeld {
                process = try TracedProcess.adopt(heldProcessID: target.processID, name: name, options: TraceOptions(seccompStops: filter != nil),
                                                  release: { if let filter { target.release(installing: filter) } else { target.release() } })
                filtersSystemCalls = filter != nil && target.systemCallFilterState() == .installed
            } else {
                process = try TracedProcess.attach(pid: target.processID)
                // Should dtrace die without detaching (SIGKILL), the guardian restores the
                // process; a -c command dies with dtrace instead (PTRACE_O_EXITKILL).
                guardian = try? Guardian.start(for: process)
            }
        } catch {
            throw SessionError("failed to grab pid \(target.processID): \(Self.reason(error))")
        }
        target.noteTraced()
        if libraryWatch != nil { catalog.processStarted(target.processID) }
        do {
            try resolveSites(afterExec: target.isChild)
        } catch {
            throw SessionError("failed to enable probes in pid \(target.processID): \(Self.reason(error))")
        }
        // Adopted past its exec: preinit is here; postinit and main are still to come.
        if target.isChild && loaderBreakpoint != nil && (evaluationTime == .postinit || evaluationTime == .main) {
            evaluationPending = evaluationTime
        }
    }

    static let mmapNumber = SyscallNumbers.x86_64["mmap"] ?? 9

    static func reason(_ error: PtraceError) -> String {
        if case .system(let system) = error { return system.reason }
        return error.description
    }

    var exitRequested: Bool { engine.exitRequested || failure != nil }

    func go() {
        engine.fireDTraceProbe("BEGIN")
        timers = ProbeTimers(enablings: engine.enablings, start: SystemClock.monotonicNanoseconds())
        guard !engine.exitRequested else { return }
        process.waitsForAnyChild = true
        // A return probe reads the value from the registers, only when one fires.
        process.readsSystemCallExits = false
        do {
            try WakeTimer.start(periodNanoseconds: Self.wakePeriod)
            try process.resumeAll()
        } catch let error as PtraceError { fail(error) } catch { fail(.unexpected("\(error)")) }
    }

    func work(wakingOn descriptor: Int32) {
        do throws(PtraceError) { try workOnce() } catch .processEnded {} catch { fail(error) }
    }

    func workOnce() throws(PtraceError) {
        if let probe = timers.takeDue(now: SystemClock.monotonicNanoseconds()) {
            engine.fire(probe)
            return
        }
        if process.hasEnded {
            SystemClock.sleep(nanoseconds: 1_000_000)
            return
        }
        // The wait blocks until an event or the wake timer's signal: every 50 ms (a SIGINT
        // is seen that soon), or at the next tick/profile firing and every millisecond
        // after it. The timer is moved only when that time changes, not armed per wait.
        let due = timers.nextDue
        if due != wakeDeadline {
            do {
                try WakeTimer.move(to: due, periodNanoseconds: Self.wakePeriod)
                wakeDeadline = due
            } catch {
                try handle(process.waitForEvent(deadline: due))
                return
            }
        }
        try handle(process.waitForEvent(interruptible: true))
    }

    /// How often the wake timer interrupts a wait when no timer is due.
    static let wakePeriod: Int64 = 50_000_000

    func fail(_ error: PtraceError) {
        guard failure == nil else { return }
        failure = "\(error)"
        errors.write("dtrace: tracing pid \(process.processID) failed: \(error)\n")
        errors.flush()
    }

    func stop() {
        engine.fireDTraceProbe("END")
        engine.reportDrops()
    }

    func close() {
        WakeTimer.stop()
        defer { guardian?.dismiss() }
        guard !process.hasEnded else { return }
        if target.isChild {
            // dtrace -c ends its command with the session.
            process.kill()
            return
        }
        do {
            for (address, count) in raisedSemaphores { try adjustSemaphore(at: address, by: -count) }
            try process.detach()
        } catch {
            errors.write("dtrace: failed to release pid \(process.processID): \(error)\n")
            errors.flush()
        }
    }

    // MARK: events

    func handle(_ event: TraceEvent) throws(PtraceError) {
        let thread = event.thread
        switch event.kind {
        case .breakpoint(let address, let registers):
            try hitBreakpoint(thread: thread, at: address, registers: registers)
        case .systemCallEntry(let number, _) where filtersSystemCalls:
            // While the startup is watched: the seccomp stop that follows fires the probes.
            callInProgress[thread] = Int(number)
        case .systemCallEntry(let number, let arguments), .seccomp(let number, let arguments, _):
            callInProgress[thread] = Int(number)
            let probes = systemCallProbes[Int(number)]
            if let entry = probes?.entry, !entry.isEmpty {
                try fire(entry.map { ($0, 0) }, in: thread, registers: nil, systemCall: (number, arguments))
            }
            if case .seccomp = event.kind, probes?.exit.isEmpty == false {
                // Its return: the exit stop that PTRACE_SYSCALL asks for.
                try process.resume(thread: thread, toSystemCallStop: true)
                return
            }
        case .systemCallExit, .systemCallExitUnread:
            let number = callInProgress.removeValue(forKey: thread)
            if let number, let exit = systemCallProbes[number]?.exit, !exit.isEmpty {
                try fire(exit.map { ($0, 0) }, in: thread, registers: nil)
            }
            if watchingStartup && number == Self.mmapNumber { try resolveSites(afterExec: false) }
        case .forked(let child, _):
            // A child with the seccomp filter stays traced: untraced, its filtered calls would fail.
            try process.removeBreakpoints(inChild: child, keepTracing: filtersSystemCalls)
        case .exec(let formerThread):
            // DTrace's pid and USDT probes do not follow a process into a new program.
            // The execve itself returns in the new one, under the process's id.
            let execve = callInProgress[formerThread]
            uses = [:]
            pendingReturns = [:]
            raisedSemaphores = [:]
            loaderBreakpoint = nil
            linkerBreakpoint = nil
            placedObjects = [:]
            displaced.forgetAll()
            threadNames = [:]
            facts = ProcessFacts(processID: process.processID)
            callInProgress = [:]
            callInProgress[thread] = execve
            if let execve, systemCallProbes[execve]?.exit.isEmpty == false {
                // Its exit stop is still to come: PTRACE_SYSCALL again from the exec stop.
                try process.resume(thread: thread, toSystemCallStop: true)
                return
            }
        case .threadExited:
            for frame in pendingReturns[thread] ?? [] { try process.removeBreakpoint(at: frame.address) }
            pendingReturns[thread] = nil
            threadNames[thread] = nil
            callInProgress[thread] = nil
            return
        case .exited(let code):
            target.noteEnded(exitCode: code)
            return
        case .killed(let signal):
            target.noteEnded(signal: signal)
            return
        case .timedOut:
            return
        case .singleStep, .threadCreated, .vforkDone, .signal, .groupStop:
            break
        }
        try process.resume(thread: thread)
    }

    func hitBreakpoint(thread: Int32, at address: UInt64, registers: TraceeRegisters) throws(PtraceError) {
        if address == evaluationBreakpoint { evaluationPending = nil }
        var atSite = registers
        atSite.rip = address
        // A return awaited here by this thread (frames left by longjmp or an exception
        // are dropped on the way).
        var returned: PendingReturn?
        var abandoned: [UInt64] = []
        if var frames = pendingReturns[thread] {
            while let top = frames.last, top.stackPointer < atSite.rsp {
                abandoned.append(top.address)
                frames.removeLast()
            }
            if let top = frames.last, top.address == address, top.stackPointer == atSite.rsp {
                returned = frames.removeLast()
            }
            pendingReturns[thread] = frames.isEmpty ? nil : frames
        }
        if let returned { try fire(returned.probes, in: thread, registers: atSite) }
        var entries: [(probe: Int, site: Int)] = []
        var returnProbes: [(probe: Int, site: Int)] = []
        for use in uses[address] ?? [] {
            switch use {
            case .instruction(let probe, let site): entries.append((probe, site))
            case .returnEntry(let probe, let site): returnProbes.append((probe, site))
            }
        }
        if !entries.isEmpty { try fire(entries, in: thread, registers: atSite) }
        if !returnProbes.isEmpty, let word = try? process.readMemory(at: atSite.rsp, count: 8), word.count == 8 {
            let returnAddress = word.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            try process.insertBreakpoint(at: returnAddress)
            pendingReturns[thread, default: []].append(PendingReturn(address: returnAddress, stackPointer: atSite.rsp &+ 8, probes: returnProbes))
        }
        if address == linkerBreakpoint, let mapped = mappedCopies() {
            forgetUnmappedObjects(mapped: mapped)
            let added = enableProbesOfNewFiles()
            // Sites to place: in what was just mapped (again), or of the probes just added.
            if added || mapped.contains(where: { placedObjects[$0] == nil }) { try resolveSites(afterExec: false) }
        }
        guard try displaced.execute(in: process, thread: thread, at: address, registers: registers) else { return }
        if returned != nil { try process.removeBreakpoint(at: address) }
        for frame in abandoned { try process.removeBreakpoint(at: frame) }
        if address == evaluationBreakpoint {
            evaluationBreakpoint = nil
            try process.removeBreakpoint(at: address)
        }
        if address == loaderBreakpoint {
            if evaluationPending == .main, let mainAddress {
                try process.insertBreakpoint(at: mainAddress)
                evaluationBreakpoint = mainAddress
            } else {
                evaluationPending = nil
            }
            loaderBreakpoint = nil
            try process.removeBreakpoint(at: address)
            try resolveSites(afterExec: false)
            if watchingStartup {
                watchingStartup = false
                process.tracesSystemCalls = !systemCallProbes.isEmpty && !filtersSystemCalls
            }
        }
    }

    /// Runs the clauses of `members` (probe index, site index) for `thread`, stopped with
    /// `registers` (nil: read if a clause asks; at a call's entry its number and arguments
    /// are known), in enabling order.
    func fire(_ members: [(probe: Int, site: Int)], in thread: Int32, registers: TraceeRegisters?,
              systemCall: (number: UInt64, arguments: [UInt64])? = nil) throws(PtraceError) {
        guard evaluationPending == nil else { return }
        let view = TracedThreadView(process: process, threadID: thread, registers: registers?.words, systemCall: systemCall,
                                    executableName: name(of: thread), facts: facts)
        defer { engine.firingThread = nil; engine.firingErrorNumber = 0; engine.lateArgument = nil }
        let ordered = members.count == 1 ? members : members.sorted { probes[$0.probe].probe.identity.id < probes[$1.probe].probe.identity.id }
        for member in ordered {
            let traced = probes[member.probe].traced
            view.isAtFunctionEntry = traced.firesAtFunctionEntry
            engine.firingThread = view
            engine.firingErrorNumber = traced.errorNumber(view)
            engine.lateArgument = traced.laterArgument.map { later in { index in later(view, index) } }
            engine.fire(probes[member.probe].probe, arguments: traced.arguments(view, member.site))
        }
    }

    func name(of thread: Int32) -> [UInt8] {
        if let name = threadNames[thread] { return name }
        let text = SystemFiles.readSmallTextFile("/proc/\(process.processID)/task/\(thread)/comm", limit: 64) ?? ""
        let name = Array((text.hasSuffix("\n") ? String(text.dropLast()) : text).utf8)
        threadNames[thread] = name
        return name
    }

    // MARK: sites

    /// The copies of files the process maps now ("device:inode@base", the base being
    /// where file offset 0 is mapped); nil when its mappings cannot be read.
    func mappedCopies() -> Set<String>? {
        guard case .success(let mappings) = ProcessMappings.read(pid: process.processID) else { return nil }
        return Set(mappings.filter { $0.isFile && $0.fileOffset == 0 }.map { "\($0.fileKey)@\($0.start)" })
    }

    /// Objects the process has unmapped (dlclose): their breakpoints are forgotten (the
    /// code is gone: nothing is to be restored there), and their sites are placed again
    /// should they be mapped again.
    func forgetUnmappedObjects(mapped: Set<String>) {
        for (copy, ranges) in placedObjects where !mapped.contains(copy) {
            for range in ranges {
                process.forgetBreakpoints(in: range)
                displaced.forget(in: range)
                uses = uses.filter { !range.contains($0.key) }
                for (address, _) in raisedSemaphores where range.contains(address) { raisedSemaphores[address] = nil }
                placedSites = placedSites.filter { !range.contains($0[2]) }
                raisedSemaphoreSites = raisedSemaphoreSites.filter { !range.contains($0[2]) }
            }
            placedObjects[copy] = nil
        }
    }

    /// The dynamic linker is changing the process's list of objects: the probes the
    /// descriptions match in files it maps now and did not before are enabled, their
    /// sites placed next (the thread that called dlopen() waits here, holding the
    /// linker's lock, until they are).
    func enableProbesOfNewFiles() -> Bool {
        guard let libraryWatch, !engine.exitRequested, let found = libraryWatch.probesInNewFiles(catalog: catalog, enabled: engine.enablings),
              !found.probes.isEmpty else { return false }
        let added = engine.add(found.probes)
        enablingsAdded(added)
        var known = Set(probes.map(\.probe.identity.id))
        for enabling in added where known.insert(enabling.probe.identity.id).inserted {
            guard let traced = enabling.probe.provider.tracedProbe(for: enabling.probe) else { continue }
            probes.append(TracedEnabling(probe: enabling.probe, traced: traced))
        }
        return true
    }

    /// Places the breakpoints of every site in an object the process has mapped, raises
    /// semaphores, and notes the system calls to stop at. Right after exec, libraries the
    /// dynamic linker has yet to load are waited for at the executable's entry point.
    func resolveSites(afterExec: Bool) throws(PtraceError) {
        // Shadow stacks are turned on by the dynamic linker: known once it has run (-p,
        // or the entry point of a -c command).
        if !afterExec { displaced.shadowStacks = DisplacedInstructions.processUsesShadowStacks(process.processID) }
        let mapped: [MappedObject]
        switch ProcessMappings.mappedObjects(pid: process.processID) {
        case .success(let objects): mapped = objects.objects
        case .failure(let error): throw .system(error)
        }
        // A file may be mapped more than once (dlmopen): a site is in each copy.
        var objects: [String: [MappedObject]] = [:]
        for object in mapped {
            objects[SystemFiles.realPath(object.path) ?? object.path, default: []].append(object)
            placedObjects["\(object.fileKey)@\(object.base)"] = object.mappings.map { $0.start..<$0.end }
        }
        func addresses(_ path: String, _ fileOffset: UInt64) -> [UInt64] {
            (objects[SystemFiles.realPath(path) ?? path] ?? []).compactMap { object in
                object.object.address(ofFileOffset: fileOffset).map { $0 &+ object.loadBias }
            }
        }
        if libraryWatch != nil, linkerBreakpoint == nil, let site = UserObjects.linkerSite(of: process.processID, in: catalog.environment),
           let siteAddress = addresses(site.path, site.fileOffset).first {
            try process.insertBreakpoint(at: siteAddress)
            linkerBreakpoint = siteAddress
        }
        for (index, enabling) in probes.enumerated() {
            for (siteIndex, site) in enabling.traced.sites.enumerated() where !resolvedSites.contains([index, siteIndex]) {
                switch site {
                case .instruction(let path, let fileOffset), .functionReturn(let path, let fileOffset):
                    for siteAddress in addresses(path, fileOffset) where placedSites.insert([UInt64(index), UInt64(siteIndex), siteAddress]).inserted {
                        if case .functionReturn = site {
                            uses[siteAddress, default: []].append(.returnEntry(probe: index, site: siteIndex))
                        } else {
                            uses[siteAddress, default: []].append(.instruction(probe: index, site: siteIndex))
                        }
                        try process.insertBreakpoint(at: siteAddress)
                    }
                case .systemCall(let number, let returns):
                    var calls = systemCallProbes[number] ?? ([], [])
                    if returns { calls.exit.append(index) } else { calls.entry.append(index) }
                    systemCallProbes[number] = calls
                    process.tracesSystemCalls = !filtersSystemCalls
                    resolvedSites.insert([index, siteIndex])
                }
            }
            for (semaphoreIndex, semaphore) in enabling.traced.semaphores.enumerated() {
                for semaphoreAddress in addresses(semaphore.path, semaphore.fileOffset)
                where raisedSemaphoreSites.insert([UInt64(index), UInt64(semaphoreIndex), semaphoreAddress]).inserted {
                    try adjustSemaphore(at: semaphoreAddress, by: 1)
                    raisedSemaphores[semaphoreAddress, default: 0] += 1
                }
            }
        }
        // (Also when every site is placed: shadow stacks are looked for there.)
        if afterExec, let executable = mapped.first(where: \.isExecutable) {
            let entry = executable.object.entryPoint &+ executable.loadBias
            try process.insertBreakpoint(at: entry)
            loaderBreakpoint = entry
            mainAddress = executable.object.functions.first { $0.name == "main" }.map { $0.address &+ executable.loadBias }
            // A dynamic linker is there: it maps the libraries next.
            if mapped.contains(where: { !$0.isExecutable }) && probes.contains(where: { $0.traced.sites.contains { !$0.isSystemCall } }) {
                watchingStartup = true
                process.tracesSystemCalls = true
            }
        }
    }

    /// Adds `delta` to the 2-byte USDT semaphore at `address`.
    func adjustSemaphore(at address: UInt64, by delta: Int) throws(PtraceError) {
        let bytes = try process.readMemory(at: address, count: 2)
        guard bytes.count == 2 else { return }
        let value = UInt16(truncatingIfNeeded: Int(UInt16(bytes[0]) | UInt16(bytes[1]) << 8) + delta)
        try process.writeMemory([UInt8(value & 0xff), UInt8(value >> 8)], at: address)
    }
}
