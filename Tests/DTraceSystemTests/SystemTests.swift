// DTraceSystemTests/SystemTests: the thin system layer — kernel CPU lists, files mapped
// or read, whether a path exists, uname's names, mounting a tracefs (root only; runs
// always under CI=true), the named errno and signal values, the shell for system(),
// CPUID signatures, the syscall number table, a filter that stops reading early — on
// files this test writes and on this machine.

import DTraceSystem
import Glibc
import Testing

func temporaryFile(_ contents: String) -> String {
    let path = "/tmp/dtrace-system-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let file = fopen(path, "w")!
    fputs(contents, file)
    fclose(file)
    return path
}

@Suite struct SystemTests {
    /// A filter program that exits without reading its input (cpp refusing an option)
    /// leaves a failed write, not a SIGPIPE that would kill dtrace: its status comes back.
    @Test func filterThatStopsReadingEarly() throws {
        let input = [UInt8](repeating: 0x61, count: 1 << 20)
        let result = try #require(Subprocess.filter(["false"], input: input))
        #expect(result.status != 0 && result.output.isEmpty)
        let echoed = try #require(Subprocess.filter(["cat"], input: input))
        #expect(echoed.status == 0 && echoed.output == input)
    }

    @Test func cpuLists() {
        for (text, expected) in [("0-3\n", [0, 1, 2, 3]), ("0,2,4-5", [0, 2, 4, 5]), ("7", [7])] {
            let path = temporaryFile(text)
            defer { unlink(path) }
            #expect(SystemCPUs.parseList(path) == expected, "\(text)")
        }
        for garbled in ["", "3-1", "a-b", "1-99999999"] {
            let path = temporaryFile(garbled)
            defer { unlink(path) }
            #expect(SystemCPUs.parseList(path) == nil, "\(garbled)")
        }
        #expect(SystemCPUs.parseList("/nonexistent") == nil)
        #expect(SystemCPUs.possible >= SystemCPUs.online.count)
    }

    @Test func mappedFilesAndPrefixes() throws {
        let path = temporaryFile("hello, mapped world")
        defer { unlink(path) }
        let file = try #require(MappedFile.open(path))
        #expect(Array(file.bytes) == Array("hello, mapped world".utf8))
        file.release()
        #expect(SystemFiles.readPrefix(path, count: 5) == Array("hello".utf8))
        #expect(SystemFiles.readPrefix(path, count: 100)?.count == 19)
        #expect(SystemFiles.size(path) == 19)
        #expect(MappedFile.open("/nonexistent") == nil)
        let empty = temporaryFile("")
        defer { unlink(empty) }
        #expect(MappedFile.open(empty) == nil)
    }

    @Test func pathsThatExistAndThatDoNot() {
        let path = temporaryFile("here")
        defer { unlink(path) }
        #expect(SystemFiles.exists(path))
        #expect((try? SystemFiles.checkExists(path).get()) != nil)
        #expect(!SystemFiles.exists("/nonexistent/file"))
        guard case .failure(let error) = SystemFiles.checkExists("/nonexistent/file") else {
            Issue.record("a missing path was reported present")
            return
        }
        #expect(error.operation == "/nonexistent/file")
        #expect(error.code == ENOENT)
    }

    @Test func systemNamesMatchProc() throws {
        let names = try #require(SystemName.current())
        #expect(names.systemName == "Linux")
        #expect(names.release == SystemFiles.readSmallTextFile("/proc/sys/kernel/osrelease")?.filter { $0 != "\n" })
        #expect(names.nodeName == SystemFiles.readSmallTextFile("/proc/sys/kernel/hostname")?.filter { $0 != "\n" })
        #expect(!names.version.isEmpty)
        #if arch(x86_64)
        #expect(names.machine == "x86_64")
        #elseif arch(arm64)
        #expect(names.machine == "aarch64")
        #endif
    }

