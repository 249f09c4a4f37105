/*
 * lquantize()'s step is a positive constant.
 */
BEGIN
{
	@ = lquantize(3, 0, 10, -2);
}
