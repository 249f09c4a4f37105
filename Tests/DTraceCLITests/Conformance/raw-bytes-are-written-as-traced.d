/*
 * Traced bytes are written as they are, valid UTF-8 or not: string literals, %s
 * arguments, trace() and a system() command keep bytes such as 0xc0 0xa8.
 */
#pragma D option quiet
#pragma D option destructive

BEGIN
{
	s = "\xc0\xa8-latin1-\xe9-utf8-é";
	printf("%s|\xff\xfe|%5s|\n", s, "\xc0");
	trace(s);
	printf("\n");
	system("printf \"\xc0\xa8\\n\"");
	exit(0);
}
