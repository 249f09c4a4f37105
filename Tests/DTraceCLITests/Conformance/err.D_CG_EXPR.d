/*
 * An aggregating function is no statement of its own.
 */
BEGIN
{
	sum(3);
}
