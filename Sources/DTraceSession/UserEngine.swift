// DTraceSession/UserEngine: runs a compiled program in the dtrace process — BEGIN, the
// profile timers, END, and (for the ptrace engine) probes hit in a traced thread — with
// the IR interpreter. It provides the probe context (built-in variables: dtrace's own, or
// the traced thread's), routes records to the consumer (directly or through speculation
// buffers), and turns faults into ERROR probe firings and DTrace's error lines.

import DTraceCodegen
import DTraceConsumer
import DTraceIR
import DTraceProviders
import DTraceSystem

public final class UserEngine: InterpreterEnvironment, StackSource {
    let program: IRProgram
    let machine: Machine
    let consumer: Consumer
    let interpreter: Interpreter
    let errors: OutputSink
    public private(set) var enablings: [Enabling]
    var current: Enabling?
    var currentArguments: [Int64] = Array(repeating: 0, count: 10)
    var providedArgumentCount = 10
    /// Reads an argument past those `fire` was given, when a clause asks for it (a traced
    /// function's stack arguments cost a read of the tracee's memory).
    public var lateArgument: ((Int) -> Int64)?
    public private(set) var exitRequested = false
    /// Signals raise() asked for in the probe firing now running.
    var pendingSignals: [Int64] = []
    var speculationBuffers: [Int64: [(Enabling, [UInt8])]] = [:]
    var activeSpeculations: Set<Int64> = []
    var pendingSpeculation: Int64 = 0
    /// speculation() calls that found no free speculation.
    var failedSpeculations = 0
    /// Each speculation's bytes as specsize counts them (records without room are drops),
    /// and the speculating clauses ended at specsize.
    var speculationRoom = SpeculationRoom<Int64>()
    var clausesEndedAtSpecsize: Int64 = 0
    let speculationLimit: Int
    var randomState: UInt64
    var inErrorProbe = false
    public private(set) var errorCount = 0
    lazy var executableName = Array(ProcessIdentity.executableName().utf8)
    /// The traced thread the probe now firing stopped (the ptrace engine); nil for the
    /// probes dtrace fires itself.
    public var firingThread: (any FiringThread)?
    /// errno of the probe now firing (a traced system call's failure), else 0.
    public var firingErrorNumber: Int64 = 0

    /// Aggregation drops already reported, by CPU.
    var reportedAggregationDrops: [Int: Int64] = [:]
    /// The principal buffer (bufsize): a firing's records wait in it until its clauses are
    /// done, as DTrace's consumer reads them after; those that do not fit are dropped and
    /// counted on their CPU.
    let bufferSize: Int
    var bufferedRecords: [(enabling: Enabling, cpu: Int32, bytes: [UInt8])] = []
    var bufferedBytes = 0
    var recordDrops: [Int: Int64] = [:]
    var reportedRecordDrops: [Int: Int64] = [:]

    public init(program: IRProgram, enablings: [Enabling], consumer: Consumer, errors: OutputSink, dynamicVariableBytes: Int, speculations: Int,
                aggregationBytes: Int, bufferBytes: Int = 4 << 20, subroutines: [String: any InterpretedSubroutine]) {
        self.bufferSize = bufferBytes
        self.program = program
        self.interpreter = Interpreter(subroutines: subroutines)
        self.enablings = enablings
        self.machine = Machine(program: program, dynamicVariableBytes: dynamicVariableBytes)
        self.consumer = consumer
        self.errors = errors
        self.speculationLimit = max(1, speculations)
        self.randomState = UInt64(bitPattern: SystemClock.monotonicNanoseconds()) | 1
        consumer.stackSource = self
        consumer.aggregations.keyLimits = program.aggregations.map { KernelLayout.aggregationCapacity($0, aggregationSize: aggregationBytes) }
    }

    /// Enables more probes while tracing (those of a library the traced process has just
    /// loaded), each for its clause, numbered after the others.
    public func add(_ probes: [(clause: Int, probe: Probe)]) -> [Enabling] {
        let added = probes.enumerated().map { Enabling(epid: enablings.count + $0.offset + 1, clause: $0.element.clause, probe: $0.element.probe) }
        enablings += added
        return added
    }

