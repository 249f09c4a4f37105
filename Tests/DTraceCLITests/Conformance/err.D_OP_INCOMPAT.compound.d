/*
 * A compound assignment names its own operator.
 */
BEGIN
{
	n = 1;
	n -= "one";
}
