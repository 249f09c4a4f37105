/*
 * A char * variable takes a string (its bytes' address), as in DTrace: indexed and
 * read back as a string within the clause.
 */
#pragma D option quiet

char *s;

BEGIN
{
	s = probeprov;
	this->p = (char *)0;
	this->p = "literal";
	printf("%c%c%c %s %c %s\n", s[0], s[1], s[5], stringof(s), this->p[3], stringof(this->p + 4));
	exit(s[0] == 'd' ? 0 : 1);
}
