/*
 * Ten keys are more than DTrace's tuple registers hold: the program is
 * refused, on no line.
 */
BEGIN
{
	a[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] = 0;
}
