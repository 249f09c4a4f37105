/*
 * A declaration that declares nothing.
 */
static long;

BEGIN
{
	exit(0);
}
