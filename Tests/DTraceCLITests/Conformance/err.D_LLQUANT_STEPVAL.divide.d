/*
 * Fewer steps than the factor must divide it.
 */
BEGIN
{
	@ = llquantize(1, 10, 0, 3, 3);
}
