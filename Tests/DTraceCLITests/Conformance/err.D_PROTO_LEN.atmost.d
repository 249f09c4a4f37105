/*
 * A subroutine given more arguments than its prototype takes.
 */
BEGIN
{
	trace(substr("dtrace", 1, 2, 3));
}
