/* A library depending on one its directory does not have is refused. */
BEGIN
{
	exit(0);
}
