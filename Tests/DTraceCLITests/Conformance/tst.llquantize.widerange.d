/*
 * llquantize() over the widest ranges 64 bits allow (factor^(high + 1) just below 2^64),
 * with the extreme values: the bucket of -2^63 is found on its magnitude, 2^63 - 1 is below
 * the top order's bound; labels longer than 15 characters are cut, as DTrace cuts them.
 */
#pragma D option quiet

BEGIN
{
	@decimalmin = llquantize(-9223372036854775807 - 1, 10, 0, 18, 10);
	@decimalmax = llquantize(9223372036854775807, 10, 0, 18, 10);
	@decimalmax = llquantize(999999999999999999, 10, 0, 18, 10);
	@decimalmax = llquantize(1000000000000000000, 10, 0, 18, 10);

	@binarymin = llquantize(-9223372036854775807 - 1, 2, 0, 62, 2);
	@binarymax = llquantize(4611686018427387903, 2, 0, 62, 2);
	@binarymax = llquantize(4611686018427387904, 2, 0, 62, 2);
	@binarymax = llquantize(9223372036854775807, 2, 0, 62, 2);
	exit(0);
}
