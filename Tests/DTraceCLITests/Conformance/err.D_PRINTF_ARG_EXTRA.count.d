/* The message counts the arguments the conversions take. */
BEGIN
{
	printf("%s=%d\n", "a", 1, 2, 3);
}
