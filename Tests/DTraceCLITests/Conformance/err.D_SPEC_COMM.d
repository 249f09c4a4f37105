/*
 * speculate() cannot follow commit().
 */
BEGIN
{
	commit(1);
	speculate(2);
}
