/* A name cannot begin with a digit: the digits are a number of their own. */
BEGIN
{
	x = 2nd;
}
