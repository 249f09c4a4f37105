// DTracePlatform/PlatformDetection: what this machine is — the hypervisor (CPUID leaf
// 0x40000000 signatures, scanning the Xen range up to 0x4000FF00 for Xen behind Viridian;
// Xen's forced-emulation CPUID prefix, which works only in a PV guest; /sys/hypervisor's
// type and guest_type; /proc/xen/capabilities for dom0 or domU; DMI strings), the
// container (docker, podman, systemd-nspawn, LXC, WSL, gVisor) and the kernel.
// Every fact carries where it came from. Whatever is missing, truncated or garbled
// reads as "unknown" for that item; detection never fails.

import DTraceSystem
import DTraceText

public enum Hypervisor: Equatable, Sendable {
    case none, xen, kvm, vmware, hyperV, qemu, virtualBox, bhyve, parallels, acrn, unknown
    case other(String)

    /// CPUID hypervisor vendor signatures (leaf 0x40000000 ebx-ecx-edx).
    static let signatures: [String: Hypervisor] = [
        "XenVMMXenVMM": .xen, "KVMKVMKVM": .kvm, "VMwareVMware": .vmware, "Microsoft Hv": .hyperV,
        "TCGTCGTCGTCG": .qemu, "VBoxVBoxVBox": .virtualBox, "bhyve bhyve ": .bhyve,
        " lrpepyh  vr": .parallels, "ACRNACRNACRN": .acrn,
    ]

    public var name: String {
        switch self {
        case .none: return "none"
        case .xen: return "Xen"
        case .kvm: return "KVM"
        case .vmware: return "VMware"
        case .hyperV: return "Hyper-V"
        case .qemu: return "QEMU (TCG)"
        case .virtualBox: return "VirtualBox"
        case .bhyve: return "bhyve"
        case .parallels: return "Parallels"
        case .acrn: return "ACRN"
        case .unknown: return "unknown"
        case .other(let signature): return "unrecognised (\(signature))"
        }
    }
}

public enum XenGuestType: String, Equatable, Sendable { case pv = "PV", hvm = "HVM", pvh = "PVH", unknown }
public enum XenDomain: String, Equatable, Sendable { case dom0, domU, unknown }

public enum Container: Equatable, Sendable {
    case none, docker, podman, systemdNspawn, lxc, wsl, gVisor, unknown
    case other(String)

    public var name: String {
        switch self {
        case .none: return "none"
        case .docker: return "docker"
        case .podman: return "podman"
        case .systemdNspawn: return "systemd-nspawn"
        case .lxc: return "LXC"
        case .wsl: return "WSL"
        case .gVisor: return "gVisor"
        case .unknown: return "unknown"
        case .other(let value): return value
        }
    }

    /// The values of the `container=` variable that managers set for PID 1.
    static func fromManagerName(_ value: String) -> Container {
        switch value {
        case "docker": return .docker
        case "podman": return .podman
        case "systemd-nspawn": return .systemdNspawn
        case "lxc", "lxc-libvirt": return .lxc
        case "wsl": return .wsl
        case "": return .unknown
        default: return .other(value)
        }
    }
}

/// A detected fact and how it was learnt.
public struct Evidence: Equatable, Sendable {
    public var source: String
    public var value: String
    public init(source: String, value: String) { self.source = source; self.value = value }
}

public struct Platform: Equatable, Sendable {
    public var hypervisor: Hypervisor = .unknown
    public var hypervisorVersion: String?
    public var xenGuestType: XenGuestType?
    public var xenDomain: XenDomain?
    public var container: Container = .unknown
    public var kernelRelease = "unknown"
    public var machine = "unknown"
    /// Every observation behind the conclusions, in the order it was made.
    public var evidence: [Evidence] = []

    /// One line: "Xen PV dom0", "KVM", "bare metal", "KVM, in a docker container"...
    public var summary: String {
        var text: String
        switch hypervisor {
        case .xen:
            let type = xenGuestType.map { $0 == .unknown ? "guest" : $0.rawValue } ?? "guest"
            let domain = xenDomain.map { $0 == .unknown ? "" : " " + $0.rawValue } ?? ""
            text = "Xen " + type + domain
        case .none: text = "bare metal"
        case .unknown: text = "unknown"
        default: text = hypervisor.name
        }
        switch container {
        case .none, .unknown: break
        case .gVisor: text = "gVisor sandbox" + (hypervisor == .unknown ? "" : " (on \(text))")
        case .wsl: text = "WSL" + (hypervisor == .unknown ? "" : " (on \(text))")
        default: text += ", in a \(container.name) container"
        }
        return text
    }
}

public enum PlatformDetector {
    public static func detect(_ sources: PlatformSources = .live) -> Platform {
        var platform = Platform()
        platform.machine = sources.machine
        detectKernel(sources, into: &platform)
        detectHypervisor(sources, into: &platform)
        detectContainer(sources, into: &platform)
        return platform
    }

