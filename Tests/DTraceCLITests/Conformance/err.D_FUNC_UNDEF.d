/*
 * An unknown function assigned to an aggregation is named as unknown first.
 */
BEGIN
{
	@seen = tally(1);
}
