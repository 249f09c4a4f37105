/* trunc()'s count is an integer, not an aggregation. */
BEGIN
{
	@n = count();
	trunc(@n, @n);
}
