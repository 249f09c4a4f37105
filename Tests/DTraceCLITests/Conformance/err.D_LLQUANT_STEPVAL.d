/*
 * More steps than the factor must be a multiple of it.
 */
BEGIN
{
	@ = llquantize(5, 10, 1, 3, 15);
}
