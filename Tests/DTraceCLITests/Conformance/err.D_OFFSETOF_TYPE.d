/*
 * offsetof() of something that is not a struct or union.
 */
BEGIN
{
	trace(offsetof(long, a));
}
