/* printa() of several aggregations: one line per key, the n-th %@ the n-th
 * aggregation's value (0 where it has none), sorted by the aggregation at aggsortpos;
 * without a format, the key and then each value. */
#pragma D option quiet
#pragma D option aggsortpos=1

BEGIN
{
	@a["x"] = count();
	@a["y"] = count();
	@a["y"] = count();
	@b["x"] = sum(50);
	@b["z"] = sum(7);
	printa("%s %@d %@d\n", @a, @b);
	printa(@a, @b);
	exit(0);
}