    /// Fires dtrace:::`name` (BEGIN, END), when a clause enables it.
    public func fireDTraceProbe(_ name: String) {
        if let probe = enablings.first(where: { DTraceProvider.isProbe($0.probe.identity, named: name) })?.probe { fire(probe) }
    }

    /// Fires every clause enabled on a probe, in program order; their records are read
    /// when the clauses are done.
    public func fire(_ probe: Probe, arguments: [Int64] = []) {
        machine.beginFiring()
        for enabling in enablings where enabling.probe.identity.id == probe.identity.id {
            if exitRequested && probe.identity.name != "END" && probe.identity.name != "ERROR" { break }
            run(enabling, arguments: arguments)
        }
        consumeBufferedRecords()
        consumer.flush()
        // As in DTrace, raise() takes effect when the probe's clauses are done.
        let signals = pendingSignals
        pendingSignals = []
        for signal in signals { SignalWatch.raiseInSelf(signal) }
    }

    func run(_ enabling: Enabling, arguments: [Int64]) {
        let saved = (current, currentArguments, providedArgumentCount)
        providedArgumentCount = arguments.count
        current = enabling
        for index in 0..<10 { currentArguments[index] = index < arguments.count ? arguments[index] : 0 }
        pendingSpeculation = 0
        cachedTimestamp = nil
        machine.beginClause()
        defer { current = saved.0; currentArguments = saved.1; providedArgumentCount = saved.2 }
        do {
            _ = try interpreter.run(program.clauses[enabling.clause].function, epid: enabling.epid, machine: machine, environment: self)
        } catch {
            errorCount += 1
            consumeBufferedRecords()
            consumer.flush()   // the records before the fault first, as the kernel engine prints them
            consumer.reportFault(clause: enabling.clause, probe: enabling.probe.identity, fault: error, errors: errors)
            if !inErrorProbe {
                inErrorProbe = true
                for errorEnabling in enablings where DTraceProvider.isProbe(errorEnabling.probe.identity, named: "ERROR") {
                    run(errorEnabling, arguments: enabling.errorProbeArguments(error))
                }
                inErrorProbe = false
            }
        }
    }

    // MARK: InterpreterEnvironment

    public func builtinValue(_ variable: BuiltinVariable) -> Int64 {
        if let thread = firingThread {
            switch variable {
            case .pid: return Int64(thread.processID)
            case .tid: return Int64(thread.threadID)
            case .ppid: return Int64(thread.parentProcessID)
            case .uid: return Int64(thread.userID)
            case .gid: return Int64(thread.groupID)
            case .cpu: return Int64(thread.cpu)
            case .vtimestamp: return thread.cpuTime
            default: break
            }
        }
        switch variable {
        // timestamp is read once for the whole firing, as DTrace reads it once per probe
        // firing; walltimestamp advances at every read, as DTrace's does.
        case .timestamp: return firingTimestamp()
        case .walltimestamp: return SystemClock.wallNanoseconds()
        case .vtimestamp: return SystemClock.threadCPUNanoseconds()
        case .pid: return Int64(ProcessIdentity.processID)
        case .ppid: return Int64(ProcessIdentity.parentProcessID)
        case .tid: return ProcessIdentity.threadID
        case .uid: return Int64(ProcessIdentity.userID)
        case .gid: return Int64(ProcessIdentity.groupID)
        case .cpu: return Int64(ProcessIdentity.currentCPU)
        case .id: return Int64(current?.probe.identity.id ?? 0)
        case .epid: return Int64(current?.epid ?? 0)
        case .errno: return firingErrorNumber
        case .arg0, .arg1, .arg2, .arg3, .arg4, .arg5, .arg6, .arg7, .arg8, .arg9:
            let index = Int(variable.rawValue.dropFirst(3))!
            return argument(Int64(index))
        case .ucaller:
            // A traced thread's caller (at a function's entry: the return address on top of the stack).
            guard let frames = firingThread?.userStack(), frames.count > 1 else { return 0 }
            return Int64(bitPattern: frames[1])
        case .ustackdepth: return Int64(min(firingThread?.userStack().count ?? 0, program.maxFrames))
        case .stackdepth, .caller, .ipl: return 0
        default: return 0
        }
    }

