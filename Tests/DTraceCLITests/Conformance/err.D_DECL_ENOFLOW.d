/*
 * Enumerators are ints: the next value after INT_MAX overflows.
 */
enum big {
	LAST = 2147483647,
	PAST
};

BEGIN
{
	exit(0);
}
