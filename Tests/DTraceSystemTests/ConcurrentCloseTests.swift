// DTraceSystemTests/ConcurrentCloseTests: descriptors handed to a background child are
// closed here and there (their pipes read end of file); the child keeps no other
// descriptor of ours (a pipe we close ourselves reads EOF at once); the threaded close
// closes every one.

import DTraceSystem
import Glibc
import Testing

@Suite struct ConcurrentCloseTests {
    func makePipe() -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        return (ends[0], ends[1])
    }

    /// Whether reading `descriptor` sees end of file within `milliseconds`.
    func readsEndOfFile(_ descriptor: Int32, within milliseconds: Int32) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) == 1 else { return false }
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) == 0
    }

    @Test func backgroundChildClosesTheLastCopies() {
        let handed = (0..<3).map { _ in makePipe() }
        let other = makePipe()
        ConcurrentClose.closeInBackground(handed.map(\.write))
        // The child closed everything else it inherited: our own close of this one is the last.
        close(other.write)
        #expect(readsEndOfFile(other.read, within: 2000))
        // End of file only once both our copy and the child's are closed.
        for pair in handed { #expect(readsEndOfFile(pair.read, within: 5000), "both copies closed") }
        for pair in handed { close(pair.read) }
        close(other.read)
    }

    @Test func threadsCloseEveryDescriptor() {
        let pairs = (0..<40).map { _ in makePipe() }
        ConcurrentClose.closeAll(pairs.map(\.write), threads: 8)
        for pair in pairs {
            #expect(readsEndOfFile(pair.read, within: 1000))
            close(pair.read)
        }
    }
}
