/* dynvarsize with room for one element: tracing runs. */
#pragma D option dynvarsize=24
#pragma D option quiet

BEGIN
{
	a[1] = 7;
	printf("%d\n", a[1]);
	exit(0);
}
