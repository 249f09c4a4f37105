/* BEGIN has no arguments: args[0] is past them. */
BEGIN
{
	trace(args[0]);
}
