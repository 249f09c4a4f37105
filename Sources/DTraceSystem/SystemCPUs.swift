// DTraceSystem/SystemCPUs: the CPUs the kernel can have (possible) and has running
// (online), and the physical package (chip) of each online CPU, from sysfs.

import DTraceText
import Glibc

/// CPUs the kernel knows of (per-CPU map values are sized by the possible count).
public enum SystemCPUs {
    public static let possible: Int = parse("/sys/devices/system/cpu/possible") ?? Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
    public static let online: [Int] = parseList("/sys/devices/system/cpu/online") ?? Array(0..<Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// The physical package (socket) of each online CPU that names one.
    public static let packages: [Int: Int] = {
        var packages: [Int: Int] = [:]
        for cpu in online {
            let path = "/sys/devices/system/cpu/cpu\(cpu)/topology/physical_package_id"
            if let text = SystemFiles.readSmallTextFile(path, limit: 64), let package = Int(text.trimming(anyOf: " \n")) { packages[cpu] = package }
        }
        return packages
    }()

    static func parse(_ path: String) -> Int? { parseList(path).map { ($0.max() ?? 0) + 1 } }

    /// Parses a kernel CPU list such as "0-3,5".
    public static func parseList(_ path: String) -> [Int]? {
        guard let text = SystemFiles.readSmallTextFile(path, limit: 4096) else { return nil }
        var cpus: [Int] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 { cpus.append(bounds[0]) } else if bounds.count == 2, bounds[0] <= bounds[1], bounds[1] < 1 << 16 { cpus += Array(bounds[0]...bounds[1]) } else { return nil }
        }
        return cpus.isEmpty ? nil : cpus
    }
}
