#pragma D option quiet
BEGIN
{
	@c["b"] = count(); @c["a"] = count(); @c["b"] = count();
	@s = sum(10); @s = sum(32);
	@mn = min(5); @mn = min(-3);
	@mx = max(5); @mx = max(9);
	@av = avg(4); @av = avg(8);
	@sd = stddev(10); @sd = stddev(20);
	exit(0);
}
