/*
 * A prototype's parameter cannot be an associative array.
 */
int count(int seen[string]);

BEGIN
{
	exit(0);
}
