/*
 * iregs below DTrace's eight integer registers cannot generate code.
 */
#pragma D option iregs=4

BEGIN
{
	exit(0);
}
