/*
 * llquantize() with more steps than the factor and a low magnitude of 0: below the
 * factor some buckets can hold no integer. They are never shown, and a shown row that
 * would be one at either end takes the label of its neighbour.
 */
#pragma D option quiet

BEGIN
{
	@ends = llquantize(-1, 3, 0, 1, 9);
	@ends = llquantize(1, 3, 0, 1, 9);

	@tenths = llquantize(1, 10, 0, 1, 20);
	@tenths = llquantize(3, 10, 0, 1, 20, 2);
	@tenths = llquantize(9, 10, 0, 1, 20, 3);
	@tenths = llquantize(10, 10, 0, 1, 20, 4);
	@tenths = llquantize(14, 10, 0, 1, 20, 5);
	@tenths = llquantize(15, 10, 0, 1, 20, 6);
	@tenths = llquantize(99, 10, 0, 1, 20, 7);
	@tenths = llquantize(100, 10, 0, 1, 20, 8);

	@negative = llquantize(-4, 10, 0, 0, 50);
	@negative = llquantize(-7, 10, 0, 0, 50, 2);

	/* Counts that cancel out: the rows around the first bucket above the middle. */
	@cancelled = llquantize(0, 2, 0, 1, 4, 1);
	@cancelled = llquantize(0, 2, 0, 1, 4, -1);
	exit(0);
}
