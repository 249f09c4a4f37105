/* A missing value is named by its conversion, without flags, width or precision. */
BEGIN
{
	printf("%-*.*lld\n", 1, 2);
}
