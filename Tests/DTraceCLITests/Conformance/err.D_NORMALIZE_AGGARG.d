/*
 * normalize() takes an aggregation.
 */
BEGIN
{
	normalize("x", 2);
}
