/*
 * lockmem is set before dtrace makes its maps: only the command line may set it.
 */
#pragma D option lockmem=1

BEGIN
{
	exit(0);
}
