// DTraceSystem/GuardianChannel: the tracer's side of the guardian process (CLinux/guardian.c)
// — starting it from the tracing thread, the records it is sent on its socket
// (`GuardianRecord`), the continuations published in the memory it shares with the tracer
// (written without a system call, on a breakpoint hit's path), dismissing it, and the
// trap handler's machine code and page layout, which DTracePtrace places in a traced
// process. What the records mean and when to send them is DTracePtrace's (Guardian.swift).

import CLinux
import Glibc

/// One record for the guardian: a kind and three words (see `clinux_guardian_kind`).
public struct GuardianRecord: Equatable, Sendable {
    public enum Kind: UInt32, Sendable {
        /// a: the process's start time.
        case watch = 2
        /// Breakpoints, scratch page, copies and trap handler gone (exec).
        case forget = 3
        /// No longer in its care.
        case release = 4
        /// a: address, b: original byte — before the int3 is written.
        case breakpoint = 5
        /// a: address whose original byte is back.
        case removed = 6
        /// a: address, b: size of the scratch page (0: unmapped).
        case scratch = 7
        /// a: scratch address, b: length, c: original address of a copy stepped there.
        case slot = 8
        /// a: the trap handler's page (0: none).
        case handler = 9
    }

    public var kind: Kind
    public var processID: Int32
    public var a: UInt64
    public var b: UInt64
    public var c: UInt64

    public init(_ kind: Kind, processID: Int32, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0) {
        self.kind = kind
        self.processID = processID
        self.a = a
        self.b = b
        self.c = c
    }
}

/// The guardian process of the calling thread, and the way to it.
public final class GuardianChannel {
    /// What the tracer publishes about a thread it has stopped.
    public enum Continuation: Sendable {
        /// The registers it set (a displaced instruction emulated or stepped).
        case chosen(registers: [UInt64])
        /// A PTRACE_SINGLESTEP under way.
        case stepping
        /// A signal taken from the program at a stop, to be delivered on resume.
        case owed(signal: Int32)
    }

    /// The guardian's pid.
    public let processID: Int32
    /// The thread it watches (the one that started it).
    public let tracerThread: Int32
    /// 0 when the guardian traces the thread (it holds it at its exit); else the errno of
    /// its PTRACE_SEIZE (EPERM: the thread is traced already, or Yama forbids it).
    public let seizeError: Int32
    public var holdsTracer: Bool { seizeError == 0 }
    /// How many threads can have a continuation at once.
    public static let continuationCapacity = Int(CLINUX_GUARDIAN_CONTINUATIONS)

    private var descriptor: Int32
    private let continuations: UnsafeMutablePointer<clinux_guardian_continuation>
    private var sequence: UInt64 = 0

    private init(descriptor: Int32, processID: Int32, tracerThread: Int32, seizeError: Int32,
                 continuations: UnsafeMutablePointer<clinux_guardian_continuation>) {
        self.descriptor = descriptor
        self.processID = processID
        self.tracerThread = tracerThread
        self.seizeError = seizeError
        self.continuations = continuations
    }

    deinit {
        close()
        munmap(continuations, GuardianChannel.continuationCapacity * MemoryLayout<clinux_guardian_continuation>.stride)
    }

    /// Starts the guardian of the calling thread (clinux_guardian_start). `report`: a
    /// descriptor it keeps and writes one line to per recovery or dismissal (-1: none).
    public static func start(report: Int32 = -1) throws(SystemError) -> GuardianChannel {
        var descriptor: Int32 = -1
        var pid: Int32 = 0
        var seizeError: Int32 = 0
        var area: UnsafeMutablePointer<clinux_guardian_continuation>?
        let tracer = Int32(truncatingIfNeeded: clinux_gettid())
        guard clinux_guardian_start(report, &descriptor, &pid, &seizeError, &area) == 0, let area else {
            throw SystemError("start the guardian")
        }
        return GuardianChannel(descriptor: descriptor, processID: pid, tracerThread: tracer, seizeError: seizeError, continuations: area)
    }

    /// Whether the socket is still open (not dismissed, closed, or broken).
    public var isOpen: Bool { descriptor >= 0 }

