/*
 * printf's positional conversions (%n$) are not D's.
 */
BEGIN
{
	printf("%d %2$d\n", 1, 2);
}
