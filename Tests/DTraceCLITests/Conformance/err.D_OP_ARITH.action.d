/*
 * An action has no value to negate.
 */
BEGIN
{
	x = ~trace(1);
}
