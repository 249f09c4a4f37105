/* dynvarsize too small for one element of the associative array: tracing is not enabled. */
#pragma D option dynvarsize=15

BEGIN
{
	a[1] = 1;
	exit(0);
}
