/*
 * lquantize()'s base must be below its limit.
 */
BEGIN
{
	@ = lquantize(3, 10, 10, 1);
}
