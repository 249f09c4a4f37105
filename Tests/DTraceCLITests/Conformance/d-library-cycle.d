/* Libraries depending on each other in a circle are refused. */
BEGIN
{
	exit(0);
}
