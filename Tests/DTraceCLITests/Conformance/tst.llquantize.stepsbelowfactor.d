/*
 * llquantize() with fewer steps than the factor: each order of magnitude is cut into
 * steps buckets of factor^(m+1)/steps (the first one narrower), negative values mirrored;
 * steps of 1 is a plain logarithmic histogram. These parameters once made dtrace try to
 * allocate 35 GB, then hang.
 */
#pragma D option quiet

BEGIN
{
	@halves = llquantize(-20, 4, 0, 1, 2, 3);
	@halves = llquantize(-9, 4, 0, 1, 2, 5);
	@halves = llquantize(-8, 4, 0, 1, 2, 7);
	@halves = llquantize(-2, 4, 0, 1, 2);
	@halves = llquantize(0, 4, 0, 1, 2, 2);
	@halves = llquantize(1, 4, 0, 1, 2);
	@halves = llquantize(3, 4, 0, 1, 2, 4);
	@halves = llquantize(4, 4, 0, 1, 2, 6);
	@halves = llquantize(7, 4, 0, 1, 2, 8);
	@halves = llquantize(8, 4, 0, 1, 2, 10);
	@halves = llquantize(15, 4, 0, 1, 2, 12);
	@halves = llquantize(16, 4, 0, 1, 2, 14);

	@log = llquantize(-1000, 10, 0, 3, 1);
	@log = llquantize(5, 10, 0, 3, 1);
	@log = llquantize(99, 10, 0, 3, 1, 2);
	@log = llquantize(100, 10, 0, 3, 1, 3);
	@log = llquantize(9999, 10, 0, 3, 1, 4);
	@log = llquantize(10000, 10, 0, 3, 1, 5);

	@fifths = llquantize(150, 10, 2, 3, 5);
	@fifths = llquantize(399, 10, 2, 3, 5);
	@fifths = llquantize(400, 10, 2, 3, 5);
	@fifths = llquantize(2000, 10, 2, 3, 5);
	@fifths = llquantize(9999, 10, 2, 3, 5);
	exit(0);
}
