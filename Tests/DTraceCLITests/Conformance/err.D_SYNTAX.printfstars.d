/*
 * Two stars for one conversion's precision.
 */
BEGIN
{
	printf("%.**d\n", 1, 2, 3);
}
