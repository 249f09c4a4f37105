/*
 * printa() of several aggregations sorts the keys by the first aggregation's values,
 * ties by the next aggregation's, and so on, then by key (Oracle's bundles); an
 * aggregation with no entry for a key prints zero-filled data (a min() prints 0).
 */
#pragma D option quiet

BEGIN
{
	@a[1] = sum(5);
	@b[2] = sum(7);
	@b[3] = sum(1);
	@c[4] = min(9);
	@c[5] = min(-3);
	printa("%d %@d %@d %@d\n", @a, @b, @c);
	exit(0);
}
