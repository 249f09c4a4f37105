/*
 * D variables have no address.
 */
int total;

BEGIN
{
	trace(&total);
}
