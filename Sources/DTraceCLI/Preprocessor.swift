// DTraceCLI/Preprocessor: -C runs the C preprocessor (cpp) over a script, with the
// -D/-U/-I arguments, keeping line markers so diagnostics name the right line.

import Glibc

enum Preprocessor {
    static func run(_ source: String, arguments: [String]) -> String? {
        var input: [Int32] = [0, 0], result: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&result) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, result[1], 1)
        for descriptor in input + result { posix_spawn_file_actions_addclose(&actions, descriptor) }
        let argv = ["cpp", "-undef", "-D__linux__", "-D__SUNW_D=1", "-D__SUNW_D_64"] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var child: pid_t = 0
        guard posix_spawnp(&child, "cpp", &actions, nil, &cArguments, environ) == 0 else { return nil }
        close(input[0]); close(result[1])
        // Write the script and read cpp's output at the same time (poll), so a script of
        // any size cannot fill both pipes and stall dtrace and cpp on each other.
        let bytes = Array(source.utf8)
        var offset = 0
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        _ = fcntl(input[1], F_SETFL, fcntl(input[1], F_GETFL) | O_NONBLOCK)
        var writing = true
        if bytes.isEmpty { close(input[1]); writing = false }
        while true {
            var descriptors = [pollfd(fd: result[0], events: Int16(POLLIN), revents: 0)]
            if writing { descriptors.append(pollfd(fd: input[1], events: Int16(POLLOUT), revents: 0)) }
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 { if errno == EINTR { continue }; break }
            if writing, descriptors[1].revents != 0 {
                let written = bytes[offset...].withUnsafeBytes { write(input[1], $0.baseAddress, min($0.count, 65536)) }
                if written > 0 { offset += written } else if written < 0 && errno != EAGAIN && errno != EINTR { offset = bytes.count }
                if offset >= bytes.count { close(input[1]); writing = false }
            }
            if descriptors[0].revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(result[0], $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                output += chunk[0..<count]
            }
        }
        if writing { close(input[1]) }
        close(result[0])
        var status: Int32 = 0
        waitpid(child, &status, 0)
        guard status == 0 else { return nil }
        return String(decoding: output, as: UTF8.self)
    }
}
