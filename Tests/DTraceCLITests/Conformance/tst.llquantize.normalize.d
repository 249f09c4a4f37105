/*
 * normalize() divides each llquantize() row's count (the bars stay those of the counts),
 * for the aggregation's keys that come after it too: DTrace keeps one divisor per
 * aggregation.
 */
#pragma D option quiet

int done;

BEGIN
{
	@["early"] = llquantize(3, 10, 0, 1, 10, 10);
	normalize(@, 4);
}

tick-1ms
/!done/
{
	done = 1;
	@["late"] = llquantize(7, 10, 0, 1, 10, 25);
	@["early"] = llquantize(-2, 10, 0, 1, 10, 7);
	exit(0);
}
