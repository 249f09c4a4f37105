/*
 * Steps given as an unsigned constant of 2^63 or more are positive, and too large.
 */
BEGIN
{
	@ = llquantize(1, 10, 0, 3, 0xffffffffffffffff);
}
