/* A built-in string variable is indexed as a string. */
BEGIN
{
	printf("%c%c %d\n", probename[0], probename[1], probename[5]);
	exit(0);
}
