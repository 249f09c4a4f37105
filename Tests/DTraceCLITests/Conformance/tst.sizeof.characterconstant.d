/* A character constant is an int in D, as in C; a multi-character one too. */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d %d\n", sizeof('c'), sizeof('ab'), 'a', 'ab');
	exit(0);
}
