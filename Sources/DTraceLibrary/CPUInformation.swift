// DTraceLibrary/CPUInformation: cpuinfo_t and `curcpu`, the CPU the probe fired on, as
// DTrace declares them (sched.d): cpu_id is the CPU's number; Linux has no processor
// sets or locality groups, so cpu_pset is -1 and cpu_lgrp 0, and cpu_chip is 0.

public struct CPUInformation: LibraryDeclarations {
    public init() {}
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
        	cpu_pset = -1;
        	cpu_chip = 0;
        	cpu_lgrp = 0;
        };

        inline cpuinfo_t *curcpu = xlate <cpuinfo_t *> (cpu);
        """
    }
}
