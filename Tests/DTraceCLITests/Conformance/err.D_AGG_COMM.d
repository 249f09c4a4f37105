/*
 * No aggregation after commit().
 */
BEGIN
{
	commit(1);
	@n = sum(2);
}
