/*
 * The aggregations printed at exit are one sorted walk, as Oracle's DTrace prints them:
 * aggsortrev reverses the order of the aggregations as well as of their keys (small
 * integer keys sort and print unsigned).
 */
#pragma D option quiet
#pragma D option aggsortkey
#pragma D option aggsortrev

BEGIN
{
	@first["a", (char)-1] = sum(1);
	@first["b", (char)1] = sum(2);
	@second["a", 1] = sum(3);
	@second["b", 2] = sum(4);
	exit(0);
}
