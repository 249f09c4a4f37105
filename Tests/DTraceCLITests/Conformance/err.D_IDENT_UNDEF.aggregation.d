/*
 * An aggregation named alone before any use is unknown.
 */
BEGIN
{
	@never;
}
