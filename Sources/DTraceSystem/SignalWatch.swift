// DTraceSystem/SignalWatch: turns SIGINT and SIGTERM into a flag the run loop polls,
// the way dtrace(1M) does (first signal: stop and print; second: give up at once), and
// sends the signals raise() asks dtrace to send itself.
import Glibc

/// Counts of interrupting signals received, written only by the signal handler.
nonisolated(unsafe) private var interruptCount: Int32 = 0

public enum SignalWatch {
    /// Installs handlers for SIGINT and SIGTERM (unless they are ignored, as for a
    /// background job) that only count the signal. dtrace installs them first thing, so a
    /// signal at any moment — while compiling, attaching, or waiting for a file — stops
    /// tracing the ordinary way (END, output, status 0). Interrupted calls restart
    /// (SA_RESTART) except those the kernel never restarts (poll, sleeps), which the run
    /// loop waits in, so it still wakes at once.
    public static func install() {
        // A parent may have started us with these signals blocked (the mask survives exec).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        for signalNumber in [SIGINT, SIGTERM] {
            var old = sigaction()
            sigaction(signalNumber, nil, &old)
            if unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue } // SIG_IGN
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in interruptCount &+= 1 }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Sends a signal to dtrace itself (raise() in a clause the user engine runs, whose
    /// current process is dtrace).
    public static func raiseInSelf(_ signalNumber: Int64) {
        kill(getpid(), Int32(truncatingIfNeeded: signalNumber))
    }

    /// How many SIGINT/SIGTERM signals have arrived since `install()`.
    public static var interrupts: Int32 { interruptCount }
}
