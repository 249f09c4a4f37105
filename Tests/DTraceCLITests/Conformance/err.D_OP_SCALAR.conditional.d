/*
 * The condition of ?: must be a scalar.
 */
BEGIN
{
	trace(execname ? 1 : 2);
}
