/* printa() of aggregations whose string key slots differ in width (execname's 16 bytes, strsize for a ?: with probename) matches their keys by text: one row. */
#pragma D option quiet
BEGIN
{
	@a[execname] = count();
	@b[execname == "x" ? probename : execname] = sum(5);
	printa(@a, @b);
	printa("%s %@d %@d\n", @a, @b);
	exit(0);
}
