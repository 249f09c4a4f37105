/*
 * substr(s, index, length) with an index before the string's start: the length
 * shrinks by as much ("ab" for -6, 3 in "abcde"), and nothing is left once it is used
 * up; with a negative length too, nothing.
 */
#pragma D option quiet

BEGIN
{
	s = "abcde";
	printf("[%s] [%s] [%s] [%s] [%s] [%s]\n", substr(s, -6, 3), substr(s, -7, 3), substr(s, -8, 3),
	    substr(s, -7), substr(s, -7, -1), substr(s, 5, 1));
	exit(0);
}
