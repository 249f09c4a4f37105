/*
 * An aggregation is assigned an aggregating function, not an action.
 */
BEGIN
{
	@seen = printf("x");
}
