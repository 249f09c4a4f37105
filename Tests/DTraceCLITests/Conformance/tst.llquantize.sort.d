/*
 * llquantize() aggregations sort as DTrace sorts them: by the sum of each bucket's count
 * times its label (negative buckets subtracting), then by the middle bucket's count, then
 * by key.
 */
#pragma D option quiet

BEGIN
{
	@bysum["first"] = llquantize(1, 10, 0, 2, 20, 200);
	@bysum["second"] = llquantize(150, 10, 0, 2, 20, 2);
	@bysum["third"] = llquantize(40, 10, 0, 2, 20, 50);
	@bysum["fourth"] = llquantize(-5, 10, 0, 2, 20, 10);

	@byzero["c"] = llquantize(0, 10, 0, 2, 20, 3);
	@byzero["b"] = llquantize(0, 10, 0, 2, 20, 5);
	@byzero["a"] = llquantize(0, 10, 0, 2, 20, 4);
	@byzero["d"] = llquantize(0, 10, 0, 2, 20, 5);

	printa(@bysum);
	printa(@byzero);
	exit(0);
}
