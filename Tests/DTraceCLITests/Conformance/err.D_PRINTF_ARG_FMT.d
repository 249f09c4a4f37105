/*
 * printf's format must be a string constant.
 */
BEGIN
{
	fmt = "%d\n";
	printf(fmt, 1);
}
