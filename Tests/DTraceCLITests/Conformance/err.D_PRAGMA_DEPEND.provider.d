/* A program depending on a provider that is not there. */
#pragma D depends_on provider no_such_provider

BEGIN
{
	exit(0);
}
