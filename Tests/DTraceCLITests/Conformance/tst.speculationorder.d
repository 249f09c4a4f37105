/*
 * What a clause may do around speculate(): record data after it, discard() anywhere,
 * and aggregate or exit before it.
 */
#pragma D option quiet

BEGIN
{
	@calls = count();
	spec = speculation();
}

BEGIN
{
	speculate(spec);
	printf("never shown\n");
}

BEGIN
{
	discard(spec);
	printf("discarded %d\n", spec);
	exit(0);
}
