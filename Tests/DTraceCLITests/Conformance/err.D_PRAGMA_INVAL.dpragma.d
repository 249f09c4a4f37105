/* Only DTrace's own #pragma D directives are accepted. */
#pragma D frobnicate on
BEGIN
{
	exit(0);
}
