/*
 * commit() comes before anything is recorded.
 */
BEGIN
{
	printf("x");
	commit(1);
}
