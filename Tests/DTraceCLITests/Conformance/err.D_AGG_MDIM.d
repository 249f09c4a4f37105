/*
 * An aggregation has one list of keys.
 */
BEGIN
{
	@calls[execname][pid] = count();
}
