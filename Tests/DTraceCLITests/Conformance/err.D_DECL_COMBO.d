/*
 * Two type names in one declaration.
 */
BEGIN
{
	trace((int char)1);
}
