/*
 * A string dynamic variable never assigned — an element of an associative array, a
 * thread-local — is a NULL pointer, as in DTrace: comparing it compares pointers, and
 * recording it (trace(), printf()'s %s) is an invalid address, 0x0 (ERROR's arg4 1 and
 * arg5 0). A string global never assigned is the empty string.
 */
#pragma D option quiet

string s[int];
self string x;
string g;

BEGIN
{
	printf("%d %d %d %d %d [%s]\n", s[1] == NULL, self->x == NULL, s[1] == self->x, s[2] != "", g == "", g);
}

BEGIN
{
	trace(s[1]);
}

BEGIN
{
	printf("%s\n", self->x);
}

BEGIN
{
	exit(0);
}

ERROR
{
	printf("fault %d at %d\n", arg4, arg5);
}
