/*
 * curcpu is a cpuinfo_t * (the translated view of the CPU a probe fires on): its
 * cpu_id is the cpu built-in; Linux has no processor sets or locality groups
 * (cpu_pset and cpu_lgrp are 0, as in Oracle's DTrace), and the pset, chip and lgrp
 * built-ins read curcpu's members.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d %d\n", curcpu->cpu_id == cpu, curcpu->cpu_pset, curcpu->cpu_lgrp, sizeof(cpuinfo_t));
	printf("%d %d %d\n", pset, lgrp, chip == curcpu->cpu_chip);
	exit(0);
}