    public func builtinString(_ variable: BuiltinVariable) -> [UInt8] {
        let identity = current?.probe.identity
        switch variable {
        case .execname: return firingThread?.executableName ?? executableName
        case .probeprov: return Array((identity?.provider ?? "").utf8)
        case .probemod: return Array((identity?.module ?? "").utf8)
        case .probefunc: return Array((identity?.function ?? "").utf8)
        case .probename: return Array((identity?.name ?? "").utf8)
        case .zonename: return Array("global".utf8)
        case .root: return Array("/".utf8)
        case .cwd: return ProcessIdentity.workingDirectory
        default: return []
        }
    }

    public func argument(_ index: Int64) -> Int64 {
        guard index >= 0 && index < 10 else { return 0 }
        if index >= providedArgumentCount, let lateArgument { return lateArgument(Int(index)) }
        return currentArguments[Int(index)]
    }
    /// The probes dtrace fires itself (BEGIN, END, tick) interrupt no user thread.
    public func userRegister(_ index: Int64) -> Int64 {
        guard let thread = firingThread, let word = UserRegisters.userRegsWord(index), word < thread.registers.count else { return 0 }
        return Int64(bitPattern: thread.registers[word])
    }

    public func aggregate(_ aggregation: Int, key: [UInt8], value: Int64, increment: Int64) {
        consumer.aggregations.add(aggregation, key: key, value: value, increment: increment, cpu: Int(ProcessIdentity.currentCPU))
    }

    public func submitRecord(epid: Int, bytes: [UInt8]) {
        guard let current else { return }
        if pendingSpeculation != 0 {
            let size = consumer.program.clauses[current.clause].record.speculatedSize
            guard speculationRoom.admit(size, to: pendingSpeculation, limit: consumer.program.speculationSize) else { return }
            speculationBuffers[pendingSpeculation, default: []].append((current, bytes))
            return
        }
        buffer(current, cpu: recordCPU, bytes: bytes)
    }

    /// A record into the principal buffer, or a drop on its CPU when it does not fit.
    func buffer(_ enabling: Enabling, cpu: Int32, bytes: [UInt8]) {
        // The record as the kernel's ring holds it: its 8-byte header, dtrace's 16, the data.
        let size = (8 + RecordHeader.size + bytes.count + 7) & ~7
        guard bufferedBytes + size <= bufferSize else {
            recordDrops[Int(cpu), default: 0] += 1
            return
        }
        bufferedBytes += size
        bufferedRecords.append((enabling, cpu, bytes))
    }

    /// Hands the buffered records to the consumer, in order.
    func consumeBufferedRecords() {
        let records = bufferedRecords
        bufferedRecords = []
        bufferedBytes = 0
        for record in records {
            consumer.consume(clause: record.enabling.clause, probe: record.enabling.probe.identity, cpu: record.cpu, bytes: record.bytes)
        }
        if consumer.exitStatus != nil { exitRequested = true }
    }

    /// The CPU column of a record: the traced thread's CPU (read from /proc only when
    /// the column is shown), else dtrace's.
    var recordCPU: Int32 {
        if let thread = firingThread, !consumer.options.quiet { return thread.cpu }
        return ProcessIdentity.currentCPU
    }

    public func newSpeculation() -> Int64 {
        for id in 1...Int64(speculationLimit) where !activeSpeculations.contains(id) {
            activeSpeculations.insert(id)
            return id
        }
        failedSpeculations += 1
        return 0
    }

    public func speculate(_ id: Int64) -> Bool {
        guard activeSpeculations.contains(id) else { return false }
        pendingSpeculation = id
        return true
    }

    public func countSpeculativeDrop() { clausesEndedAtSpecsize += 1 }

    public func commit(_ id: Int64) throws(Fault) {
        guard id <= Int64(speculationLimit) else { throw Fault(kind: .illegalOperation) }
        guard activeSpeculations.remove(id) != nil else { return }
        speculationRoom.free(id)
        for (enabling, bytes) in speculationBuffers.removeValue(forKey: id) ?? [] {
            buffer(enabling, cpu: ProcessIdentity.currentCPU, bytes: bytes)
        }
    }

