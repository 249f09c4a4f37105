/*
 * sizeof of an inline is its value's size, as Oracle's DTrace substitutes the
 * expression: NULL (Oracle's `inline long NULL = 0`) and `inline long` of an int
 * constant are 4, a string inline is strsize.
 */
#pragma D option quiet

inline long ZERO = 0;
inline long BIG = 0x100000000;
inline string NAME = "abc";

BEGIN
{
	printf("%d %d %d %d\n", sizeof(NULL), sizeof(ZERO), sizeof(BIG), sizeof(NAME));
	exit(0);
}
