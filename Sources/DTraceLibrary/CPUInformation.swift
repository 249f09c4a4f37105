// DTraceLibrary/CPUInformation: cpuinfo_t, `curcpu` (the CPU the probe fired on) and the
// pset, chip and lgrp built-ins, as DTrace on Linux declares them (sched.d): cpu_id is
// the CPU's number, cpu_chip its physical package (sysfs topology); Linux has no
// processor sets or locality groups, so cpu_pset and cpu_lgrp are 0, as in Oracle's.

import DTraceSystem

public struct CPUInformation: LibraryDeclarations {
    public init() {}

    /// The physical package of CPU `C` as a D expression: packages other than 0, each
    /// as the runs of consecutive CPUs in it.
    static func chipExpression(_ packages: [Int: Int]) -> String {
        var expression = "0"
        for package in Set(packages.values).subtracting([0]).sorted().reversed() {
            let cpus = packages.filter { $0.value == package }.map(\.key).sorted()
            var runs: [ClosedRange<Int>] = []
            for cpu in cpus {
                if let last = runs.last, last.upperBound + 1 == cpu { runs[runs.count - 1] = last.lowerBound...cpu } else { runs.append(cpu...cpu) }
            }
            let test = runs.map { $0.count == 1 ? "C == \($0.lowerBound)" : "(C >= \($0.lowerBound) && C <= \($0.upperBound))" }.joined(separator: " || ")
            expression = "\(test) ? \(package) : \(expression)"
        }
        return expression
    }

    public var source: String {
        """
        typedef id_t psetid_t;
        typedef id_t chipid_t;
        typedef id_t lgrp_id_t;

        typedef struct cpuinfo {
        	processorid_t cpu_id;
        	psetid_t cpu_pset;
        	chipid_t cpu_chip;
        	lgrp_id_t cpu_lgrp;
        } cpuinfo_t;

        translator cpuinfo_t < processorid_t C > {
        	cpu_id = C;
        	cpu_pset = 0;
        	cpu_chip = \(Self.chipExpression(SystemCPUs.packages));
        	cpu_lgrp = 0;
        };

        inline cpuinfo_t *curcpu = xlate <cpuinfo_t *> (cpu);
        inline psetid_t pset = curcpu->cpu_pset;
        inline chipid_t chip = curcpu->cpu_chip;
        inline lgrp_id_t lgrp = curcpu->cpu_lgrp;
        """
    }
}
