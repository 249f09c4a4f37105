/*
 * An option a pragma cannot set is an error on the pragma's line.
 */
#pragma D option quiet
#pragma D option specsize=12q

BEGIN
{
	exit(0);
}
