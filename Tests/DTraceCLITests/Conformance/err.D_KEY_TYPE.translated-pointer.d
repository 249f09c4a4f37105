/*
 * A pointer to a translated struct (curpsinfo) is a dynamic expression: it has no
 * address to keep, so it is no aggregation key.
 */
BEGIN
{
	@counts[curpsinfo] = count();
	exit(0);
}
