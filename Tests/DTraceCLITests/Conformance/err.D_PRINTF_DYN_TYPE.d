/* A * width must be an integer. */
BEGIN
{
	printf("%*lld\n", "wide", 1);
}
