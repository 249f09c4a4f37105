/* Aggregations printed jointly have keys of the same kinds (integers with integers). */
BEGIN
{
	@bytes[pid, "read"] = sum(1);
	@calls[pid, 3] = count();
	printa(@bytes, @calls);
}
