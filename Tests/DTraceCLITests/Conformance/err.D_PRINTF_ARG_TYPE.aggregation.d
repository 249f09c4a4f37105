/* An aggregation is not a value printf() can print. */
BEGIN
{
	@n = count();
	printf("%s %d\n", "n", @n);
}
