/*
 * A step wider than the range leaves no level.
 */
BEGIN
{
	@ = lquantize(3, 0, 10, 20);
}
