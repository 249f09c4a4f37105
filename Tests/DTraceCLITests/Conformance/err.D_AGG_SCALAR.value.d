/*
 * The value aggregated is a scalar.
 */
BEGIN
{
	@ = sum(execname);
}
