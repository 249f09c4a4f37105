/*
 * llquantize()'s factor^(high + 1) must fit in 64 bits: 2^64 is one too many.
 */
BEGIN
{
	@ = llquantize(1, 2, 0, 63, 2);
}
