// DTraceCLITests/IOProviderTests: the io and lockstat providers on the real kernel, on
// I/O and lock contention the tests make themselves: a loop device on a scratch file
// (set up with losetup, removed after), O_DIRECT writes and reads of known sizes at known
// offsets (workload directio) seen by io:::start and io:::done with their exact sizes,
// sectors, directions and device; an ext4 file system on such a device where threads
// appending with O_DIRECT sleep on the inode's rw_semaphore and share a pipe's mutex
// (workload contend), seen by lockstat with times checked against the lock tracepoints
// measured in D; listing, argument types and the one-line refusals.

import DTraceSystem
import Foundation
import Testing

/// A loop device on a scratch file, optionally with an ext4 file system mounted from it;
/// `remove()` undoes it all.
final class ScratchLoopDevice {
    let directory: URL
    let device: String
    var mountPoint: String?

    /// The device's kernel name (loop3) and its numbers as /sys/block says.
    var name: String { URL(fileURLWithPath: device).lastPathComponent }
    var numbers: (major: Int, minor: Int) {
        let text = (try? String(contentsOfFile: "/sys/block/\(name)/dev", encoding: .utf8)) ?? ""
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : (-1, -1)
    }

    init(megabytes: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-io-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let backing = directory.appendingPathComponent("backing.img").path
        FileManager.default.createFile(atPath: backing, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: backing))
        try handle.truncate(atOffset: UInt64(megabytes) << 20)
        try handle.close()
        let attached = try Harness.runProgram("/usr/bin/env", ["losetup", "--find", "--show", backing])
        guard attached.status == 0, attached.stdout.hasPrefix("/dev/loop") else {
            try? FileManager.default.removeItem(at: directory)
            throw SystemError("losetup --find --show \(backing): \(attached.stderr)")
        }
        device = attached.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func mountExt4() throws -> String {
        let made = try Harness.runProgram("/usr/bin/env", ["mkfs.ext4", "-q", "-F", device])
        guard made.status == 0 else { throw SystemError("mkfs.ext4 \(device): \(made.stderr)") }
        let point = directory.appendingPathComponent("mnt").path
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        let mounted = try Harness.runProgram("/usr/bin/env", ["mount", "-t", "ext4", device, point])
        guard mounted.status == 0 else { throw SystemError("mount \(device) \(point): \(mounted.stderr)") }
        mountPoint = point
        return point
    }

    func remove() {
        if let mountPoint { _ = try? Harness.runProgram("/usr/bin/env", ["umount", mountPoint]) }
        _ = try? Harness.runProgram("/usr/bin/env", ["losetup", "-d", device])
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite(.serialized, .enabled(if: KernelHarness.available, "needs root for BPF and loop devices; runs always under CI=true"))
struct IOProviderTests {
    @Test func listsStartAndDoneWithDTraceTypes() throws {
        let listed = try Harness.run(["-l", "-P", "io"], pinned: false)
        #expect(listed.status == 0)
        #expect(listed.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ").map(String.init) }
                == [["140", "io", "vmlinux", "start"], ["141", "io", "vmlinux", "done"]])
        for probe in ["start", "done"] {
            let verbose = try Harness.run(["-lv", "-n", "io:::\(probe)"], pinned: false)
            #expect(verbose.status == 0)
            #expect(verbose.stdout.contains("\tArgument Types\n\t\targs[0]: bufinfo_t *\n\t\targs[1]: devinfo_t *\n\t\targs[2]: fileinfo_t *\n"))
            #expect(verbose.stdout.contains("\tProbe Description Attributes\n\t\tIdentifier Names: Private\n\t\tData Semantics:   Private\n\t\tDependency Class: Unknown\n"))
        }
    }

    /// O_DIRECT writes and reads of 192 KiB at offsets 0, 192 KiB and 384 KiB of a loop
    /// device: each is one request, seen at start and at done with its size, first sector,
    /// direction and device, and nothing else is written to the device.
    @Test func directIOOnLoopDeviceExactly() throws {
        let loop = try ScratchLoopDevice(megabytes: 16)
        defer { loop.remove() }
        let (major, minor) = loop.numbers
        #expect(major == 7)
        let script = """
            io:::start, io:::done /args[1]->dev_statname == "\(loop.name)"/
            {
            	printf("%s %s %d %d %d %d %s %d %d %d %d %d\\n", probename,
            	    args[0]->b_flags & B_WRITE ? "write" : args[0]->b_flags & B_READ ? "read" : "?",
            	    args[0]->b_bcount, args[0]->b_blkno, args[1]->dev_major, args[1]->dev_minor,
            	    args[1]->dev_pathname, args[0]->b_edev == (\(major) << 20 | \(minor)),
            	    args[0]->b_bufsize, args[0]->b_lblkno, args[0]->b_resid, args[0]->b_error);
            }
            """
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) directio \(loop.device) 196608 3"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("wrote=589824 read=589824"))
        var expected: [String] = []
        for probe in ["start", "done"] {
            for direction in ["write", "read"] {
                for sector in [0, 384, 768] {
                    expected.append("\(probe) \(direction) 196608 \(sector) \(major) \(minor) /dev/\(loop.name) 1 196608 \(sector) 0 0")
                }
            }
        }
        #expect(lines.filter { $0.contains(" 196608 ") }.sorted() == expected.sorted())
        // Nothing else writes data to the device (udev may read it once it appears; the
        // fdatasync flushes its cache: 0-byte writes).
        #expect(lines.filter { ($0.hasPrefix("start write") || $0.hasPrefix("done write")) && !$0.contains(" write 0 ") }.count == 6)
        #expect(lines.filter { $0.hasPrefix("start read 0 ") || $0.hasPrefix("done read 0 ") }.isEmpty)
    }

