/* An array's dimension has a bound. */
char huge[40000000000];
BEGIN
{
	exit(0);
}
