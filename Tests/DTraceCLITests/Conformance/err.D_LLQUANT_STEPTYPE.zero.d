/*
 * llquantize()'s steps are not zero.
 */
BEGIN
{
	@ = llquantize(1, 10, 0, 3, 0);
}
