/* string + n is the string from its byte n on (a string is a pointer to its first
   byte); past its end, the empty string; stored strings keep strsize's zero padding. */
#pragma D option quiet
#pragma D option strsize=6

BEGIN
{
	s = "abcdefgh";
	self->t = "12";
	a[1] = "hello";
	i = 4;
	printf("[%s] [%s] [%s] [%s]\n", s, s + 1, 1 + s, s + 9);
	printf("[%s] [%s] [%s]\n", self->t + 1, a[1] + i, "xyz" + 2);
	printf("%d %d\n", strlen(s + 2), strlen(self->t + 5));
	exit(0);
}