    public func discard(_ id: Int64) throws(Fault) {
        guard id <= Int64(speculationLimit) else { throw Fault(kind: .illegalOperation) }
        activeSpeculations.remove(id)
        speculationBuffers[id] = nil
        speculationRoom.free(id)
    }

    public func exit(status: Int64) { exitRequested = true }

    /// timestamp of the clause running now, read at its first use.
    var cachedTimestamp: Int64?

    func firingTimestamp() -> Int64 {
        if let cachedTimestamp { return cachedTimestamp }
        let time = SystemClock.monotonicNanoseconds()
        cachedTimestamp = time
        return time
    }
    public func raise(signal: Int64) { pendingSignals.append(signal) }

    public func randomValue() -> Int64 {
        randomState ^= randomState << 13; randomState ^= randomState >> 7; randomState ^= randomState << 17
        return Int64(truncatingIfNeeded: Int32(truncatingIfNeeded: randomState >> 16))
    }

    public func readTracee(address: Int64, size: Int) -> [UInt8]? {
        // A traced thread's memory; for dtrace's own probes, its scratch memory is the
        // only memory a clause can name.
        if let thread = firingThread { return thread.read(address: UInt64(bitPattern: address), count: size) }
        return try? machine.readBytes(at: address, count: size)
    }

    /// copyout: a traced thread's memory, written only where the program could write it.
    public func writeTracee(address: Int64, bytes: [UInt8]) -> Bool {
        guard let thread = firingThread else { return false }
        return (try? ProcessMemory(processID: thread.processID).writeHonouringProtection(bytes, at: UInt64(bitPattern: address))) ?? false
    }

    public var dynamicVariableDrops: Int { machine.dynamicVariableDrops }

    /// User stacks of traced threads, by id (each distinct stack once, so ids key aggregations).
    var userStacks: [[UInt64]] = []
    var userStackIDs: [[UInt64]: Int64] = [:]

    /// A traced thread's user stack; no kernel stack, and none for dtrace's own probes.
    public func stackID(user: Bool) -> Int64 {
        guard user, let thread = firingThread else { return -1 }
        consumer.userSymbols.remember(thread.processID)
        let frames = thread.userStack()
        if let id = userStackIDs[frames] { return id }
        let id = Int64(userStacks.count)
        userStacks.append(frames)
        userStackIDs[frames] = id
        return id
    }

    /// The traced process's mappings are read while it runs (dtrace's own are read as needed).
    public func noteUserAddresses() {
        if let thread = firingThread { consumer.userSymbols.remember(thread.processID) }
    }

    public func frames(ofStack id: Int64) -> [UInt64] {
        id >= 0 && id < userStacks.count ? userStacks[Int(id)] : []
    }

    /// Says how many dynamic variables were dropped and how many speculations failed, as
    /// dtrace does at the end.
    func reportDrops() {
        for (cpu, count) in recordDrops.sorted(by: { $0.key < $1.key }) where count > reportedRecordDrops[cpu, default: 0] {
            consumer.reportDrops(count - reportedRecordDrops[cpu, default: 0], of: .records, cpu: cpu, errors: errors)
            reportedRecordDrops[cpu] = count
        }
        for (cpu, count) in consumer.aggregations.drops.sorted(by: { $0.key < $1.key }) where count > reportedAggregationDrops[cpu, default: 0] {
            consumer.reportDrops(count - reportedAggregationDrops[cpu, default: 0], of: .aggregations, cpu: cpu, errors: errors)
            reportedAggregationDrops[cpu] = count
        }
        let drops = dynamicVariableDrops
        if drops > 0 { consumer.reportDrops(Int64(drops), of: .dynamicVariables, errors: errors) }
        if failedSpeculations > 0 { consumer.reportDrops(Int64(failedSpeculations), of: .failedSpeculations, errors: errors) }
        let speculativeDrops = clausesEndedAtSpecsize + speculationRoom.drops
        if speculativeDrops > 0 { consumer.reportDrops(speculativeDrops, of: .speculativeDrops, errors: errors) }
        errors.flush()
    }
}
