/*
 * Only a constant index into an array of two or more elements is checked when the
 * script is compiled: a one-element array (a structure's variable-length tail, by
 * convention) is not.
 */
#pragma D option quiet

struct tail { int n; int v[1]; };
struct tail t;
int a[4];

BEGIN
{
	i = 3;
	a[i] = 7;
	printf("%d %d\n", a[3], sizeof(t.v));
	exit(0);
}
