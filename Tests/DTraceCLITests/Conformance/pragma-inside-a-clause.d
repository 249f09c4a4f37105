/* A #pragma D option inside a clause body takes effect, as the lexer meets it in DTrace. */
BEGIN
{
#pragma D option quiet
	printf("quiet: no probe heading\n");
	exit(0);
}
