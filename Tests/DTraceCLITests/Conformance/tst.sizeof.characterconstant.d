/*
 * A character constant is an int in D, as in C; a multi-character one too, its first
 * character the most significant. Its bytes are unsigned: '\377' is 255.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d %d %d\n", sizeof('c'), sizeof('ab'), 'a', 'ab', '\377');
	exit(0);
}