    @Test func tracefsMountFailureNamesTheCall() {
        #expect(throws: SystemError.self) { try Tracefs.mount(on: "/nonexistent/tracing") }
        do { try Tracefs.mount(on: "/nonexistent/tracing") } catch { #expect(error.operation == "mount(tracefs, /nonexistent/tracing)") }
        #expect(!Tracefs.unmount("/nonexistent/tracing"))
    }

    @Test(.enabled(if: getenv("CI").map { String(cString: $0) == "true" } ?? false || geteuid() == 0, "needs root; runs always under CI=true"))
    func tracefsMountsAndUnmountsOnADirectory() throws {
        let directory = "/tmp/dtrace-tracefs-test-\(getpid())"
        try #require(mkdir(directory, 0o700) == 0)
        defer { rmdir(directory) }
        try Tracefs.mount(on: directory)
        var mounted = true
        defer { if mounted { Tracefs.unmount(directory) } }
        #expect(SystemFiles.exists(directory + "/events"))
        #expect(Tracefs.eventID(root: directory, group: "sched", event: "sched_switch") != nil)
        mounted = !Tracefs.unmount(directory)
        #expect(!mounted)
        #expect(!SystemFiles.exists(directory + "/events"))
    }

    @Test func namedErrorAndSignalNumbers() {
        let errors: [(Int32, Int32)] = [(ErrorNumber.operationNotPermitted, EPERM), (ErrorNumber.permissionDenied, EACCES),
                                         (ErrorNumber.noSuchEntry, ENOENT), (ErrorNumber.notImplemented, ENOSYS), (ErrorNumber.notSupported, EOPNOTSUPP)]
        for (named, value) in errors { #expect(named == value) }
        #expect(SignalNumber.stop == SIGSTOP)
        #expect(SignalNumber.trap == SIGTRAP)
    }

    @Test func shellCommandsAndTheirStatus() {
        #expect(Shell.run("exit 0") == 0)
        #expect(Shell.run("exit 7") == 7)
        #expect(Shell.run("kill -9 $$") == -1)
        let path = "/tmp/dtrace-shell-test-\(getpid())"
        #expect(Shell.run("echo ran > \(path)") == 0)
        #expect(SystemFiles.readSmallTextFile(path) == "ran\n")
        unlink(path)
    }

    @Test func cpuidSignatures() {
        let xen = CPUIDRegisters(eax: 0x4000_0005, ebx: 0x566e_6558, ecx: 0x6558_4d4d, edx: 0x4d4d_566e)
        #expect(xen.signature == "XenVMMXenVMM")
        let kvm = CPUIDRegisters(eax: 0, ebx: 0x4b4d_564b, ecx: 0x564b_4d56, edx: 0x4d)
        #expect(kvm.signature == "KVMKVMKVM")
        #if arch(x86_64)
        #expect(CPUID.query(leaf: 0) != nil)
        #endif
    }

    @Test func syscallNumbers() {
        #expect(SyscallNumbers.x86_64["getpid"] == 39)
        #expect(SyscallNumbers.x86_64["read"] == 0)
        #expect(SyscallNumbers.x86_64["newfstat"] == SyscallNumbers.x86_64["fstat"])
    }
}

/// How a -c command ended, as dtrace says it.
@Suite struct KernelFunctionAddressesTests {
    /// Text symbols by exact name (a longer name sharing the prefix is another symbol),
    /// in the kernel or a module, every address of a name listed twice; data symbols not.
    @Test func namedTextSymbolsFromKallsyms() {
        let kallsyms = """
        ffffffff81000010 T _stext
        ffffffff814428a0 t tick_nohz_handler
        ffffffff814428f0 t tick_nohz_handler_extra
        ffffffff81500000 t p4d_offset
        ffffffff81600000 t p4d_offset
        ffffffff82000000 D tick_nohz_data
        ffffffffc0001000 t mod_handler\t[somemod]
        """
        let found = KernelFunctionAddresses.addresses(of: ["tick_nohz_handler", "p4d_offset", "mod_handler", "tick_nohz_data", "absent"], kallsyms: kallsyms)
        #expect(found["tick_nohz_handler"] == [0xffffffff814428a0])
        #expect(found["p4d_offset"] == [0xffffffff81500000, 0xffffffff81600000])
        #expect(found["mod_handler"] == [0xffffffffc0001000])
        #expect(found["tick_nohz_data"] == nil && found["absent"] == nil)
    }
}

@Suite struct TargetProcessEndingTests {
    /// A -c command splits on any ASCII white space, newlines included, as make_argv().
    @Test func commandWordsSplitOnAnyWhiteSpace() {
        #expect(TargetProcess.words(of: "./a.out 0\n1\t2  3\r\n4") == ["./a.out", "0", "1", "2", "3", "4"])
        #expect(TargetProcess.words(of: " \n ").isEmpty)
    }

    static func ending(of command: String, signal: Int32? = nil) throws -> String? {
        let target = try TargetProcess.spawn(command)
        target.release()
        if let signal {
            usleep(100_000)
            kill(target.processID, signal)
        }
        for _ in 0..<500 where target.ending == nil { usleep(10_000) }
        return target.ending
    }

    @Test func exitStatusAndSignalAreSaid() throws {
        #expect(try Self.ending(of: "true") == "has exited")
        #expect(try Self.ending(of: "false") == "exited with status 1")
        #expect(try Self.ending(of: "sleep 10", signal: SIGTRAP) == "terminated by SIGTRAP")
        #expect(SignalNumber.name(SIGKILL) == "SIGKILL")
        #expect(SignalNumber.name(SIGSYS) == "SIGSYS")
        #expect(SignalNumber.name(40) == "signal 40")
    }
}
