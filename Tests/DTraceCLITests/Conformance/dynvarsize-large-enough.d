/* dynvarsize with room for one element (its array id and key, 16 bytes, and its int): tracing runs. */
#pragma D option dynvarsize=20
#pragma D option quiet

BEGIN
{
	a[1] = 7;
	printf("%d\n", a[1]);
	exit(0);
}
