/*
 * An associative array used with fewer keys than it was defined with.
 */
BEGIN
{
	x[1, 2] = 3;
	trace(x[1]);
}
