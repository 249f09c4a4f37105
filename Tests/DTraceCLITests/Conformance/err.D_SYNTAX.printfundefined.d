/*
 * A conversion printf does not have, named as DTrace names it (the second conversion).
 */
BEGIN
{
	printf("%d %lz\n", 1, 2);
}
