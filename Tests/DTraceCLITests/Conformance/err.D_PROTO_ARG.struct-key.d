/* An associative array keyed by one struct takes no other struct as its key. */
struct a { int x; };
struct b { int x; };
struct a one;
struct b two;

BEGIN
{
	counts[one] = 1;
	counts[two] = 2;
}
