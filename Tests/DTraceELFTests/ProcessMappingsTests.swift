// DTraceELFTests/ProcessMappingsTests: /proc/PID/maps parsing (files, anonymous memory,
// pseudo-names, deleted files, paths with spaces), the objects chosen from mappings and
// their load biases, and this test process itself: libc found, malloc where dlsym says.

@testable import DTraceELF
import DTraceSystem
import Glibc
import Testing

@Suite struct ProcessMappingsTests {
    static let maps = """
    55d4c6a4e000-55d4c6a50000 r--p 00000000 fe:01 1234                       /usr/bin/cat
    55d4c6a50000-55d4c6a55000 r-xp 00002000 fe:01 1234                       /usr/bin/cat
    55d4c6a60000-55d4c6a61000 rw-p 00000000 00:00 0                          [heap]
    7f0000000000-7f0000021000 rw-p 00000000 00:00 0
    7f1000000000-7f1000001000 r-xp 00000000 fe:01 99                         /tmp/a dir/lib one.so (deleted)
    7f2000000000-7f2000001000 r--p 00000000 fe:01 77                         /usr/lib/data.bin
    7f3000000000-7f3000001000 r-xp 00000000 fe:01 55                         /usr/lib/libsynth.so.1
    7f3000002000-7f3000003000 rw-p 00001000 fe:01 55                         /usr/lib/libsynth.so.1
    7ffd1c1f0000-7ffd1c212000 rw-p 00000000 00:00 0                          [stack]
    7ffd1c3f0000-7ffd1c3f2000 r-xp 00000000 00:00 0                          [vdso]
    ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
    garbage line
    1000-800 r--p 00000000 00:00 0
    """

    @Test func parsing() {
        let mappings = ProcessMappings.parse(Self.maps)
        #expect(mappings.count == 11)
        #expect(mappings[1] == MemoryMapping(start: 0x55d4c6a50000, end: 0x55d4c6a55000, permissions: "r-xp", fileOffset: 0x2000,
                                             device: "fe:01", inode: 1234, pathname: "/usr/bin/cat", isDeleted: false))
        #expect(mappings[1].isExecutable && mappings[1].isReadable && !mappings[1].isWritable && !mappings[1].isShared)
        #expect(mappings[2].pathname == "[heap]" && !mappings[2].isFile)
        #expect(mappings[3].pathname == "" && !mappings[3].isFile)
        #expect(mappings[4].pathname == "/tmp/a dir/lib one.so" && mappings[4].isDeleted && mappings[4].isFile)
        #expect(mappings[1].fileKey == "fe:01:1234")
        #expect(mappings[9].pathname == "[vdso]" && mappings[9].isExecutable && !mappings[9].isFile)
    }

    @Test func objectsAndBiases() throws {
        let synthetic = try ELFObject.parse(bytes: SyntheticELF.bytes()).get()
        var opened: [String] = []
        let result = ProcessMappings.mappedObjects(in: ProcessMappings.parse(Self.maps), executablePath: "/usr/bin/cat") { path in
            opened.append(path)
            return path == "/usr/bin/cat" ? .failure(.notELF) : .success(synthetic)
        }
        // Files without an executable mapping (data.bin), pseudo-names and anonymous memory are not considered.
        #expect(opened == ["/usr/bin/cat", "/usr/lib/libsynth.so.1"])
        #expect(result.ignored == [IgnoredMapping(path: "/usr/bin/cat", reason: "not an ELF file"),
                                   IgnoredMapping(path: "/tmp/a dir/lib one.so", reason: "deleted since it was mapped")])
        let object = try #require(result.objects.first)
        #expect(result.objects.count == 1)
        #expect(object.moduleName == "libsynth.so.1" && !object.isExecutable)
        #expect(object.base == 0x7f3000000000)
        // The r-x mapping of file offset 0 is at 0x7f3000000000; the synthetic object links
        // that offset at address 0. Its data (offset 0x1000, linked at 0x2000) follows at the same bias.
        #expect(object.loadBias == 0x7f3000000000)
        #expect(synthetic.loadBias(mappingStart: 0x7f3000002000, fileOffset: 0x1000) == 0x7f3000000000)
        #expect(object.mappings.count == 2)

        let asExecutable = ProcessMappings.mappedObjects(in: ProcessMappings.parse(Self.maps), executablePath: "/usr/lib/libsynth.so.1") { _ in .success(synthetic) }
        #expect(asExecutable.objects.first { $0.path == "/usr/lib/libsynth.so.1" }?.moduleName == "a.out")
        // cat's executable mapping (file offset 0x2000) is in none of the synthetic object's segments.
        #expect(asExecutable.ignored.first?.path == "/usr/bin/cat")
        #expect(asExecutable.ignored.first?.reason == "no loadable segment holds file offset 0x2000")
    }

    @Test func thisProcess() throws {
        let objects = try ProcessMappings.mappedObjects(pid: getpid()).get()
        let libc = try #require(objects.objects.first { $0.moduleName == "libc.so.6" }, "libc not among \(objects.objects.map(\.path))")
        #expect(libc.object.isPositionIndependent)
        // malloc as the linker resolved it in this process, against the file's malloc plus the bias.
        let handle = try #require(dlopen(nil, RTLD_NOW))
        defer { dlclose(handle) }
        let malloc = UInt64(UInt(bitPattern: try #require(dlsym(handle, "malloc") as UnsafeMutableRawPointer?)))
        let fileMalloc = try #require(libc.object.functions.first { $0.name == "malloc" })
        #expect(libc.loadBias &+ fileMalloc.address == malloc)
        // The test runner is the executable, named a.out; it is what /proc/self/exe names.
        let executable = try #require(objects.objects.first { $0.isExecutable })
        #expect(executable.moduleName == "a.out")
        #expect(executable.path == ProcessMappings.executablePath(pid: getpid()))
        #expect(objects.objects.filter { $0.isExecutable }.count == 1)
        #expect(!objects.objects.contains { $0.path.hasPrefix("[") })
        #expect(objects.objects == objects.objects.sorted { $0.base < $1.base })
    }

    @Test func goneProcess() {
        guard case .failure(let error) = ProcessMappings.mappedObjects(pid: Int32.max) else { Issue.record("a process that cannot exist has mappings"); return }
        #expect(error.reason == "No such file or directory")
    }
}

extension MappedObject: Equatable {
    public static func == (a: MappedObject, b: MappedObject) -> Bool { a.path == b.path && a.base == b.base && a.loadBias == b.loadBias }
}
