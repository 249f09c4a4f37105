/*
 * llquantize()'s labels: the middle bucket is "0" when the low magnitude is 0, else
 * "< N" when no negative bucket is shown and "abs() < N" when one is; the end buckets are
 * "<= -N" and ">= N"; a label is at most 15 characters (DTrace cuts longer ones).
 */
#pragma D option quiet

BEGIN
{
	@positive = llquantize(5, 10, 1, 2, 10);
	@positive = llquantize(10, 10, 1, 2, 10);
	@positive = llquantize(2000, 10, 1, 2, 10);

	@above = llquantize(10, 10, 1, 2, 10);
	@above = llquantize(25, 10, 1, 2, 10);

	@both = llquantize(-5, 10, 1, 2, 10);
	@both = llquantize(5, 10, 1, 2, 10);
	@both = llquantize(-1000, 10, 1, 2, 10, 3);

	@negativeonly = llquantize(-10, 10, 1, 2, 10, 2);

	@wide = llquantize(5, 10, 8, 9, 10);
	@wide = llquantize(-100000000, 10, 8, 9, 10);
	@wide = llquantize(10000000000, 10, 8, 9, 10);
	exit(0);
}
