/*
 * More steps than the factor, from magnitude 0, must divide the factor's square.
 */
BEGIN
{
	@ = llquantize(1, 10, 0, 3, 30);
}
