/* Nor changed by a compound assignment. */
BEGIN
{
	timestamp += 1;
}
