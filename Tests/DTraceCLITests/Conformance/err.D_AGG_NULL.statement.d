/*
 * An aggregation on its own does nothing: an error.
 */
BEGIN
{
	@n = count();
	@n[1];
}
