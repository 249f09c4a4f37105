/*
 * A string subroutine given an integer for a string.
 */
BEGIN
{
	trace(substr(1, 2));
}
