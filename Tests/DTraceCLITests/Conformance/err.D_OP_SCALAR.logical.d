/*
 * && takes scalars: a string is not one.
 */
BEGIN
{
	trace(1 && execname);
}
