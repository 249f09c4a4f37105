/*
 * trunc() takes an aggregation.
 */
BEGIN
{
	trunc(timestamp, 2);
}
