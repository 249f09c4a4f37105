// DTraceSystemTests/SystemTests: the thin system layer — kernel CPU lists, files mapped
// or read, the shell for system(), CPUID signatures, the syscall number table — on
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
