/*
 * One aggregation, one set of llquantize() parameters.
 */
BEGIN
{
	@ = llquantize(5, 10, 0, 3, 10);
	@ = llquantize(5, 10, 0, 3, 5);
}
