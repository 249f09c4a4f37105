/* An empty format prints nothing, and DTrace refuses it. */
BEGIN
{
	printf("");
}
