/*
 * A char * into alloca() memory is a string to the string subroutines, and the
 * address of an element of alloca() memory (&s[14]) is alloca memory to bcopy().
 */
#pragma D option quiet

BEGIN
{
	x = (char *)alloca(8);
	x[0] = 'a';
	x[1] = '/';
	x[2] = 'b';
	x[3] = 0;
	y = (char *)alloca(8);
	y[0] = '/';
	y[1] = 0;
	printf("%s %s %d %s\n", basename(x), dirname(x), index(x, y), strjoin(x, "!"));
	s = (char *)alloca(15);
	bcopy("0", &s[14], 1);
	printf("%c\n", s[14]);
	exit(0);
}
