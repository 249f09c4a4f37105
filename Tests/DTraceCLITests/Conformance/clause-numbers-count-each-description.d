/*
 * Errors name the clause as Oracle's DTrace numbers it: a comma list of probe
 * descriptions makes one clause of each, so the fourth clause here is dt_clause_3.
 */
#pragma D option quiet

BEGIN,ERROR,END
{
	printf("%s:%s:%s:%s\n", probeprov, probemod, probefunc, probename);
}

BEGIN
{
	*((int *)0);
}

BEGIN,ERROR
{
	exit(0);
}
