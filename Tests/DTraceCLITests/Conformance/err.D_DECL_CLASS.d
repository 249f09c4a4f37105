/*
 * One storage class per declaration.
 */
self this long n;

BEGIN
{
	exit(0);
}
