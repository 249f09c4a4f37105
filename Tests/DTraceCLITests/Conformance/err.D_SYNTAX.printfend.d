/*
 * A format string ending inside a conversion.
 */
BEGIN
{
	printf("%d %-8");
}
