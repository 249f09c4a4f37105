/*
 * Destructive actions are not speculative (checked before whether the action is
 * supported at all).
 */
BEGIN
{
	speculate(1);
	raise(9);
}
