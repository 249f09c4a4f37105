/*
 * A subroutine given fewer arguments than its prototype needs.
 */
BEGIN
{
	trace(substr("dtrace"));
}
