/*
 * A macro argument the command line did not give (without -x defaultargs).
 */
BEGIN
{
	trace($2);
}
