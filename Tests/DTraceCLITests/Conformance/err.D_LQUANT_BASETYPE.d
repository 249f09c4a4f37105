/*
 * lquantize()'s base is a constant.
 */
BEGIN
{
	low = 0;
	@ = lquantize(3, low, 10);
}
