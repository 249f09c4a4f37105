// DTracePlatformTests/PlatformDetectionTests: detection from recorded machines. Each
// fixture in Fixtures/ is a directory laid out like / (sys, proc, run, .dockerenv) plus
// its CPUID tables; the table below says what dtrace must conclude from each. Garbled,
// truncated and empty fixtures must give "unknown" items, never a trap.

import DTracePlatform
import DTraceSystem
import Testing

enum Fixtures {
    static let directory: String = {
        var path = #filePath
        while let last = path.last, last != "/" { path.removeLast() }
        return path + "Fixtures"
    }()

    static func platform(_ name: String) -> Platform { PlatformDetector.detect(.fixture(directory + "/" + name)) }
}

struct ExpectedPlatform: Sendable, CustomTestStringConvertible {
    var fixture: String
    var summary: String
    var hypervisor: Hypervisor
    var version: String? = nil
    var container: Container = .none
    var kernel: String = "6.1.0-57-amd64"
    var testDescription: String { fixture }
}

@Suite struct PlatformDetectionTests {
    static let machines: [ExpectedPlatform] = [
        ExpectedPlatform(fixture: "xen-pv-dom0", summary: "Xen PV dom0", hypervisor: .xen, version: "4.17"),
        ExpectedPlatform(fixture: "xen-pv-domu", summary: "Xen PV domU", hypervisor: .xen, version: "4.11", kernel: "5.10.0-28-cloud-amd64"),
        ExpectedPlatform(fixture: "xen-pv-domu-uuid", summary: "Xen PV domU", hypervisor: .xen, version: "4.2"),
        ExpectedPlatform(fixture: "xen-hvm-viridian", summary: "Xen HVM domU", hypervisor: .xen, version: "4.14"),
        ExpectedPlatform(fixture: "kvm", summary: "KVM", hypervisor: .kvm),
        ExpectedPlatform(fixture: "vmware", summary: "VMware", hypervisor: .vmware),
        ExpectedPlatform(fixture: "hyper-v", summary: "Hyper-V", hypervisor: .hyperV),
        ExpectedPlatform(fixture: "bare-metal", summary: "bare metal", hypervisor: .none),
        ExpectedPlatform(fixture: "docker", summary: "KVM, in a docker container", hypervisor: .kvm, container: .docker),
        ExpectedPlatform(fixture: "podman", summary: "bare metal, in a podman container", hypervisor: .none, container: .podman),
        ExpectedPlatform(fixture: "systemd-nspawn", summary: "bare metal, in a systemd-nspawn container", hypervisor: .none, container: .systemdNspawn),
        ExpectedPlatform(fixture: "lxc", summary: "KVM, in a LXC container", hypervisor: .kvm, container: .lxc),
        ExpectedPlatform(fixture: "wsl", summary: "WSL (on Hyper-V)", hypervisor: .hyperV, container: .wsl, kernel: "5.15.153.1-microsoft-standard-WSL2"),
        ExpectedPlatform(fixture: "gvisor", summary: "gVisor sandbox (on KVM)", hypervisor: .kvm, container: .gVisor, kernel: "4.4.0"),
    ]

    @Test(arguments: machines)
    func recordedMachine(_ expected: ExpectedPlatform) {
        let platform = Fixtures.platform(expected.fixture)
        #expect(platform.summary == expected.summary)
        #expect(platform.hypervisor == expected.hypervisor)
        #expect(platform.hypervisorVersion == expected.version)
        #expect(platform.container == expected.container)
        #expect(platform.kernelRelease == expected.kernel)
    }

    @Test func pvDom0NamesItsEvidence() {
        let platform = Fixtures.platform("xen-pv-dom0")
        #expect(platform.xenGuestType == .pv)
        #expect(platform.xenDomain == .dom0)
        // The native CPUID shows only the emulator underneath; the prefix shows Xen.
        #expect(platform.evidence.contains(Evidence(source: "cpuid (Xen forced-emulation prefix) 0x40000000", value: "XenVMMXenVMM")))
        #expect(platform.evidence.contains(Evidence(source: "cpuid 0x40000000", value: "TCGTCGTCGTCG")))
        #expect(platform.evidence.contains(Evidence(source: "/proc/xen/capabilities", value: "control_d")))
    }

    @Test func viridianDoesNotHideXen() {
        let platform = Fixtures.platform("xen-hvm-viridian")
        #expect(platform.xenGuestType == .hvm)
        #expect(platform.evidence.contains(Evidence(source: "cpuid 0x40000100", value: "XenVMMXenVMM")))
    }

    @Test func garbledSourcesReadAsUnknown() {
        let platform = Fixtures.platform("garbled")
        #expect(platform.kernelRelease == "unknown")
        #expect(platform.hypervisorVersion == nil)
        #expect(platform.hypervisor != .xen)
        #expect(platform.xenGuestType == nil)
        #expect(platform.container == .unknown || platform.container == .none)
    }

    @Test func nothingToReadIsUnknown() {
        let platform = Fixtures.platform("empty")
        #expect(platform.summary == "unknown")
        #expect(platform.kernelRelease == "unknown")
        #expect(platform.container == .unknown)
        let missing = PlatformDetector.detect(.fixture("/nonexistent/fixture"))
        #expect(missing.summary == "unknown")
    }

    /// Every prefix of every fixture file, and random bytes in its place, must still
    /// detect without trapping.
    @Test func truncatedAndRandomFilesNeverTrap() throws {
        var generator = SeededRandom(seed: 0x91A7_F0E5)
        for name in ["xen-pv-dom0", "xen-hvm-viridian", "docker"] {
            let source = Fixtures.directory + "/" + name
            let scratch = "/tmp/dtrace-platform-fixture-\(name)-\(getpid())"
            for round in 0..<12 {
                #expect(copyTree(source, scratch, mutate: { bytes in
                    if round % 2 == 0 { return Array(bytes.prefix(bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator))) }
                    return (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                }))
                let platform = PlatformDetector.detect(.fixture(scratch))
                #expect(!platform.summary.isEmpty)
            }
            removeTree(scratch)
        }
    }
}

import Glibc

/// Copies a directory tree, passing every file's bytes through `mutate`.
func copyTree(_ source: String, _ destination: String, mutate: ([UInt8]) -> [UInt8]) -> Bool {
    removeTree(destination)
    guard mkdir(destination, 0o755) == 0 || errno == EEXIST else { return false }
    guard let directory = opendir(source) else { return false }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        let from = source + "/" + name, to = destination + "/" + name
        if entry.pointee.d_type == UInt8(DT_DIR) {
            if !copyTree(from, to, mutate: mutate) { return false }
            continue
        }
        guard let input = fopen(from, "rb") else { return false }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, input)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        fclose(input)
        guard let output = fopen(to, "wb") else { return false }
        let mutated = mutate(bytes)
        _ = fwrite(mutated, 1, mutated.count, output)
        fclose(output)
    }
    return true
}

func removeTree(_ path: String) {
    guard let directory = opendir(path) else { unlink(path); return }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        removeTree(path + "/" + name)
    }
    closedir(directory)
    rmdir(path)
}
