/*
 * A void parameter cannot be named.
 */
extern long clock(void now);

BEGIN
{
	exit(0);
}
