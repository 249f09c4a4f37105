/*
 * Escapes in string and character constants as DTrace's stresc2chr() converts them:
 * \a \b \f \n \r \t \v, octal, \x with all the hex digits after it, \" and \\; any
 * other escape (\? \' \c) keeps its backslash. A character constant of several
 * characters is their bytes, the first the most significant.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d %d\n", '\?', '\'', '\c', '\\');
	printf("%d %d %d\n", '\x4E', '\0103', '\"');
	printf("%d %d\n", 'ab', 'a\bc');
	printf("[%s]\n", "abc\"\t\044\?\x4D");
	printf("[%s]\n", "\?\\\'\"");
	printf("[%s]\n", "\x41\x4243");
	exit(0);
}
