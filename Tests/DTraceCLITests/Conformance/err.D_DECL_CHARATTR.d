/*
 * char is neither short nor long.
 */
BEGIN
{
	trace((short char)65);
}
