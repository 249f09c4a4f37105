/*
 * One aggregation, one set of lquantize() parameters.
 */
BEGIN
{
	@ = lquantize(3, 0, 10, 2);
	@ = lquantize(4, 0, 20, 2);
}