    static func detectKernel(_ sources: PlatformSources, into platform: inout Platform) {
        if let release = sources.read("/proc/sys/kernel/osrelease"), !release.isEmpty, release.count < 256, !release.contains("\n") {
            platform.kernelRelease = release
        }
    }

    // MARK: Hypervisor

    /// The hypervisor leaves: (base, max leaf, signature) for every valid base from
    /// 0x40000000 to 0x4000FF00, through the given CPUID.
    static func hypervisorLeaves(_ cpuid: (UInt32, UInt32) -> CPUIDRegisters?) -> [(base: UInt32, maximum: UInt32, signature: String)] {
        var leaves: [(UInt32, UInt32, String)] = []
        for base in stride(from: UInt32(0x4000_0000), through: 0x4000_FF00, by: 0x100) {
            guard let registers = cpuid(base, 0) else { break }
            let signature = registers.signature
            guard !signature.isEmpty, signature.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) else { continue }
            // KVM answers eax 0 at its base; any other value outside the range is no leaf.
            if registers.eax != 0 && (registers.eax < base || registers.eax > base + 0xff) { continue }
            leaves.append((base, registers.eax == 0 ? base + 1 : registers.eax, signature))
        }
        return leaves
    }

    static func detectHypervisor(_ sources: PlatformSources, into platform: inout Platform) {
        func note(_ source: String, _ value: String) { platform.evidence.append(Evidence(source: source, value: value)) }

        // The PV forced-emulation prefix: only a Xen PV guest survives it.
        var xenBase: UInt32?
        var xenVersionCPUID: (UInt32, UInt32) -> CPUIDRegisters? = sources.cpuid
        if let forced = hypervisorLeaves(sources.xenForcedCPUID).first(where: { Hypervisor.signatures[$0.signature] == .xen }) {
            note(String(format16: forced.base, prefix: "cpuid (Xen forced-emulation prefix) "), forced.signature)
            xenBase = forced.base
            xenVersionCPUID = sources.xenForcedCPUID
            platform.xenGuestType = .pv
        } else if sources.cpuid(0, 0) != nil {
            note("cpuid (Xen forced-emulation prefix)", "raised SIGILL: not a Xen PV guest")
        }

        // Plain CPUID: the hypervisor-present bit and every signature.
        var cpuidHypervisor: Hypervisor?
        if let features = sources.cpuid(1, 0) {
            let present = features.ecx & (1 << 31) != 0
            note("cpuid 0x1 ecx bit 31 (hypervisor present)", present ? "set" : "clear")
            let leaves = present ? hypervisorLeaves(sources.cpuid) : []
            for leaf in leaves { note(String(format16: leaf.base, prefix: "cpuid "), leaf.signature) }
            if let xen = leaves.first(where: { Hypervisor.signatures[$0.signature] == .xen }) {
                cpuidHypervisor = .xen
                if xenBase == nil { xenBase = xen.base }
            } else if let first = leaves.first {
                cpuidHypervisor = Hypervisor.signatures[first.signature] ?? .other(first.signature)
            } else if !present {
                cpuidHypervisor = Hypervisor.none
            }
        }

        // /sys/hypervisor (Xen guests with sysfs).
        let sysType = sources.read("/sys/hypervisor/type")
        if let sysType { note("/sys/hypervisor/type", sysType.isEmpty ? "(empty)" : sysType) }
        let guestType = sources.read("/sys/hypervisor/guest_type")
        if let guestType { note("/sys/hypervisor/guest_type", guestType.isEmpty ? "(empty)" : guestType) }

        // DMI strings (firmware-visible guests: HVM, KVM, VMware, Hyper-V).
        let vendor = sources.read("/sys/class/dmi/id/sys_vendor")
        let product = sources.read("/sys/class/dmi/id/product_name")
        let bios = sources.read("/sys/class/dmi/id/bios_vendor")
        if let vendor { note("/sys/class/dmi/id/sys_vendor", vendor) }
        if let product { note("/sys/class/dmi/id/product_name", product) }
        if let bios { note("/sys/class/dmi/id/bios_vendor", bios) }
        let dmiHypervisor = hypervisorFromDMI(vendor: vendor, product: product, bios: bios)

        if xenBase != nil || sysType == "xen" || cpuidHypervisor == .xen || (cpuidHypervisor == nil && dmiHypervisor == .xen) {
            platform.hypervisor = .xen
        } else if let cpuidHypervisor {
            platform.hypervisor = cpuidHypervisor == .none && dmiHypervisor != nil ? dmiHypervisor! : cpuidHypervisor
        } else if let dmiHypervisor {
            platform.hypervisor = dmiHypervisor
        } else if let sysType, !sysType.isEmpty {
            platform.hypervisor = .other(sysType)
        } else if vendor != nil {
            platform.hypervisor = .none
        }

        guard platform.hypervisor == .xen else { return }
        // Xen: version, guest type, domain.
        if let base = xenBase, let version = xenVersionCPUID(base + 1, 0), version.eax != 0 {
            platform.hypervisorVersion = "\(version.eax >> 16).\(version.eax & 0xffff)"
        } else if let major = sources.read("/sys/hypervisor/version/major").flatMap({ UInt32($0) }),
                  let minor = sources.read("/sys/hypervisor/version/minor").flatMap({ UInt32($0) }) {
            platform.hypervisorVersion = "\(major).\(minor)"
        }
        switch guestType {
        case "PV": platform.xenGuestType = .pv
        case "HVM": platform.xenGuestType = .hvm
        case "PVH": platform.xenGuestType = .pvh
        case nil: if platform.xenGuestType == nil { platform.xenGuestType = xenBase != nil && cpuidHypervisor == .xen ? .hvm : .unknown }
        default: if platform.xenGuestType == nil { platform.xenGuestType = .unknown }
        }
        if let capabilities = sources.read("/proc/xen/capabilities") {
            note("/proc/xen/capabilities", capabilities.isEmpty ? "(empty)" : capabilities)
            platform.xenDomain = capabilities.split(separator: ",").contains { $0.trimming(anyOf: " \t\n\r") == "control_d" } ? .dom0 : .domU
        } else if let uuid = sources.read("/sys/hypervisor/uuid"), uuid.count == 36 {
            note("/sys/hypervisor/uuid", uuid)
            platform.xenDomain = uuid == "00000000-0000-0000-0000-000000000000" ? .dom0 : .domU
        } else if platform.xenGuestType == .hvm {
            platform.xenDomain = .domU
        } else {
            platform.xenDomain = .unknown
        }
    }

    static func hypervisorFromDMI(vendor: String?, product: String?, bios: String?) -> Hypervisor? {
        let text = [vendor, product, bios].compactMap { $0 }
        if text.isEmpty { return nil }
        func has(_ word: String) -> Bool { text.contains { $0.contains(word) } }
        if has("Xen") || has("HVM domU") { return .xen }
        if has("VMware") { return .vmware }
        if has("VirtualBox") || has("innotek") { return .virtualBox }
        if has("Microsoft Corporation") && has("Virtual Machine") { return .hyperV }
        if has("KVM") || has("Amazon EC2") || has("Google Compute Engine") { return .kvm }
        if has("QEMU") || has("SeaBIOS") { return .qemu }
        if has("BHYVE") { return .bhyve }
        if has("Parallels") { return .parallels }
        return nil
    }

    // MARK: Containers

    /// gVisor's Sentry reports this fixed kernel build string.
    static let gVisorVersionMark = "#1 SMP Sun Jan 10 15:06:54 PST 2016"

    static func detectContainer(_ sources: PlatformSources, into platform: inout Platform) {
        func note(_ source: String, _ value: String) { platform.evidence.append(Evidence(source: source, value: value)) }
        let version = sources.read("/proc/version")
        if let version, version.contains(gVisorVersionMark) {
            note("/proc/version", version)
            platform.container = .gVisor
            return
        }
        let release = platform.kernelRelease
        if release.lowercased().contains("microsoft") || release.contains("WSL") {
            note("/proc/sys/kernel/osrelease", release)
            platform.container = .wsl
            return
        }
        if let environment = sources.readEntries("/proc/1/environ"),
           let entry = environment.first(where: { $0.hasPrefix("container=") }) {
            note("/proc/1/environ", entry)
            platform.container = Container.fromManagerName(String(entry.dropFirst("container=".count)))
            return
        }
        if let manager = sources.read("/run/systemd/container") {
            note("/run/systemd/container", manager)
            platform.container = Container.fromManagerName(manager)
            return
        }
        if sources.exists("/.dockerenv") { note("/.dockerenv", "present"); platform.container = .docker; return }
        if sources.exists("/run/.containerenv") { note("/run/.containerenv", "present"); platform.container = .podman; return }
        if let groups = sources.read("/proc/1/cgroup") {
            if groups.contains("/docker") || groups.contains("docker-") { note("/proc/1/cgroup", "docker"); platform.container = .docker; return }
            if groups.contains("libpod") { note("/proc/1/cgroup", "libpod"); platform.container = .podman; return }
            if groups.contains("/lxc") { note("/proc/1/cgroup", "lxc"); platform.container = .lxc; return }
            platform.container = .none
            return
        }
        // Nothing to go on: a system with /proc but none of the markers is no container.
        platform.container = version == nil ? .unknown : .none
    }
}

extension String {
    init(format16 value: UInt32, prefix: String) {
        self = prefix + "0x" + String(value, radix: 16)
    }
}
