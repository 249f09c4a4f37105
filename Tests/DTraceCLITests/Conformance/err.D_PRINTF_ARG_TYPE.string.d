/* %s wants a string or a char array. */
BEGIN
{
	printf("%s\n", 12);
}
