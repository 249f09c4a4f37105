/*
 * stack()'s frame count is a number.
 */
BEGIN
{
	stack("deep");
}
