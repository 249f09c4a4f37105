/*
 * bcopy() into alloca() memory that starts inside what was allocated but runs
 * past its top faults with an invalid size; one starting below it, an invalid
 * address.
 */
#pragma D option quiet

BEGIN
{
	s = (char *)alloca(16);
	bcopy("01", &s[15], 2);
}

BEGIN
{
	s = (char *)alloca(16);
	bcopy("0", s - 1, 1);
}

BEGIN
{
	exit(0);
}
