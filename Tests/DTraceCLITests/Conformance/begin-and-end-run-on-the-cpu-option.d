/*
 * -x cpu=N: dtrace's own probes fire on CPU N too (BEGIN and END here, run by
 * dtrace itself), as DTrace binds itself to it.
 */
#pragma D option quiet

BEGIN
{
	printf("BEGIN on %d\n", cpu);
	exit(0);
}

END
{
	printf("END on %d\n", cpu);
}
