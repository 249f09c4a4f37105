/* Aggregations printed jointly have as many keys each. */
BEGIN
{
	@pid[pid] = count();
	@total = count();
	printa("%d %@d %@d\n", @pid, @total);
}
