/* A variable no clause assigns is still unknown to a predicate. */
BEGIN
/never == 0/
{
	exit(0);
}
