/*
 * void takes no attributes.
 */
unsigned void *p;

BEGIN
{
	exit(0);
}
