/*
 * More steps than the factor, from magnitude low > 0, must divide factor^(low + 1).
 */
BEGIN
{
	@ = llquantize(1, 4, 1, 3, 32);
}