    /// A device name key is read straight into its slot (DirectKeys): the same text and
    /// count as printf() of it, alone and beside a key built as a string (dev_pathname).
    @Test func deviceNameKeysHoldTheNames() throws {
        let loop = try ScratchLoopDevice(megabytes: 16)
        defer { loop.remove() }
        let script = """
            io:::start /args[0]->b_bcount == 196608/
            {
            	printf("text %s %s\\n", args[1]->dev_statname, args[1]->dev_pathname);
            	@[args[1]->dev_statname] = count();
            	@pair[args[1]->dev_statname, args[1]->dev_pathname] = count();
            }
            END { printa("key %s %@d\\n", @); printa("pair %s %s %@d\\n", @pair); }
            """
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) directio \(loop.device) 196608 3"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("text ") } == Array(repeating: "text \(loop.name) /dev/\(loop.name)", count: 6))
        #expect(lines.filter { $0.hasPrefix("key ") } == ["key \(loop.name) 6"])
        #expect(lines.filter { $0.hasPrefix("pair ") } == ["pair \(loop.name) /dev/\(loop.name) 6"])
    }

    /// The io probes run as typed programs (tp_btf): the translators' reads of the
    /// request are plain loads (a char * member's bytes too); a read the verifier cannot
    /// type (the request read as a task_struct, past its end) makes the engine load the
    /// untyped program, with the same results.
    @Test func typedProgramsAndTheirFallback() throws {
        let loop = try ScratchLoopDevice(megabytes: 16)
        defer { loop.remove() }
        let command = "\(KernelHarness.workload) directio \(loop.device) 4096 2"
        let filter = "/args[1]->dev_statname == \"\(loop.name)\" && args[0]->b_bcount > 0/"
        let typed = try Harness.run(["-S", "-qn", "io:::start \(filter) { printf(\"%s %d %d\\n\", args[1]->dev_statname, args[0]->b_bcount, args[1]->dev_major); }",
                                     "-c", command], pinned: false)
        #expect(typed.status == 0, "\(typed.stderr)")
        #expect(typed.stdout.split(separator: "\n").filter { $0 == "\(loop.name) 4096 7" }.count == 4, "\(typed.stdout)")
        #expect(typed.stderr.contains("(io:vmlinux::start, typed), clause"))
        #expect(!typed.stderr.contains("(io:vmlinux::start), clause"))
        let bytes = try Harness.run(["-S", "-qn", "io:::start \(filter) { printf(\"%c %d\\n\", *((struct request *)arg0)->bio->bi_bdev->bd_device.kobj.name, args[0]->b_bcount); }",
                                     "-c", command], pinned: false)
        #expect(bytes.status == 0, "\(bytes.stderr)")
        #expect(bytes.stdout.split(separator: "\n").filter { $0 == "l 4096" }.count == 4, "\(bytes.stdout)")
        #expect(bytes.stderr.contains("(io:vmlinux::start, typed), clause") && !bytes.stderr.contains("(io:vmlinux::start), clause"))
        let fallback = try Harness.run(["-S", "-qn", "io:::start \(filter) { this->x = ((struct task_struct *)arg0)->pid; printf(\"%d\\n\", args[0]->b_bcount); }",
                                        "-c", command], pinned: false)
        #expect(fallback.status == 0, "\(fallback.stderr)")
        #expect(fallback.stdout.split(separator: "\n").filter { $0 == "4096" }.count == 4, "\(fallback.stdout)")
        #expect(fallback.stderr.contains("(io:vmlinux::start, typed), clause"))
        #expect(fallback.stderr.contains("(io:vmlinux::start), clause"))
    }

    /// The same device through a file system: dev_statname is the device's /sys/block
    /// name, the file is unknown to a request, and starts and dones pair by request.
    @Test func fileSystemIOOnLoopDevice() throws {
        let loop = try ScratchLoopDevice(megabytes: 64)
        defer { loop.remove() }
        let mountPoint = try loop.mountExt4()
        let script = """
            io:::start /args[1]->dev_statname == "\(loop.name)"/ { started[arg0] = 1; }
            io:::start /args[1]->dev_statname == "\(loop.name)" && args[0]->b_bcount == 196608 && (args[0]->b_flags & B_WRITE)/
            {
            	@writes[args[1]->dev_statname, args[2]->fi_name, args[2]->fi_pathname, args[0]->b_bcount] = count();
            }
            io:::done /started[arg0]/ { started[arg0] = 0; @pairs = count(); }
            END { printa("%s %s %s %d %@d\\n", @writes); printa("paired %@d\\n", @pairs); }
            """
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) directio \(mountPoint)/file 196608 3"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(loop.name) <unknown> <unknown> 196608 3"))
        let paired = lines.first { $0.hasPrefix("paired ") }.flatMap { Int($0.dropFirst(7)) } ?? 0
        #expect(paired >= 6)
    }

    /// One clause for io:::start and io:::done (whose arguments are translated from
    /// different places), beside a description that matches nothing here (-Z).
    @Test func oneClauseForStartAndDone() throws {
        let loop = try ScratchLoopDevice(megabytes: 16)
        defer { loop.remove() }
        let script = """
            io:::wait-start, io:::start, io:::done /args[1]->dev_statname == "\(loop.name)" && args[0]->b_bcount == 196608/
            {
            	printf("%s %s %d %d\\n", probename, args[1]->dev_pathname, args[0]->b_bcount, args[0]->b_flags & B_WRITE ? 1 : 0);
            }
            """
        let result = try Harness.run(["-Z", "-qn", script, "-c", "\(KernelHarness.workload) directio \(loop.device) 196608 1"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init).filter { $0.contains(" 196608 ") }
        #expect(lines.sorted() == ["done /dev/\(loop.name) 196608 0", "done /dev/\(loop.name) 196608 1", "start /dev/\(loop.name) 196608 0", "start /dev/\(loop.name) 196608 1"])
    }

    /// fds[]: the current thread's open files by descriptor, as fileinfo_t (Oracle's
    /// io.d): name, file system, offset and flags; a descriptor not open is "<none>".
    @Test func fdsAreTheThreadsOpenFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dtrace-fds-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("named-file")
        try Data("0123456789".utf8).write(to: file)
        let script = directory.appendingPathComponent("fds.py")
        try Data("""
            import fcntl, os
            descriptor = os.open("\(file.path)", os.O_RDWR | os.O_APPEND)
            os.lseek(descriptor, 7, os.SEEK_SET)
            for fd in (descriptor, 99):
                try:
                    fcntl.ioctl(fd, 0xffffffff)
                except OSError:
                    pass
            """.utf8).write(to: script)
        let program = """
            syscall::ioctl:entry /pid == $target && arg1 == 0xffffffff/ {
            	printf("%s %s %s %d %x %s\\n", fds[arg0].fi_name, fds[arg0].fi_dirname, fds[arg0].fi_pathname, fds[arg0].fi_offset,
            	    fds[arg0].fi_oflags & (O_ACCMODE | O_APPEND), fds[arg0].fi_fs);
            }
            """
        let result = try Harness.run(["-qn", program, "-c", "/usr/bin/env python3.11 \(script.path)"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        // The file system of the longest mount point holding the file.
        var fileSystem = "?", longest = -1
        for line in try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1] == "/" ? "/" : fields[1] + "/"
            if directory.path.hasPrefix(point), point.count > longest { longest = point.count; fileSystem = fields[2] }
        }
        #expect(result.stdout == "named-file . <unknown> 7 402 \(fileSystem)\n<none> <none> <none> 0 0 <none>\n\n", "\(result.stdout)")
    }

    @Test func refusesWhatIsNotThereInOneLine() throws {
        let cases: [([String], String)] = [
            (["-n", "io:::nosuch"], "dtrace: invalid probe specifier io:::nosuch: probe description io:::nosuch does not match any probes\n"),
            (["-n", "io:::wait-start"], "dtrace: invalid probe specifier io:::wait-start: probe description io:::wait-start does not match any probes: io:::wait-start cannot work here: DTrace puts it on submit_bio_wait(), which has no tracepoint (only a kprobe or fentry reaches it); io:::start and io:::done are on the block tracepoints\n"),
            (["-n", "io:::start { trace(args[5]); }"], "dtrace: invalid probe specifier io:::start { trace(args[5]); }: in action list: index 5 is out of range for io:::start args[ ]\n"),
            (["-n", "io:::done { trace(args[1]->dev_nosuch); }"], "dtrace: invalid probe specifier io:::done { trace(args[1]->dev_nosuch); }: in action list: translator does not define conversion for member: dev_nosuch\n"),
            (["-n", "lockstat:::adaptive-acquire"], "dtrace: invalid probe specifier lockstat:::adaptive-acquire: probe description lockstat:::adaptive-acquire does not match any probes: lockstat:::adaptive-acquire cannot work here: the kernel's lock tracepoints (lock:contention_begin, lock:contention_end) see only contended locks, and every acquisition is seen only by kprobes on the lock functions; lockstat:::adaptive-spin, adaptive-block, adaptive-acquire-error, spin-spin, rw-spin and rw-block are here\n"),
            (["-n", "lockstat:::spin-spin { trace(args[2]); }"], "dtrace: invalid probe specifier lockstat:::spin-spin { trace(args[2]); }: in action list: index 2 is out of range for lockstat:::spin-spin args[ ]\n"),
        ]
        for (arguments, message) in cases {
            let result = try Harness.run(arguments, pinned: false)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr == message)
        }
    }
}

