/* A built-in variable cannot be assigned. */
BEGIN
{
	pid = 1;
}
