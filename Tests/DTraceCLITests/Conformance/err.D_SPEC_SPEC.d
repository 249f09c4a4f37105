/*
 * One speculate() per clause.
 */
BEGIN
{
	speculate(1);
	printf("first\n");
	speculate(2);
}