@Suite(.serialized, .enabled(if: KernelHarness.available, "needs root for BPF and loop devices; runs always under CI=true"))
struct LockstatProviderTests {
    @Test func listsTheContendedProbesWithOracleTypes() throws {
        let listed = try Harness.run(["-l", "-P", "lockstat"], pinned: false)
        #expect(listed.status == 0)
        #expect(listed.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").last.map(String.init) }
                == ["adaptive-block", "adaptive-spin", "adaptive-acquire-error", "rw-block", "rw-spin", "spin-spin"])
        let types: [(String, String)] = [
            ("adaptive-block", "args[0]: struct mutex *\n\t\targs[1]: uint64_t\n"),
            ("adaptive-acquire-error", "args[0]: struct mutex *\n\t\targs[1]: int\n"),
            ("spin-spin", "args[0]: spinlock_t *\n\t\targs[1]: uint64_t\n"),
            ("rw-spin", "args[0]: rwlock_t *\n\t\targs[1]: uint64_t\n\t\targs[2]: int\n"),
            ("rw-block", "args[0]: struct rw_semaphore *\n\t\targs[1]: uint64_t\n\t\targs[2]: int\n"),
        ]
        for (probe, text) in types {
            let verbose = try Harness.run(["-lv", "-n", "lockstat:::\(probe)"], pinned: false)
            #expect(verbose.stdout.contains("\tArgument Types\n\t\t" + text), "\(probe)")
        }
    }

    /// Eight threads appending with O_DIRECT to one file of an ext4 file system on a loop
    /// device sleep on its inode's rw_semaphore (as writers), and share a pipe's mutex:
    /// rw-block fires for them with RW_WRITER, on one lock, and times that add up to what
    /// the lock tracepoints measured in D say; the mutex shows as adaptive-spin/-block.
    @Test func contentionTheTestMakes() throws {
        let loop = try ScratchLoopDevice(megabytes: 64)
        defer { loop.remove() }
        let mountPoint = try loop.mountExt4()
        let script = """
            lockstat:::rw-block /pid == $target/ { @rw[args[2] == RW_WRITER ? "writer" : "reader"] = count(); }
            lockstat:::rw-block /pid == $target && args[2] == RW_WRITER/
            {
            	@least = min(args[1]);
            	@locks[arg0] = count();
            	@lockstat = sum(args[1]);
            }
            sdt:lock::contention_begin /pid == $target && args->flags == 4/ { self->begun[args->lock_addr] = timestamp; }
            sdt:lock::contention_end /pid == $target && self->begun[args->lock_addr]/
            {
            	@measured = sum(timestamp - self->begun[args->lock_addr]);
            	self->begun[args->lock_addr] = 0;
            }
            lockstat:::adaptive-spin, lockstat:::adaptive-block /pid == $target && arg0 != 0 && args[1] > 0/ { @mutex = count(); }
            END
            {
            	printa("rw-block %s %@d\\n", @rw);
            	printa("least %@d\\n", @least);
            	printa("lock %p %@d\\n", @locks);
            	printa("lockstat %@d\\n", @lockstat);
            	printa("measured %@d\\n", @measured);
            	printa("mutex %@d\\n", @mutex);
            }
            """
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) contend 8 2 \(mountPoint)"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        func value(_ prefix: String) -> Int { lines.first { $0.hasPrefix(prefix + " ") }.flatMap { Int($0.split(separator: " ").last!) } ?? 0 }
        #expect(lines.contains("threads=8 bad=0"))
        #expect(value("rw-block writer") > 0, "\(result.stdout)")
        // A thread may also wait as a reader on another rw_semaphore (its mm's, faulting
        // while another maps memory): the writers' waits are all on one lock.
        #expect(value("rw-block writer") > value("rw-block reader"), "\(result.stdout)")
        #expect(value("least") > 0)
        #expect(lines.filter { $0.hasPrefix("lock ") }.count == 1, "one lock for the writers: the file's")
        #expect(value("mutex") > 0)
        // The two read the clock in different programs on the same tracepoints; on a loaded
        // machine a task can be preempted between them (tracepoint programs run
        // preemptibly here), so the sums agree within a quarter, not exactly.
        let lockstat = Double(value("lockstat")), measured = Double(value("measured"))
        #expect(measured > 0 && abs(lockstat - measured) <= 0.25 * measured, "lockstat \(lockstat) vs measured \(measured)")
    }

    /// Spin locks and mutexes contended anywhere in the system while threads hammer a
    /// pipe: every probe that fires has a lock address and a positive time.
    @Test func timesArePositiveAndLocksNonZero() throws {
        let script = """
            lockstat:::adaptive-spin, lockstat:::adaptive-block, lockstat:::spin-spin, lockstat:::rw-spin, lockstat:::rw-block
            { @fired = count(); @bad = sum(arg0 == 0 || args[1] == 0 || args[1] > 10000000000); }
            END { printa("fired %@d\\n", @fired); printa("bad %@d\\n", @bad); }
            """
        let result = try Harness.run(["-qn", script, "-c", "\(KernelHarness.workload) contend 8 1"], pinned: false)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\nbad 0\n"), "\(result.stdout)")
        #expect(!result.stdout.contains("fired 0\n"))
    }
}
