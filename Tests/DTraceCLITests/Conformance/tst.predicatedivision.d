/*
 * "/" inside a predicate divides unless "{", ";", "/" or the end follows it.
 */
#pragma D option quiet

BEGIN
/(12 / 4) == 3 && 12 / 6 == 2/
{
	printf("%d\n", 12 / 3);
	exit(0);
}
