/* A macro argument written with a plus sign is a number, as DTrace lexes it. */
#pragma D option quiet

BEGIN
{
	printf("%d\n", $1 + 1);
	exit(0);
}
