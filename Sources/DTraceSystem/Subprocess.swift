// DTraceSystem/Subprocess: runs a program as a filter — its standard input written and its
// standard output read at the same time (poll), so input of any size cannot fill both
// pipes and stall the two processes on each other — and waits for it (cpp for -C).

import Glibc

public enum Subprocess {
    /// Runs `executable` (or `arguments[0]`; found on PATH) with `input` on its standard input; its
    /// standard output and exit status, or nil when it could not be started.
    public static func filter(_ arguments: [String], input: [UInt8], executable: String? = nil) -> (output: [UInt8], status: Int32)? {
        guard let program = executable ?? arguments.first else { return nil }
        var inputPipe: [Int32] = [0, 0], outputPipe: [Int32] = [0, 0]
        guard pipe(&inputPipe) == 0 else { return nil }
        guard pipe(&outputPipe) == 0 else { close(inputPipe[0]); close(inputPipe[1]); return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        for descriptor in inputPipe + outputPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var child: pid_t = 0
        guard posix_spawnp(&child, program, &actions, nil, &cArguments, environ) == 0 else {
            for descriptor in inputPipe + outputPipe { close(descriptor) }
            return nil
        }
        close(inputPipe[0]); close(outputPipe[1])
        // A program that stops reading early (exits on a bad option) must not kill us
        // with SIGPIPE: the write fails instead, and its exit status says what happened.
        let previousPipeHandler = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previousPipeHandler) }
        var offset = 0
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        _ = fcntl(inputPipe[1], F_SETFL, fcntl(inputPipe[1], F_GETFL) | O_NONBLOCK)
        var writing = true
        if input.isEmpty { close(inputPipe[1]); writing = false }
        while true {
            var descriptors = [pollfd(fd: outputPipe[0], events: Int16(POLLIN), revents: 0)]
            if writing { descriptors.append(pollfd(fd: inputPipe[1], events: Int16(POLLOUT), revents: 0)) }
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 { if errno == EINTR { continue }; break }
            if writing, descriptors[1].revents != 0 {
                let written = input[offset...].withUnsafeBytes { write(inputPipe[1], $0.baseAddress, min($0.count, 65536)) }
                if written > 0 { offset += written } else if written < 0 && errno != EAGAIN && errno != EINTR { offset = input.count }
                if offset >= input.count { close(inputPipe[1]); writing = false }
            }
            if descriptors[0].revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(outputPipe[0], $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                output += chunk[0..<count]
            }
        }
        if writing { close(inputPipe[1]) }
        close(outputPipe[0])
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        return (output, status)
    }
}
