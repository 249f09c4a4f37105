/*
 * progenyof(pid): the current process is pid, or descends from it (init, pid 1, is an
 * ancestor of every process); not of an unrelated pid. getmajor() and getminor() split
 * a kernel dev_t: 12 bits of major above 20 of minor.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d %d\n", progenyof($pid), progenyof($ppid), progenyof(1), progenyof(-5));
	printf("%d %d %d\n", getmajor(0x800003), getminor(0x800003), getminor(0x1234fffff));
	exit(0);
}
