/*
 * A member named twice in one struct.
 */
struct point {
	int x;
	int y;
	long x;
};

BEGIN
{
	exit(0);
}
