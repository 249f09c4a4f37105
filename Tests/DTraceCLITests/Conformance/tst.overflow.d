/*
 * Values at the edges of 64 bits do not crash dtrace: lquantize() of the largest value,
 * substr() with the largest length, alloca() of the largest size (a fault).
 */
#pragma D option quiet

BEGIN
{
	@ = lquantize(0x7fffffffffffffff, -1, 10);
	printf("%s\n", substr("abcdef", 2, 0x7fffffffffffffff));
}

BEGIN
{
	x = alloca(0x7fffffffffffffff);
}

BEGIN
{
	exit(0);
}
