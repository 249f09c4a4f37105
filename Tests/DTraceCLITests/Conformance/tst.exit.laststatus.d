/* dtrace exits with the last exit() status: END's overrides the one that stopped tracing. */
#pragma D option quiet

BEGIN
{
	exit(1);
}

END
{
	exit(0);
}
