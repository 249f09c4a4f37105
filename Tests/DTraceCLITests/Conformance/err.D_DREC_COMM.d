/*
 * Nothing is recorded after commit(): exit() records too.
 */
BEGIN
{
	commit(1);
	exit(0);
}
