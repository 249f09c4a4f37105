/*
 * A character constant holds at most eight characters.
 */
BEGIN
{
	trace('abcdefghi');
}
