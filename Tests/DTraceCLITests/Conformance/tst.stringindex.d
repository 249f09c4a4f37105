/*
 * A string indexed as an array of char: s[i] is its i-th character (read-only), 0 past
 * its end within the string's storage.
 */
#pragma D option quiet

BEGIN
{
	s = "dtrace";
	i = 3;
	printf("%c%c %c %d %d\n", s[0], s[1], s[i], s[6], s[5] == 'e');
	exit(0);
}
