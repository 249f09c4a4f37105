/*
 * An associative array's key of another type than its first use's.
 */
BEGIN
{
	x[1, "a"] = 3;
	x[1, 2] = 4;
}
