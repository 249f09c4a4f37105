/*
 * An action has no value to use as a key.
 */
BEGIN
{
	@[execname, trace(1)] = count();
}
