/* aggsize too small for one entry of the aggregation: tracing is not enabled. */
#pragma D option aggsize=8

BEGIN
{
	@ = count();
	exit(0);
}
