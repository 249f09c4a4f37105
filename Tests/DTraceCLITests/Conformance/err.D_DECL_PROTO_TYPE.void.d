/* An associative array's keys have values: void is not a key type. */
int seen[int, void];
BEGIN
{
	exit(0);
}
