// DTraceSystem/Shell: system()'s command, run by /bin/sh -c with dtrace's standard
// output (or the -o file) as its own, waited for before tracing output continues, as
// dtrace(1M) does. The child gets no other descriptors of dtrace's (close-on-exec).

import DTraceText
import Glibc

public enum Shell {
    /// Runs `command`; returns its exit status, or -1 when it could not be started.
    @discardableResult
    public static func run(_ command: String, output: Int32 = 1) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if output != 1 { posix_spawn_file_actions_adddup2(&actions, output, 1) }
        // The command's bytes as traced (RawText's stand-ins turned back into bytes).
        let words: [[UInt8]] = [Array("sh".utf8), Array("-c".utf8), RawText.bytes(command)]
        let arguments = words.map { word in (word + [0]).withUnsafeBufferPointer { strdup(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) } } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, nil, arguments, environ)
        guard status == 0 else { return -1 }
        var result: Int32 = 0
        while waitpid(pid, &result, 0) < 0 && errno == EINTR {}
        return (result & 0x7f) == 0 ? (result >> 8) & 0xff : -1
    }
}
