/*
 * An associative array is used with its keys.
 */
BEGIN
{
	counts["a"] = 1;
	trace(counts);
}
