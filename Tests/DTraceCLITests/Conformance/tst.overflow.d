/*
 * Values at the edges of 64 bits do not crash dtrace: lquantize() of the largest value,
 * substr() with the largest length, alloca() of the largest size (a fault at run time;
 * a constant size that large is refused when the program is compiled).
 */
#pragma D option quiet

BEGIN
{
	@ = lquantize(0x7fffffffffffffff, -1, 10);
	printf("%s\n", substr("abcdef", 2, 0x7fffffffffffffff));
}

BEGIN
{
	size = 0x7fffffffffffffff;
	x = alloca(size);
}

BEGIN
{
	exit(0);
}
