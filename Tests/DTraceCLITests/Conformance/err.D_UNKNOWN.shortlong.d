/*
 * short long names no type: DTrace says so in these words.
 */
BEGIN
{
	trace((unsigned long short)1);
}