    /// Sends records, in order. A failure closes the channel (the guardian is gone).
    public func send(_ records: [GuardianRecord]) throws(SystemError) {
        guard descriptor >= 0 else { throw SystemError("guardian \(processID)", code: EPIPE) }
        guard !records.isEmpty else { return }
        let raw = records.map { clinux_guardian_record(kind: $0.kind.rawValue, pid: $0.processID, a: $0.a, b: $0.b, c: $0.c) }
        guard clinux_guardian_send(descriptor, raw, UInt32(raw.count)) == 0 else {
            let error = SystemError("send to guardian \(processID)")
            close()
            throw error
        }
    }

    /// Returns once the guardian has read every record sent before.
    public func sync(timeoutMilliseconds: Int32 = 5000) throws(SystemError) {
        guard descriptor >= 0 else { throw SystemError("guardian \(processID)", code: EPIPE) }
        sequence += 1
        guard clinux_guardian_exchange(descriptor, UInt32(CLINUX_GUARDIAN_SYNC.rawValue), sequence, timeoutMilliseconds) == 0 else {
            let error = SystemError("sync with guardian \(processID)")
            close()
            throw error
        }
    }

    /// Tells the guardian to let the tracing thread go and exit, waits until it has (it
    /// stops the thread for a moment to detach from it), and closes the socket.
    public func dismiss(timeoutMilliseconds: Int32 = 5000) throws(SystemError) {
        guard descriptor >= 0 else { return }
        let result = clinux_guardian_exchange(descriptor, UInt32(CLINUX_GUARDIAN_DISMISS.rawValue), 0, timeoutMilliseconds)
        let error = SystemError("dismiss guardian \(processID)")
        close()
        if result != 0 { throw error }
    }

    /// Closes the socket: a guardian that holds the tracing thread takes that as its
    /// dismissal; one that does not, as dtrace's death.
    public func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Publishes what the tracer knows of thread `threadID` of `processID` in continuation
    /// `slot` (0 ..< continuationCapacity).
    public func publish(slot: Int, processID: Int32, threadID: Int32, _ continuation: Continuation) {
        guard slot >= 0 && slot < GuardianChannel.continuationCapacity else { return }
        let entry = continuations + slot
        switch continuation {
        case .chosen(let registers):
            guard registers.count == 27 else { return }
            clinux_guardian_publish(entry, processID, threadID, UInt32(CLINUX_GUARDIAN_CHOSEN.rawValue), 0, registers)
        case .stepping:
            clinux_guardian_publish(entry, processID, threadID, UInt32(CLINUX_GUARDIAN_STEPPING.rawValue), 0, nil)
        case .owed(let signal):
            clinux_guardian_publish(entry, processID, threadID, UInt32(CLINUX_GUARDIAN_OWED.rawValue), signal, nil)
        }
    }

    /// Withdraws continuation `slot` (the thread was resumed, or is gone).
    public func withdraw(slot: Int) {
        guard slot >= 0 && slot < GuardianChannel.continuationCapacity else { return }
        clinux_guardian_withdraw(continuations + slot)
    }

    // MARK: The trap handler

    /// The trap handler's page: its size, and where the program's own SIGTRAP action, the
    /// number of fixes and the fixes are.
    public enum TrapHandlerPage {
        public static let size = UInt64(CLINUX_GUARDIAN_PAGE_SIZE)
        public static let actionOffset = UInt64(CLINUX_GUARDIAN_PAGE_ACTION)
        public static let fixCountOffset = UInt64(CLINUX_GUARDIAN_PAGE_FIX_COUNT)
        public static let fixesOffset = UInt64(CLINUX_GUARDIAN_PAGE_FIXES)
        /// struct kernel_sigaction: handler, flags, restorer, mask.
        public static let actionSize = 32
    }

    /// The trap handler's machine code (placed at the start of its page) and its restorer's
    /// offset; nil where there is none (not x86-64).
    public static let trapHandler: (code: [UInt8], restorerOffset: UInt64)? = {
        var code: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        var restorer: UInt32 = 0
        guard clinux_guardian_handler(&code, &length, &restorer) == 0, let code else { return nil }
        return (Array(UnsafeBufferPointer(start: code, count: Int(length))), UInt64(restorer))
    }()
}

/// rt_sigaction(2)'s flags a SIGTRAP action is built with.
public enum SignalActionFlags {
    public static let information: UInt64 = UInt64(SA_SIGINFO)
    public static let restorer: UInt64 = 0x0400_0000          // SA_RESTORER
    public static let resetHandler: UInt64 = 0x8000_0000      // SA_RESETHAND
}
