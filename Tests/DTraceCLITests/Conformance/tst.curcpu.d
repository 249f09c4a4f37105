/*
 * curcpu is a cpuinfo_t * (the translated view of the CPU a probe fires on): its
 * cpu_id is the cpu built-in; Linux has no processor sets (cpu_pset is -1).
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d %d\n", curcpu->cpu_id == cpu, curcpu->cpu_pset, curcpu->cpu_lgrp, sizeof(cpuinfo_t));
	exit(0);
}
