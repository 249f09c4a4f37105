/* ustack()'s string space is a constant, not negative. */
BEGIN
{
	ustack(4, -1);
}
