/*
 * Accesses through alloca() pointers are checked at run time against what the
 * clause has allocated: a load past the top is an invalid address (and the
 * clause ends there); inside it, loads, stores and bcopy() work.
 */
#pragma D option quiet

BEGIN
{
	s = (char *)alloca(15);
	s[14] = 'x';
	bcopy("ab", &s[12], 2);
	printf("%c%c%c\n", s[12], s[13], s[14]);
}

BEGIN
{
	s = (char *)alloca(15);
	trace(s[16]);
	printf("not reached\n");
}

BEGIN
{
	exit(0);
}
