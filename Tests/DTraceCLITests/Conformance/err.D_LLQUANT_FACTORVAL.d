/*
 * llquantize()'s factor is at least 2.
 */
BEGIN
{
	@ = llquantize(5, 1, 0, 2, 10);
}
