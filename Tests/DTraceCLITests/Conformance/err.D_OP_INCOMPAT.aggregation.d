/* An aggregation takes no part in arithmetic. */
BEGIN
{
	@n = sum(4);
	x = 1 + @n;
}
