/* %@ is printa()'s conversion for the aggregation's value. */
BEGIN
{
	printf("%@u\n", 10);
}
