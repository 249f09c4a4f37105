/* Declarations belong outside the clauses. */
BEGIN
{
	int count;
	exit(0);
}
