/* A newline inside a character constant is named on the line after it. */
BEGIN
{
	c = '
';
}
